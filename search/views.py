"""The search page and the JSON search API: parse, make one service call, render."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cms.ratelimit import over_limit
from cms.templatetags.money import pounds, price_words
from directory.fields import DAYS, PARTS
from directory.models import AccessFeature, Audience, Category, Language, Outcome

from .query import DEFAULT_RADIUS_MILES, QueryError, parse_query
from .services import search_listings, vocabularies

RADIUS_CHOICES = (1, 3, 5, 10, 20, 50)
PRICE_CHOICES = (1500, 2000, 2500, 3000)


def _run(request):
    """(results, error) for the request's query string; error is a QueryError or None."""
    try:
        query = parse_query(request.GET, vocabularies=vocabularies())
        return query, search_listings(query=query), None
    except QueryError as error:
        return None, None, error


def _without(get, name, value=None):
    """The query string of `get` with one chosen filter taken away (all of `name` when value is
    None), back on the first page: the address behind a "remove this filter" tag."""
    params = get.copy()
    params.pop("page", None)
    if value is None:
        params.pop(name, None)
    else:
        params.setlist(name, [v for v in params.getlist(name) if v != value])
    return "?" + params.urlencode()


def _chosen_filters(get, filters):
    """What the person has narrowed by, each with the address that removes it, so on a phone they
    see their filters above the results without opening the filter list."""
    chosen = [
        {"group": legend, "label": o["label"], "url": _without(get, name, o["value"])}
        for name, legend, options in filters
        for o in options
        if o["checked"]
    ]
    extras = []
    if get.get("age", "").strip():
        extras.append(("age", "Age", f"Aged {get['age'].strip()}"))
    if get.get("max_price", "").isdigit():
        extras.append(("max_price", "Price", f"Up to {pounds(int(get['max_price']))} an hour"))
    if get.get("taking_new"):
        extras.append(("taking_new", "Only show", "Taking new people"))
    if get.get("verified"):
        extras.append(("verified", "Only show", "Checks verified by us"))
    chosen += [{"group": group, "label": label, "url": _without(get, name)} for name, group, label in extras]
    return chosen


def _facet_options(model_items, counts, chosen):
    return [
        {"value": value, "label": label, "count": counts.get(value, 0), "checked": value in chosen}
        for value, label in model_items
    ]


@require_GET
def search_page(request):
    """The search page: a form that works without JavaScript, results, facets and a map."""
    query, results, error = _run(request)
    searched = bool(request.GET)
    facets = results.facets if results else {}
    get = request.GET
    filters = [
        (
            "outcome",
            "What matters to you",
            _facet_options(
                Outcome.objects.values_list("slug", "label"),
                facets.get("outcome", {}),
                get.getlist("outcome"),
            ),
        ),
        (
            "category",
            "Kind of support",
            _facet_options(
                Category.objects.values_list("slug", "label"),
                facets.get("category", {}),
                get.getlist("category"),
            ),
        ),
        (
            "for",
            "Who it is for",
            _facet_options(
                Audience.objects.values_list("slug", "label"), facets.get("for", {}), get.getlist("for")
            ),
        ),
        (
            "access",
            "Access needs (listings with all you choose)",
            _facet_options(
                AccessFeature.objects.values_list("slug", "label"),
                facets.get("access", {}),
                get.getlist("access"),
            ),
        ),
        ("day", "Day", _facet_options(DAYS, facets.get("day", {}), get.getlist("day"))),
        ("time", "Time of day", _facet_options(PARTS, facets.get("time", {}), get.getlist("time"))),
        (
            "language",
            "Language",
            _facet_options(
                Language.objects.values_list("code", "name"),
                facets.get("language", {}),
                get.getlist("language"),
            ),
        ),
    ]
    # Hide options nobody offers in these results, unless the person ticked them.
    filters = [
        (name, legend, [o for o in options if o["count"] or o["checked"] or not results])
        for name, legend, options in filters
    ]
    params = request.GET.copy()
    params.pop("page", None)
    chosen_filters = _chosen_filters(get, filters)
    context = {
        "query": query,
        "results": results,
        "error": error if searched else None,
        "searched": searched,
        "values": {
            "q": get.get("q", ""),
            "near": get.get("near", ""),
            "radius": get.get("radius", str(DEFAULT_RADIUS_MILES)),
            "sort": get.get("sort", "relevance"),
            "max_price": get.get("max_price", ""),
            # As typed, so a mistyped age is shown back with its message.
            "age": get.get("age", ""),
            "taking_new": get.get("taking_new", ""),
            "verified": get.get("verified", ""),
            "meet_first": get.get("meet_first", ""),
            "trial": get.get("trial", ""),
        },
        "filters": filters,
        "chosen_filters": chosen_filters,
        "clear_filters_url": "?"
        + urlencode({k: get[k] for k in ("q", "near", "radius", "sort") if get.get(k)}),
        # The filter list starts open when one of its fields needs correcting.
        "filters_open": bool(error and error.param not in ("q", "near", "radius")),
        "radius_choices": RADIUS_CHOICES,
        "map_tile_url": settings.MAP_TILE_URL,
        "price_choices": PRICE_CHOICES,
        "query_string": params.urlencode(),
        "map_points": [
            # The public point only (district centre or published venue): see docs/security.md.
            {"title": h.title, "url": h.url, "lat": h.latitude, "lon": h.longitude}
            for h in (results.hits if results else [])
            if h.latitude is not None
        ],
        "taking_new_count": facets.get("taking_new", {}).get("true", 0),
        "verified_count": facets.get("verified", {}).get("true", 0),
    }
    return render(request, "search/search_page.html", context, status=200)


def _price_json(price) -> dict | None:
    """The API's "price" object for a hit's shown price (None when the listing gives no price)."""
    if price is None:
        return None
    return {
        "pence": price.pence,
        "unit": price.unit,
        "unit_minutes": price.unit_minutes,
        "from": price.several,
        "text": price_words(price.pence, price.unit, price.unit_minutes, several=price.several),
    }


@require_GET
def search_api(request):
    """GET /api/search: the same parameters as the page; JSON results, or a 400 naming the problem.

    Limited per client address (SEARCH_API_RATE_LIMIT_PER_MINUTE), counted in the shared cache.
    """
    limit = settings.SEARCH_API_RATE_LIMIT_PER_MINUTE
    retry_after = over_limit(request, scope="search-api", limit=limit)
    if retry_after:
        message = f"Too many searches: the limit is {limit} a minute. Try again in {retry_after} seconds."
        response = JsonResponse({"error": {"param": "", "message": message}}, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    query, results, error = _run(request)
    if error is not None:
        return JsonResponse({"error": {"param": error.param, "message": str(error)}}, status=400)
    return JsonResponse(
        {
            "count": results.count,
            # True when count is an estimate ("about 50,000"); the order of results is exact.
            "count_is_estimate": results.total_is_estimate,
            "facets_are_estimates": results.facets_are_estimates,
            "matched_some_words_only": results.relaxed,
            "page": query.page,
            "num_pages": results.num_pages,
            # Where distances are measured from, and a note when that is less precise than typed.
            "place": (
                {"label": results.query.location.label, "note": results.query.location.note}
                if results.query.location
                else None
            ),
            "results": [
                {
                    "id": hit.public_id,
                    "name": hit.title,
                    "url": request.build_absolute_uri(hit.url) if hit.url else "",
                    "provider": hit.provider_name,
                    "summary": hit.summary,
                    "distance_miles": hit.distance_miles,
                    "venue": hit.venue,
                    "outcomes": [{"slug": slug, "label": label} for slug, label in hit.outcomes],
                    "matched_outcomes": hit.matched_outcomes,
                    # What it costs as the provider charges it; the hourly equivalent is what
                    # max_price compares (None when the price has no known length).
                    "price": _price_json(hit.price),
                    "price_per_hour_pence": hit.price_per_hour_pence,
                    "taking_new_people": hit.intake == "taking",
                    "checks_verified": hit.verified,
                    "last_confirmed_stale": hit.stale,
                }
                for hit in results.hits
            ],
            "facets": results.facets,
        }
    )

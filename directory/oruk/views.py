"""The read-only Open Referral UK 3.0 API at /openreferral/ (see docs/openreferral.md).

Every endpoint is a plain function returning a dict; `api_endpoint` turns it into JSON and
adds what every response needs: `Access-Control-Allow-Origin: *`, a per-client rate limit,
a JSON error body for any failure, and an ETag so a repeat request can get 304 Not Modified.

Only live, public listings are published (`ListingPage.objects.live().public()`): a draft,
a listing awaiting moderation or one in a private section never appears, and a provider
appears only while it has at least one live listing.
"""

import datetime
import functools
import hashlib
import math
import re
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, CharField, F, Prefetch, Q, Value, When
from django.db.models.functions import StrIndex, Substr
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.csrf import csrf_exempt

from directory import geo, kept
from directory.models import Category, ListingPage, ListingPrice, Outcome, PostcodeDistrict, Provider
from directory.services import PlaceNotFound, locate

from . import mapping

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000
METRES_PER_MILE = 1609.344
MAX_PROXIMITY_METRES = 200_000
MAX_SEARCH_WORDS = 10
MAX_SEARCH_LENGTH = 200
READ_METHODS = ("GET", "HEAD", "OPTIONS")
DEFAULT_PROFILE_URL = "https://github.com/OpenReferralUK/uk-profile/blob/main/docs/index.md"
DEFAULT_OPENAPI_URL = "https://docs.openreferraluk.org/en/latest/openapi30.json"


class ApiError(Exception):
    """A request the API answers with a JSON error; `message` is for the client's developer."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    """A parameter is missing, malformed or out of range (400)."""

    status = 400


class NotFound(ApiError):
    """No such endpoint or record, or not one we publish (404)."""

    status = 404


# --- responses -------------------------------------------------------------------------------


def _json(data, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


def _error(status: int, message: str) -> JsonResponse:
    # The specification defines no error body, so errors are {"error": "..."} with the status.
    return _json({"error": message}, status=status)


def _rate_limited(request) -> JsonResponse | None:
    """A 429 response once this client has used its requests for the current minute, else None.

    A fixed one-minute window per client address, counted in Django's cache. Behind a reverse
    proxy REMOTE_ADDR must be the client's address (set by the proxy or WSGI server): a
    forwarded-for header is not trusted, as any client could forge it.
    """
    limit = getattr(settings, "ORUK_RATE_LIMIT_PER_MINUTE", 120)
    if not limit:
        return None
    now = time.time()
    window = int(now // 60)
    key = f"oruk-rate:{request.META.get('REMOTE_ADDR', 'unknown')}:{window}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=120)
        count = 1
    if count <= limit:
        return None
    retry_after = max(1, math.ceil((window + 1) * 60 - now))
    response = _error(
        429, f"Too many requests: the limit is {limit} a minute. Try again in {retry_after} seconds."
    )
    response["Retry-After"] = str(retry_after)
    return response


def _answer(view, request, *args, **kwargs) -> HttpResponse:
    limited = _rate_limited(request)
    if limited:
        return limited
    if request.method == "OPTIONS":
        # A browser asks before sending If-None-Match from another origin.
        response = HttpResponse(status=204)
        response["Allow"] = ", ".join(READ_METHODS)
        response["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
        response["Access-Control-Allow-Headers"] = "If-None-Match, If-Modified-Since"
        response["Access-Control-Max-Age"] = "86400"
        return response
    if request.method not in READ_METHODS:
        response = _error(405, f"This API is read-only: {request.method} is not allowed. Use GET.")
        response["Allow"] = ", ".join(READ_METHODS)
        return response
    try:
        _check_characters(request)
        data = view(request, *args, **kwargs)
    except ApiError as exc:
        return _error(exc.status, exc.message)
    response = _json(data)
    # The ETag is a hash of the body, so it changes whenever anything published changes (a
    # listing, a provider's name, a vocabulary term), not only when a page is republished. A
    # repeat request still costs the queries, but not the transfer.
    response["ETag"] = '"' + hashlib.sha256(response.content).hexdigest()[:40] + '"'
    response["Cache-Control"] = f"public, max-age={getattr(settings, 'ORUK_CACHE_SECONDS', 60)}"
    return get_conditional_response(request, etag=response["ETag"], response=response)


def api_endpoint(view):
    """Make `view` (request -> dict) an API endpoint: JSON, CORS, read-only, rate-limited, ETag."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = _answer(view, request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Expose-Headers"] = "ETag, Retry-After"
        return response

    # No CSRF check: nothing here changes anything, and a POST must get a 405, not a 403.
    return csrf_exempt(wrapper)


# --- parameters --------------------------------------------------------------------------------


def _int(request, name: str, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a whole number, not “{raw[:20]}”.") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be between {low} and {high}, not {value}.")
    return value


def _bool(request, name: str) -> bool:
    raw = request.GET.get(name, "").strip().lower()
    if raw in ("", "false", "0"):
        return False
    if raw in ("true", "1"):
        return True
    raise BadRequest(f"{name} must be true or false, not “{raw[:20]}”.")


def _uuid(request, name: str) -> uuid.UUID | None:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise BadRequest(f"{name} must be a UUID, like {mapping.OUTCOMES_TAXONOMY_ID}.") from None


def _modified_after(request):
    raw = request.GET.get("modified_after", "").strip()
    if not raw:
        return None
    try:
        # An unescaped "+" in a query string arrives as a space: "…T09:00:00 01:00".
        moment = parse_datetime(raw) or parse_datetime(re.sub(r"\s(\d{2}:?\d{2})$", r"+\1", raw))
        if moment is None:
            day = parse_date(raw)
            moment = datetime.datetime(day.year, day.month, day.day) if day else None
    except ValueError:
        moment = None
    if moment is not None:
        try:
            moment = timezone.make_aware(moment) if timezone.is_naive(moment) else moment
            # The database compares in UTC: a moment at the very edge of the calendar overflows there.
            moment.astimezone(datetime.UTC)
        except (OverflowError, ValueError):
            moment = None
    if moment is None:
        raise BadRequest(
            "modified_after must be an ISO 8601 date or date and time, like 2025-01-31T09:00:00Z."
        )
    return moment


def _check_format(request) -> None:
    raw = request.GET.get("format", "").strip().lower()
    if raw and raw != "json":
        raise BadRequest("Only format=json is available: page through the results with page and per_page.")


def _words(request) -> list[str]:
    # The specification calls it `search`; `text` is accepted as another name for it.
    text = request.GET.get("search") or request.GET.get("text") or ""
    if len(text) > MAX_SEARCH_LENGTH:
        raise BadRequest(f"search must be {MAX_SEARCH_LENGTH} characters or fewer.")
    return text.split()[:MAX_SEARCH_WORDS]


def _check_characters(request) -> None:
    # PostgreSQL cannot hold or compare a NUL, so one in any parameter would fail the query.
    for name, values in request.GET.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            shown = name.replace("\x00", "")[:20]
            raise BadRequest(f"{shown} contains a NUL character, which is not allowed.")


class _Paging:
    """The page asked for, and the envelope around its contents."""

    def __init__(self, request):
        _check_format(request)
        self.page = _int(request, "page", 1, 1, MAX_PAGE)
        self.per_page = _int(request, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        self.start = (self.page - 1) * self.per_page
        self.stop = self.start + self.per_page

    def envelope(self, total: int, contents: list) -> dict:
        total_pages = math.ceil(total / self.per_page)
        return {
            "total_items": total,
            "total_pages": total_pages,
            "page_number": self.page,
            "size": len(contents),
            "first_page": self.page == 1,
            "last_page": self.page >= total_pages,
            "empty": not contents,
            "contents": contents,
        }


# --- queries ---------------------------------------------------------------------------------------


def live_listings():
    """The listings the API publishes: live, and not in a private section of the site."""
    return ListingPage.objects.live().public().select_related("provider")


def _with_relations(queryset, *, full: bool):
    # Into plain lists (`oruk_<name>`, read by mapping.related): one query per relation for
    # the whole page, and no queryset built per listing when the mapping reads them.
    prices = ListingPrice.objects.order_by("sort_order", "pk")
    prefetches = [Prefetch("prices", queryset=prices, to_attr="oruk_prices")]
    if full:
        prefetches += [
            Prefetch(name, to_attr=f"oruk_{name}")
            for name in ("outcomes", "categories", "languages", "served_districts", "access_features")
        ]
    return queryset.prefetch_related(*prefetches)


def _page_of(queryset, paging, *, full: bool, keep: bool = False) -> list[ListingPage]:
    """One page of listings from an ordered queryset, with their relations.

    The sort and slice run on the narrow (title, id) first and whole rows are fetched for
    that page only: sorting 10,000 full rows (descriptions and all) to keep 50 was most of a
    request's time. With `keep` (the unfiltered list) the page's ids are kept until a listing
    changes (directory.kept), so a request does not sort every listing at all.
    """

    def page_ids():
        return list(queryset.values_list("pk", flat=True)[paging.start : paging.stop])

    ids = kept.kept("oruk-services-ids", page_ids, paging.start, paging.stop) if keep else page_ids()
    rows = ListingPage.objects.filter(pk__in=ids).select_related("provider")
    found = {listing.pk: listing for listing in _with_relations(rows, full=full)}
    return [found[pk] for pk in ids if pk in found]


def _filter_listings(request, queryset):
    """Apply the list parameters the specification gives /services and /service_at_locations."""
    for word in _words(request):
        queryset = queryset.filter(
            Q(title__icontains=word)
            | Q(summary__icontains=word)
            | Q(description__icontains=word)
            | Q(provider__name__icontains=word)
        )
    term_id = _uuid(request, "taxonomy_term_id")
    if term_id:
        queryset = queryset.filter(
            Q(pk__in=ListingPage.objects.filter(outcomes__public_id=term_id).values("pk"))
            | Q(pk__in=ListingPage.objects.filter(categories__public_id=term_id).values("pk"))
        )
    taxonomy_id = _uuid(request, "taxonomy_id")
    if taxonomy_id == mapping.OUTCOMES_TAXONOMY_ID:
        queryset = queryset.filter(pk__in=ListingPage.objects.filter(outcomes__isnull=False).values("pk"))
    elif taxonomy_id == mapping.CATEGORIES_TAXONOMY_ID:
        queryset = queryset.filter(pk__in=ListingPage.objects.filter(categories__isnull=False).values("pk"))
    elif taxonomy_id:
        queryset = queryset.none()
    organization_id = _uuid(request, "organization_id")
    if organization_id:
        queryset = queryset.filter(provider__public_id=organization_id)
    modified_after = _modified_after(request)
    if modified_after:
        queryset = queryset.filter(last_published_at__gte=modified_after)
    return queryset


def _districts_for(listings) -> dict[str, PostcodeDistrict]:
    codes = {listing.outward_code for listing in listings} - {""}
    return {d.code: d for d in PostcodeDistrict.objects.filter(code__in=codes)} if codes else {}


def _service_dicts(listings, *, full: bool, with_organization: bool = True, districts=None) -> list[dict]:
    if districts is None:
        districts = _districts_for(listings) if full else {}
    result = []
    for listing in listings:
        data = mapping.service(listing, district=districts.get(listing.outward_code), full=full)
        if not with_organization:
            del data["organization"]
        result.append(data)
    return result


def _path_uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"No {what} has the id “{value[:60]}”.") from None


# --- endpoints --------------------------------------------------------------------------------------


@api_endpoint
def api_root(request):
    """`GET /`: which version of the standard this is, and where its description lives."""
    return {
        "version": mapping.ORUK_VERSION,
        "profile": getattr(settings, "ORUK_PROFILE_URL", DEFAULT_PROFILE_URL),
        "openapi_url": getattr(settings, "ORUK_OPENAPI_URL", DEFAULT_OPENAPI_URL),
    }


@api_endpoint
def services(request):
    """`GET /services`: a page of services (one-to-one fields; everything with full=true)."""
    paging = _Paging(request)
    full, minimal = _bool(request, "full"), _bool(request, "minimal")
    everything = live_listings()
    queryset = _filter_listings(request, everything)
    unfiltered = queryset is everything
    queryset = queryset.order_by("title", "pk")
    # Unfiltered (the usual harvest), the total is kept until a listing changes.
    total = kept.kept("oruk-services-count", queryset.count) if unfiltered else queryset.count()
    if minimal:
        rows = queryset.values("public_id", "title", "last_published_at")[paging.start : paging.stop]
        contents = []
        for row in rows:
            item = {"id": str(row["public_id"]), "name": row["title"], "status": "active"}
            if row["last_published_at"]:
                item["last_modified"] = row["last_published_at"].isoformat()
            contents.append(item)
    else:
        contents = _service_dicts(_page_of(queryset, paging, full=full, keep=unfiltered), full=full)
    return paging.envelope(total, contents)


@api_endpoint
def service_detail(request, item_id):
    """`GET /services/{id}`: one service, fully nested."""
    public_id = _path_uuid(item_id, "service")
    listing = _with_relations(live_listings(), full=True).filter(public_id=public_id).first()
    if listing is None:
        raise NotFound(f"No published service has the id {public_id}.")
    return _service_dicts([listing], full=True)[0]


def _publishing_providers():
    return Provider.objects.filter(pk__in=live_listings().values("provider_id")).order_by("name", "pk")


def _with_services(queryset, *, full_service: bool):
    listings = _with_relations(live_listings(), full=full_service).order_by("title", "pk")
    return queryset.prefetch_related(Prefetch("listings", queryset=listings, to_attr="live_listings"))


def _organization_dicts(providers, *, services: bool, full_service: bool) -> list[dict]:
    # One district lookup for every listing on the page, not one per provider.
    listings = [listing for provider in providers for listing in provider.live_listings] if services else []
    districts = _districts_for(listings) if full_service else {}
    result = []
    for provider in providers:
        data = mapping.organization(provider)
        if services:
            data["services"] = _service_dicts(
                provider.live_listings, full=full_service, with_organization=False, districts=districts
            )
        result.append(data)
    return result


@api_endpoint
def organizations(request):
    """`GET /organizations`: providers with at least one published listing."""
    paging = _Paging(request)
    full, full_service = _bool(request, "full"), _bool(request, "full_service")
    queryset = _publishing_providers()
    for word in _words(request):
        queryset = queryset.filter(name__icontains=word)
    total = queryset.count()
    with_services = full or full_service
    page = queryset[paging.start : paging.stop]
    if with_services:
        page = _with_services(page, full_service=full_service)
    contents = _organization_dicts(list(page), services=with_services, full_service=full_service)
    return paging.envelope(total, contents)


@api_endpoint
def organization_detail(request, item_id):
    """`GET /organizations/{id}`: one provider with its services (fully nested with full_service)."""
    public_id = _path_uuid(item_id, "organization")
    full_service = _bool(request, "full_service")
    queryset = _with_services(_publishing_providers().filter(public_id=public_id), full_service=full_service)
    provider = queryset.first()
    if provider is None:
        raise NotFound(f"No organization with published services has the id {public_id}.")
    return _organization_dicts([provider], services=True, full_service=full_service)[0]


_TAXONOMIES = {mapping.OUTCOMES_TAXONOMY_ID: "outcomes", mapping.CATEGORIES_TAXONOMY_ID: "categories"}


@api_endpoint
def taxonomies(request):
    """`GET /taxonomies`: the two vocabularies we publish, outcomes and kinds of support."""
    paging = _Paging(request)
    items = [mapping.taxonomy(kind) for kind in ("outcomes", "categories")]
    for word in _words(request):
        items = [item for item in items if word.casefold() in (item["name"] + item["description"]).casefold()]
    return paging.envelope(len(items), items[paging.start : paging.stop])


@api_endpoint
def taxonomy_detail(request, item_id):
    """`GET /taxonomies/{id}`: one taxonomy with all its terms."""
    kind = _TAXONOMIES.get(_path_uuid(item_id, "taxonomy"))
    if kind is None:
        raise NotFound(f"No taxonomy has the id “{item_id[:60]}”.")
    terms = Outcome.objects.all() if kind == "outcomes" else Category.objects.all()
    return mapping.taxonomy(kind, terms=list(terms))


def _term_query(words):
    query = Q()
    for word in words:
        query &= Q(label__icontains=word) | Q(synonyms__icontains=word) | Q(description__icontains=word)
    return query


@api_endpoint
def taxonomy_terms(request):
    """`GET /taxonomy_terms`: every outcome and category, outcomes first."""
    paging = _Paging(request)
    _bool(request, "top_only")  # checked, but every term is top-level: our vocabularies are flat
    parent_id = _uuid(request, "parent_id")
    taxonomy_id = _uuid(request, "taxonomy_id")
    query = _term_query(_words(request))
    terms = []
    if taxonomy_id in (None, mapping.OUTCOMES_TAXONOMY_ID):
        terms += list(Outcome.objects.filter(query))
    if taxonomy_id in (None, mapping.CATEGORIES_TAXONOMY_ID):
        terms += list(Category.objects.filter(query))
    if parent_id:
        terms = []  # no term has a parent
    contents = [mapping.taxonomy_term(term) for term in terms[paging.start : paging.stop]]
    return paging.envelope(len(terms), contents)


@api_endpoint
def taxonomy_term_detail(request, item_id):
    """`GET /taxonomy_terms/{id}`: one outcome or category."""
    public_id = _path_uuid(item_id, "taxonomy term")
    term = (
        Outcome.objects.filter(public_id=public_id).first()
        or Category.objects.filter(public_id=public_id).first()
    )
    if term is None:
        raise NotFound(f"No taxonomy term has the id {public_id}.")
    return mapping.taxonomy_term(term)


def _with_outward(queryset):
    # The outward code is the part of base_postcode before the space ("BL3 5AA" -> "BL3"), or
    # all of it when only the outward code is stored.
    space = StrIndex("base_postcode", Value(" "))
    outward = Case(
        When(base_postcode__contains=" ", then=Substr("base_postcode", 1, space - 1)),
        default=F("base_postcode"),
        output_field=CharField(),
    )
    return queryset.annotate(oruk_outward=outward)


def _district_distances(latitude: float, longitude: float, miles: float) -> dict[str, float]:
    """Distance in miles from the point to each district centre within `miles`."""
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(latitude, longitude, miles)
    near = PostcodeDistrict.objects.filter(
        latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
    ).values_list("code", "latitude", "longitude")
    distances = {code: geo.distance_miles(latitude, longitude, lat, lon) for code, lat, lon in near}
    return {code: d for code, d in distances.items() if d <= miles}


def _near(request, queryset):
    """Listings near the `postcode` parameter, or serving it (see docs/openreferral.md).

    Distances are measured from the published district centre, never from a listing's exact
    base, so that the API cannot be used to home in on where a provider lives.
    """
    postcode = request.GET.get("postcode", "").strip()
    if len(postcode) > 60:
        raise BadRequest("postcode must be a postcode or a town name, not a long text.")
    raw_proximity = request.GET.get("proximity", "").strip()
    if not postcode:
        if raw_proximity:
            raise BadRequest("proximity needs a postcode to measure from, like postcode=BL3&proximity=5000.")
        return queryset
    proximity = None
    if raw_proximity:
        try:
            proximity = float(raw_proximity)
        except ValueError:
            raise BadRequest(f"proximity must be a distance in metres, not “{raw_proximity[:20]}”.") from None
        if not 0 < proximity <= MAX_PROXIMITY_METRES:
            raise BadRequest(f"proximity must be more than 0 and at most {MAX_PROXIMITY_METRES} metres.")
    try:
        point = locate(text=postcode)
    except PlaceNotFound as exc:
        raise BadRequest(str(exc)) from None
    queryset = _with_outward(queryset)
    if proximity is not None:
        near = _district_distances(point.latitude, point.longitude, proximity / METRES_PER_MILE)
        return queryset.filter(oruk_outward__in=list(near))
    # The service area: a district served in full, or a base whose district centre is within
    # the listing's radius. Radii are whole miles, so districts are grouped by the smallest
    # radius that reaches them: one condition per radius, not one per district.
    near = _district_distances(point.latitude, point.longitude, mapping.MAX_RADIUS_MILES)
    by_radius: dict[int, list[str]] = {}
    for code, miles in near.items():
        by_radius.setdefault(math.ceil(miles), []).append(code)
    serves = Q(pk__in=ListingPage.objects.filter(served_districts__code=point.district_code).values("pk"))
    for radius, codes in by_radius.items():
        serves |= Q(oruk_outward__in=codes, service_radius_miles__gte=radius)
    return queryset.filter(serves)


@api_endpoint
def service_at_locations(request):
    """`GET /service_at_locations`: each listing at its district, with `postcode` and `proximity`."""
    paging = _Paging(request)
    full = _bool(request, "full")
    queryset = _filter_listings(request, live_listings()).exclude(base_postcode="")
    queryset = _near(request, queryset).order_by("title", "pk")
    total = queryset.count()
    return paging.envelope(
        total, _service_at_location_dicts(_page_of(queryset, paging, full=full), full=full)
    )


def _service_at_location_dicts(listings, *, full: bool) -> list[dict]:
    districts = _districts_for(listings)
    result = []
    for listing in listings:
        district = districts.get(listing.outward_code)
        sal = mapping.service_at_location(listing, district)
        if sal is None:  # a base postcode we cannot read: no location to publish
            continue
        sal["service"] = mapping.service(listing, district=district, full=full)
        result.append(sal)
    return result


@api_endpoint
def service_at_location_detail(request, item_id):
    """`GET /service_at_locations/{id}`: one listing at its district, service fully nested."""
    sal_id = _path_uuid(item_id, "service at location")
    public_id = mapping.listing_id_for_service_at_location(sal_id)
    listing = _with_relations(live_listings(), full=True).filter(public_id=public_id).first()
    found = _service_at_location_dicts([listing], full=True) if listing else []
    if not found:
        raise NotFound(f"No published service at location has the id {sal_id}.")
    return found[0]


@api_endpoint
def not_found(request, path=""):
    """Anything else under /openreferral/: a JSON 404 rather than the site's HTML page."""
    raise NotFound(
        f"There is no endpoint /{path[:60]}. Try /services, /organizations, /taxonomies, "
        "/taxonomy_terms or /service_at_locations."
    )

"""Search services other parts of the site call: run a search, keep indexes current."""

import logging
from dataclasses import replace

from django.conf import settings

from directory.models import AccessFeature, Audience, Category, Language, ListingPage, Outcome
from directory.services import PlaceNotFound, council_districts, locate

from .backends import get_search_backend
from .backends.base import SearchResults
from .documents import listing_documents
from .models import LowResultSearch
from .query import Location, QueryError, SearchQuery

logger = logging.getLogger(__name__)
LOW_RESULT_THRESHOLD = 3


def vocabularies() -> dict[str, set[str]]:
    """The slugs and codes the query parser accepts for each vocabulary parameter."""
    return {
        "outcome": set(Outcome.objects.values_list("slug", flat=True)),
        "category": set(Category.objects.values_list("slug", flat=True)),
        "for": set(Audience.objects.values_list("slug", flat=True)),
        "language": set(Language.objects.values_list("code", flat=True)),
        "access": set(AccessFeature.objects.values_list("slug", flat=True)),
    }


def search_listings(*, query: SearchQuery) -> SearchResults:
    """Resolve the place, run the configured backend, and note searches that found little.

    Raises QueryError (param "q" or "near") with a message for the person.
    """
    if query.is_empty:
        raise QueryError("q", "Tell us what you are looking for, or where you are, to start a search.")
    if query.near:
        try:
            found = locate(text=query.near)
        except PlaceNotFound as exc:
            raise QueryError("near", str(exc)) from None
        query = query.with_location(
            Location(
                found.latitude,
                found.longitude,
                found.label,
                found.district_code,
                note=found.note,
                district_codes=found.district_codes,
            )
        )
    if query.council:
        query = _with_council_area(query)
    elif query.location and query.location.district_codes:
        # A council area typed as the place: listings in its districts (and those available anywhere).
        query = replace(query, area_districts=tuple(query.location.district_codes))
    results = get_search_backend().search(query)
    _add_venues(results)
    if results.count < LOW_RESULT_THRESHOLD and (query.outcomes or query.categories or query.location):
        LowResultSearch.objects.create(
            outcomes=",".join(query.outcomes)[:300],
            categories=",".join(query.categories)[:300],
            district=query.location.district_code if query.location else "",
            result_count=results.count,
        )
    return results


def _add_venues(results: SearchResults) -> None:
    """Name the published venue on the hits that have one (one query for the page)."""
    ids = [hit.listing_id for hit in results.hits]
    # No ordering: sorted by page path, SQLite walked the pages table instead of these ids.
    with_venue = (
        ListingPage.objects.filter(pk__in=ids).exclude(venue="").order_by().only("venue", "venue_postcode")
    )
    venues = {listing.pk: listing.public_venue for listing in with_venue}
    for hit in results.hits:
        hit.venue = venues.get(hit.listing_id, "")


def _with_council_area(query: SearchQuery) -> SearchQuery:
    """The query with `area_districts` set to the council area's districts, or QueryError."""
    codes = tuple(council_districts(query.council))
    if not codes:
        raise QueryError(
            "council", f"We do not know a council area called “{query.council[:40]}”. Check its short name."
        )
    backend = get_search_backend()
    if not getattr(backend, "supports_area_districts", False):
        # Better to say so than to show every result as if it were in the council area.
        raise QueryError("council", "Filtering by council area is not available on this site yet.")
    return replace(query, area_districts=codes)


def index_listing(*, listing_id: int) -> None:
    """Bring every configured index up to date for one listing (live: index; else: remove)."""
    index_listings(listing_ids=[listing_id])


def index_listings(*, listing_ids) -> None:
    """Bring every configured index up to date for these listings (live: index; else: remove),
    together: their documents are read at once and each index is written in one go (an import
    publishes a page of listings in one transaction). The database index must take them; another
    backend that cannot is logged and repaired by the next rebuild."""
    from .backends import get_search_backend as backend_named

    ids = list(dict.fromkeys(listing_ids))
    live = list(listing_documents(ListingPage.objects.live().public().filter(pk__in=ids)).order_by("pk"))
    gone = sorted(set(ids) - {listing.pk for listing in live})
    names = ["database"]
    if getattr(settings, "SEARCH_BACKEND", "database") != "database":
        names.append(settings.SEARCH_BACKEND)
    for name in names:
        backend = backend_named(name)
        try:
            for listing_id in gone:
                backend.remove_listing(listing_id)
            if live:
                backend.index_listings(live)
        except Exception:
            if name == "database":
                raise
            which = f"listing {ids[0]}" if len(ids) == 1 else f"listings {', '.join(map(str, ids))}"
            logger.warning("Could not update the %s index for %s", name, which, exc_info=True)

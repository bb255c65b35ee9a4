"""The search contract every backend honours.

A backend turns a SearchQuery (already parsed, with its location resolved) into
SearchResults: the page of hits in ranked order, the total count and facet counts. Ranking
may use only relevance, distance, fit and freshness, with ties broken by a daily rotation
(`rotation_key`). Backends keep their own index in step through `index_listing` and
`remove_listing`, which the indexing task calls after each commit.
"""

from dataclasses import dataclass, field
from datetime import date

from directory.prices import ShownPrice

from ..query import SearchQuery

# Facet names, as they appear in results and in the API's "facets" object.
FACETS = (
    "outcome",
    "category",
    "for",
    "access",
    "day",
    "time",
    "language",
    "taking_new",
    "verified",
    "runner",
)
# A listing the provider has not confirmed for this many days ranks lower.
STALE_AFTER_DAYS = 365
STALE_FACTOR = 0.5
# Distance decay: a listing this many miles away scores half as much as one next door.
DISTANCE_HALF_MILES = 10.0


@dataclass
class SearchHit:
    """One listing in the results, with what the results page and API show."""

    listing_id: int
    public_id: str
    title: str
    url: str
    summary: str
    provider_name: str
    outcomes: list[tuple[str, str]]  # (slug, label)
    price_per_hour_pence: int | None  # the hourly equivalent the price filter compares
    intake: str
    verified: bool
    stale: bool
    # The listing's public point (district centre or published venue), never its base postcode.
    latitude: float | None
    longitude: float | None
    distance_miles: int | None = None  # whole miles from that point
    venue: str = ""  # the published venue, when there is one
    anywhere: bool = False  # given online or by phone, for people anywhere
    score: float = 0.0
    matched_outcomes: list[str] = field(default_factory=list)
    # The price as shown, in its own unit ("£6 a meal"); None when the listing gives no price.
    price: ShownPrice | None = None


@dataclass
class SearchResults:
    """A page of hits in ranked order, the total count and the facet counts."""

    query: SearchQuery
    count: int
    hits: list[SearchHit]
    facets: dict[str, dict[str, int]]
    # Which backend answered ("database", "elasticsearch", "opensearch").
    backend: str = ""
    # The backend that was asked but could not answer, when `backend` stood in for it.
    fallback_from: str = ""
    # True when no listing matched enough of the words, so these match only some of them.
    relaxed: bool = False
    # True when `count` is an estimate ("about 50,000"): the backend found the first pages
    # exactly without counting every match. The order of the hits is exact either way.
    total_is_estimate: bool = False
    # True when the facet counts come from a sample of the matches, scaled up.
    facets_are_estimates: bool = False
    # Listings that match the words only weakly (say, only through the tags of their kind of
    # support): not counted in `count`, shown after the last page as "other services nearby
    # that may help". The best few, best match first.
    others: list[SearchHit] = field(default_factory=list)

    @property
    def num_pages(self) -> int:
        """How many pages of results there are."""
        return max(1, -(-self.count // self.query.per_page))


_MASK32 = 0xFFFFFFFF
_DAY_MULTIPLIER = 2654435761  # Knuth's multiplicative hash: spreads consecutive days over 32 bits
ROTATION_MIX1 = 0x85EBCA6B  # murmur3's 32-bit finaliser constants
ROTATION_MIX2 = 0xC2B2AE35


def day_seed(day: date) -> int:
    """The 32-bit seed of one day's rotation."""
    return (day.toordinal() * _DAY_MULTIPLIER) & _MASK32


def rotation_key(listing_id: int, day: date) -> int:
    """A tie-breaker that is stable for a day and reshuffles the next (no one is always first).

    A murmur3-style mix of the listing id and the day's seed, kept to 32 bits so that
    Elasticsearch's painless script sort (elasticsearch.ROTATION_SCRIPT, line for line the same)
    computes the same order as the database backend.
    """
    h = (listing_id ^ day_seed(day)) & _MASK32
    h ^= h >> 16
    h = (h * ROTATION_MIX1) & _MASK32
    h ^= h >> 13
    h = (h * ROTATION_MIX2) & _MASK32
    h ^= h >> 16
    return h


def freshness_factor(days_since_confirmed: float) -> float:
    """1 for a listing confirmed within a year, STALE_FACTOR after."""
    return STALE_FACTOR if days_since_confirmed > STALE_AFTER_DAYS else 1.0


def shown_distance(miles: float | None) -> int | None:
    """The distance people see: whole miles (from the listing's public point, never its base)."""
    return None if miles is None else round(miles)


def distance_factor(miles: float | None) -> float:
    """Exponential decay with distance; 1 when no place was given."""
    if miles is None:
        return 1.0
    return 0.5 ** (miles / DISTANCE_HALF_MILES)


class BaseSearchBackend:
    """What every search backend provides."""

    name = "base"

    def search(self, query: SearchQuery) -> SearchResults:
        """Run the query and return one page of ranked hits with the total and facet counts."""
        raise NotImplementedError

    def index_listing(self, listing) -> None:
        """Add or refresh one live listing in this backend's index."""
        raise NotImplementedError

    def index_listings(self, listings) -> None:
        """Add or refresh several live listings (a backend that can write them at once overrides this)."""
        for listing in listings:
            self.index_listing(listing)

    def remove_listing(self, listing_id: int) -> None:
        """Drop one listing (unpublished or deleted) from this backend's index."""
        raise NotImplementedError

    def rebuild(self, listings, *, progress=None) -> int:
        """Replace the whole index with `listings`; call progress(done, total); return the count."""
        raise NotImplementedError


def shown_price_from(fields) -> ShownPrice | None:
    """The ShownPrice an index stored (see search.documents): None when the listing has no price."""
    if fields.get("price_pence") is None:
        return None
    return ShownPrice(
        pence=fields["price_pence"],
        unit=fields.get("price_unit") or "",
        unit_minutes=fields.get("price_unit_minutes"),
        count=fields.get("price_count") or 1,
    )

"""What a person asks for: parsing the search page's and the API's parameters.

One parser serves both, so the page and `GET /api/search` accept exactly the same query
strings; every problem is a QueryError naming the parameter, with a message for people.
"""

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date

from django.utils import timezone

from directory.fields import DAYS, PARTS

DEFAULT_RADIUS_MILES = 10
MAX_RADIUS_MILES = 100
PER_PAGE = 20
SORTS = ("relevance", "distance")
TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"", "0", "false", "no", "off"}
MAX_TEXT_LENGTH = 200
MAX_PAGE = 500
MAX_AGE = 120
AGE_MESSAGE = f"Enter the person's age in whole years, from 0 to {MAX_AGE}, like 67."
COUNCIL_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")
# Who runs it: directory.models.Provider.Runner's values.
RUNNERS = ("small", "other", "not_stated")


class QueryError(ValueError):
    """A parameter a person can fix; `param` names it and `str()` says what to do."""

    def __init__(self, param: str, message: str):
        super().__init__(message)
        self.param = param


@dataclass(frozen=True)
class Location:
    """Where the search is centred (see directory.services.Location)."""

    latitude: float
    longitude: float
    label: str
    district_code: str = ""
    # What the page says when the point is less precise than what was typed ("the middle of BS34").
    note: str = ""
    # A council area searched by name: all its postcode districts (district_code is then "").
    district_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchQuery:
    """Everything that narrows or orders a search. Slugs identify vocabulary terms."""

    text: str = ""
    near: str = ""
    location: Location | None = None
    radius_miles: float = DEFAULT_RADIUS_MILES
    outcomes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    max_price_pence: int | None = None
    languages: tuple[str, ...] = ()
    # access=<slug>: a listing must have every chosen access feature (unlike the other
    # vocabularies, where any of them will do: someone who needs step-free access and a
    # hearing loop needs both).
    access_features: tuple[str, ...] = ()
    # age=<years>: the person's age must be inside the listing's age range (no bound = no limit).
    age: int | None = None
    taking_new: bool = False
    verified: bool = False
    # meet_first=1 / trial=1: only listings that like to meet first / offer a trial session.
    meet_first: bool = False
    trial_session: bool = False
    # council=<slug>: only listings in that council area; search_listings fills in its districts.
    council: str = ""
    area_districts: tuple[str, ...] = ()
    # runner=<small|other|not_stated>: who runs it, any of them (never changes a score).
    runners: tuple[str, ...] = ()
    sort: str = "relevance"
    page: int = 1
    per_page: int = PER_PAGE
    today: date = field(default_factory=timezone.localdate)

    @property
    def has_filters(self) -> bool:
        """True when anything other than text and place narrows the search."""
        return bool(
            self.outcomes
            or self.categories
            or self.audiences
            or self.days
            or self.parts
            or self.languages
            or self.access_features
            or self.age is not None
            or self.max_price_pence is not None
            or self.taking_new
            or self.verified
            or self.meet_first
            or self.trial_session
            or self.council
            or self.runners
        )

    @property
    def is_empty(self) -> bool:
        """True when the person has not said what or where."""
        return not (self.text.strip() or self.near.strip() or self.has_filters)

    def with_location(self, location: Location | None) -> "SearchQuery":
        """A copy centred on `location`."""
        return replace(self, location=location)


def _flag(params, name: str) -> bool:
    value = (params.get(name) or "").strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise QueryError(name, f"{name} must be true or false.")


def _choices(params, name: str, allowed, label: str) -> tuple[str, ...]:
    values = []
    for raw in params.getlist(name):
        for value in raw.split(","):
            value = value.strip().lower()
            if not value:
                continue
            if value not in allowed:
                article = "an" if label[0] in "aeiou" else "a"
                raise QueryError(name, f"“{value[:40]}” is not {article} {label} we know.")
            if value not in values:
                values.append(value)
    return tuple(values)


def _int(params, name: str, *, minimum: int, maximum: int, message: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise QueryError(name, message) from None
    if not math.isfinite(value) or value < minimum or value > maximum:
        raise QueryError(name, message)
    return int(value) if name != "radius" else value


def _age(params) -> int | None:
    raw = (params.get("age") or "").strip()
    if not raw:
        return None
    # Whole years only: "67.5" or "1e2" are more likely typing slips than ages.
    if not raw.isdecimal() or len(raw) > 3 or int(raw) > MAX_AGE:
        raise QueryError("age", AGE_MESSAGE)
    return int(raw)


def parse_query(params, *, vocabularies) -> SearchQuery:
    """Turn query-string parameters into a SearchQuery, or raise QueryError.

    `params` is a QueryDict (or anything with get/getlist); `vocabularies` maps
    "outcome", "category", "for", "language" and "access" to the sets of slugs/codes that
    exist (without "access", no access feature is accepted).
    """
    text = " ".join((params.get("q") or "").split())
    if len(text) > MAX_TEXT_LENGTH:
        raise QueryError("q", f"Use {MAX_TEXT_LENGTH} characters or fewer to say what you need.")
    if "\x00" in text:
        raise QueryError("q", "Remove the unusual characters from what you typed.")
    # Cut to 60 characters, then tidy: a cut between two words must not leave a trailing space.
    near = " ".join((params.get("near") or "").split())[:60].rstrip()
    if "\x00" in near:
        # PostgreSQL cannot compare a NUL, so looking the place up would fail the page.
        raise QueryError("near", "Remove the unusual characters from the place you typed.")
    radius = _int(
        params,
        "radius",
        minimum=1,
        maximum=MAX_RADIUS_MILES,
        message=f"Choose a distance between 1 and {MAX_RADIUS_MILES} miles.",
    )
    max_price = _int(
        params,
        "max_price",
        minimum=0,
        maximum=100_000,
        message="Enter the most you want to pay per hour, in pence, like 2000 for £20.",
    )
    page = _int(params, "page", minimum=1, maximum=MAX_PAGE, message="That results page does not exist.")
    council = (params.get("council") or "").strip().lower()
    if council and not COUNCIL_RE.fullmatch(council):
        raise QueryError("council", "Choose a council area by its short name, like bristol.")
    sort = (params.get("sort") or "relevance").strip().lower()
    if sort not in SORTS:
        raise QueryError("sort", "Sort by best match (relevance) or by distance.")
    if sort == "distance" and not near:
        # Sorting by distance needs a place; quietly fall back rather than fail the page.
        sort = "relevance"
    return SearchQuery(
        text=text,
        near=near,
        radius_miles=radius or DEFAULT_RADIUS_MILES,
        outcomes=_choices(params, "outcome", vocabularies["outcome"], "outcome"),
        categories=_choices(params, "category", vocabularies["category"], "kind of support"),
        audiences=_choices(params, "for", vocabularies["for"], "group of people"),
        days=_choices(params, "day", {d for d, _ in DAYS}, "day"),
        parts=_choices(params, "time", {p for p, _ in PARTS}, "time of day"),
        max_price_pence=max_price,
        languages=_choices(params, "language", vocabularies["language"], "language"),
        access_features=_choices(params, "access", vocabularies.get("access", ()), "access feature"),
        age=_age(params),
        taking_new=_flag(params, "taking_new"),
        verified=_flag(params, "verified"),
        meet_first=_flag(params, "meet_first"),
        trial_session=_flag(params, "trial"),
        council=council,
        runners=_choices(params, "runner", RUNNERS, "kind of organisation"),
        sort=sort,
        page=page or 1,
    )

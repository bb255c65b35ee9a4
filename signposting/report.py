"""The coordinators' unmet-demand report: where people searched and found little, what
supply each district has, listings and evidence going out of date, and whether signposting
leads to contact, and needs people posted and what became of them.

Demand figures come only from LowResultSearch (vocabulary slugs, an outward code, a count
and a time), so nothing here can identify a person; signposting figures are counts.
"""

import csv
import io
import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q
from django.db.models import Min as models_min
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from directory import geo
from directory.models import CONFIRMATION_INTERVAL, Category, Check, ListingPage, Outcome
from search.models import LowResultSearch

from .models import Enquiry, Need, Offer, Shortlist, ShortlistItem
from .needs import supply as needs_supply

ANY = "any"
NO_DISTRICT = ""
HEAT_LEVELS = 4
EVIDENCE_WINDOW_DAYS = 30
CSV_SECTIONS = ("demand", "over-time", "supply", "stale", "evidence", "signposting", "needs", "new-listings")


@dataclass(frozen=True)
class Period:
    """A run of whole days, both ends included, in the site's time zone."""

    start: date
    end: date

    @classmethod
    def last(cls, days: int, *, today: date | None = None) -> "Period":
        """The `days` days up to and including today."""
        today = today or timezone.localdate()
        return cls(today - timedelta(days=days - 1), today)

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """[start of the first day, start of the day after the last), timezone-aware."""
        tz = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(self.start, time.min), tz),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min), tz),
        )

    @property
    def days(self) -> int:
        """How many days the period covers."""
        return (self.end - self.start).days + 1


def _in_period(queryset, period: Period, field_name: str = "created_at"):
    start, end = period.bounds
    return queryset.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end})


def _labels() -> dict[tuple[str, str], str]:
    labels = {("outcome", slug): label for slug, label in Outcome.objects.values_list("slug", "label")}
    labels.update(
        {("category", slug): label for slug, label in Category.objects.values_list("slug", "label")}
    )
    return labels


# --- Unmet demand -------------------------------------------------------------------------


@dataclass(frozen=True)
class DemandRow:
    """Searches for one outcome or category in one district that found fewer than three."""

    kind: str  # "outcome", "category" or "any"
    slug: str
    label: str
    district: str
    searches: int
    no_results: int

    @property
    def district_label(self) -> str:
        """The outward code, or a phrase for searches without a place."""
        return self.district or "No place given"


def unmet_demand(*, period: Period) -> list[DemandRow]:
    """Low-result searches grouped by outcome/category and district, most searched first.

    A search that named two outcomes counts once under each, so the rows can add up to more
    than the number of searches (see `total_low_result_searches`).
    """
    grouped = (
        _in_period(LowResultSearch.objects.all(), period)
        .values("outcomes", "categories", "district")
        .annotate(n=Count("pk"), zero=Count("pk", filter=Q(result_count=0)))
        .order_by()
    )
    searches: Counter = Counter()
    no_results: Counter = Counter()
    for row in grouped:
        terms = [("outcome", s) for s in row["outcomes"].split(",") if s]
        terms += [("category", s) for s in row["categories"].split(",") if s]
        for kind, slug in terms or [(ANY, "")]:
            key = (kind, slug, row["district"] or NO_DISTRICT)
            searches[key] += row["n"]
            no_results[key] += row["zero"]
    labels = _labels()
    rows = [
        DemandRow(
            kind=kind,
            slug=slug,
            label=labels.get((kind, slug), "Any support" if kind == ANY else slug),
            district=district,
            searches=count,
            no_results=no_results[(kind, slug, district)],
        )
        for (kind, slug, district), count in searches.items()
    ]
    rows.sort(key=lambda r: (-r.searches, r.label.lower(), r.district))
    return rows


def total_low_result_searches(*, period: Period) -> int:
    """How many searches in the period found fewer than three listings."""
    return _in_period(LowResultSearch.objects.all(), period).count()


@dataclass
class HeatGrid:
    """Outcomes/categories (rows) by districts (columns), each cell a count and a shade 0 to 4."""

    districts: list[str]
    rows: list[tuple[str, list[tuple[int, int]]]]  # (label, [(count, level) per district])
    maximum: int
    hidden_terms: int = 0
    hidden_districts: int = 0
    district_totals: list[int] = field(default_factory=list)


def heat_level(count: int, maximum: int) -> int:
    """0 for none, else 1 to 4 in proportion to the busiest cell."""
    if count <= 0 or maximum <= 0:
        return 0
    return max(1, math.ceil(HEAT_LEVELS * count / maximum))


def heat_grid(rows: list[DemandRow], *, max_terms: int = 12, max_districts: int = 12) -> HeatGrid:
    """The busiest terms and districts as a grid (the "map" of where demand has no supply)."""
    by_term: Counter = Counter()
    by_district: Counter = Counter()
    cells: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        by_term[row.label] += row.searches
        by_district[row.district_label] += row.searches
        cells[(row.label, row.district_label)] += row.searches
    terms = [t for t, _ in sorted(by_term.items(), key=lambda kv: (-kv[1], kv[0]))[:max_terms]]
    districts = [d for d, _ in sorted(by_district.items(), key=lambda kv: (-kv[1], kv[0]))[:max_districts]]
    maximum = max((cells[(t, d)] for t in terms for d in districts), default=0)
    grid_rows = [(t, [(cells[(t, d)], heat_level(cells[(t, d)], maximum)) for d in districts]) for t in terms]
    return HeatGrid(
        districts=districts,
        rows=grid_rows,
        maximum=maximum,
        hidden_terms=max(0, len(by_term) - len(terms)),
        hidden_districts=max(0, len(by_district) - len(districts)),
        district_totals=[sum(cells[(t, d)] for t in terms) for d in districts],
    )


@dataclass(frozen=True)
class TimeBucket:
    """Low-result searches in one day, week or month."""

    start: date
    label: str
    count: int


def _bucket_unit(period: Period) -> str:
    if period.days <= 31:
        return "day"
    if period.days <= 26 * 7:
        return "week"
    return "month"


def _bucket_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def _next_bucket(day: date, unit: str) -> date:
    if unit == "day":
        return day + timedelta(days=1)
    if unit == "week":
        return day + timedelta(days=7)
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _bucket_label(day: date, unit: str) -> str:
    if unit == "month":
        return f"{day:%b %Y}"
    label = f"{day.day} {day:%b}"
    return f"Week of {label}" if unit == "week" else label


def over_time(*, period: Period) -> tuple[str, list[TimeBucket]]:
    """Low-result searches per day (up to a month), week (up to 26 weeks) or month."""
    unit = _bucket_unit(period)
    trunc = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}[unit]
    tz = timezone.get_current_timezone()
    counts = {
        (row["bucket"].date() if isinstance(row["bucket"], datetime) else row["bucket"]): row["n"]
        for row in _in_period(LowResultSearch.objects.all(), period)
        .annotate(bucket=trunc("created_at", tzinfo=tz))
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    }
    buckets = []
    current = _bucket_start(period.start, unit)
    while current <= period.end:
        buckets.append(TimeBucket(current, _bucket_label(current, unit), counts.get(current, 0)))
        current = _next_bucket(current, unit)
    return unit, buckets


@dataclass(frozen=True)
class BarChart:
    """An inline SVG bar chart's geometry; the page shows the same figures as a table."""

    width: int
    height: int
    bars: list[dict]
    maximum: int


def bar_chart(buckets: list[TimeBucket], *, width: int = 720, height: int = 200) -> BarChart:
    """Bars scaled to the highest count, with a label under every few bars."""
    maximum = max((b.count for b in buckets), default=0)
    slot = width / max(1, len(buckets))
    every = max(1, math.ceil(len(buckets) / 12))
    bars = []
    for n, bucket in enumerate(buckets):
        bar_height = 0 if maximum == 0 else round((height - 20) * bucket.count / maximum, 1)
        bars.append(
            {
                "x": round(n * slot + slot * 0.1, 1),
                "width": round(slot * 0.8, 1),
                "y": round(height - 20 - bar_height, 1),
                "height": bar_height,
                "label": bucket.label if n % every == 0 else "",
                "label_x": round(n * slot + slot / 2, 1),
                "count": bucket.count,
                "title": f"{bucket.label}: {bucket.count}",
            }
        )
    return BarChart(width=width, height=height, bars=bars, maximum=maximum)


# --- Supply -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupplyRow:
    """Live listings based in a district, and low-result searches there in the period."""

    district: str
    listings: int
    taking_new: int
    low_result_searches: int


def _outward(postcode: str) -> str:
    try:
        return geo.parse_postcode(postcode).outward
    except geo.InvalidPostcode:
        return ""


def supply_by_district(*, period: Period) -> list[SupplyRow]:
    """Per district: live listings based there, how many take new people, and unmet searches."""
    listings: Counter = Counter()
    taking: Counter = Counter()
    for postcode, intake in ListingPage.objects.live().public().values_list("base_postcode", "intake"):
        district = _outward(postcode) or "Unknown"
        listings[district] += 1
        taking[district] += intake == ListingPage.Intake.TAKING
    demand = dict(
        _in_period(LowResultSearch.objects.exclude(district=""), period)
        .values_list("district")
        .annotate(n=Count("pk"))
        .order_by()
    )
    districts = set(listings) | set(demand)
    rows = [SupplyRow(d, listings[d], taking[d], demand.get(d, 0)) for d in districts]
    rows.sort(key=lambda r: (-r.low_result_searches, r.listings, r.district))
    return rows


def stale_listings(*, now=None):
    """Live listings their provider has not confirmed for a year, oldest first."""
    cutoff = (now or timezone.now()) - CONFIRMATION_INTERVAL
    return (
        ListingPage.objects.live()
        .filter(last_confirmed_at__lt=cutoff)
        .select_related("provider")
        .order_by("last_confirmed_at")
    )


def expiring_evidence(*, today: date | None = None, days: int = EVIDENCE_WINDOW_DAYS):
    """Verified checks that expire within `days`, or expired within the last `days`."""
    today = today or timezone.localdate()
    return (
        Check.objects.filter(
            verified_at__isnull=False,
            expires_on__gte=today - timedelta(days=days),
            expires_on__lte=today + timedelta(days=days),
        )
        .select_related("provider")
        .order_by("expires_on", "provider__name")
    )


# --- Signposting --------------------------------------------------------------------------


@dataclass(frozen=True)
class SignpostingSummary:
    """Whether shortlists made in the period led to contact: counts and rates only."""

    shortlists: int
    shortlists_opened: int
    shortlists_with_contact: int
    listings_shortlisted: int
    listings_contacted: int
    enquiries_from_shortlists: int
    enquiries_total: int

    @staticmethod
    def _rate(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None

    @property
    def open_rate(self) -> int | None:
        """Per cent of shortlists whose link was opened."""
        return self._rate(self.shortlists_opened, self.shortlists)

    @property
    def contact_rate(self) -> int | None:
        """Per cent of shortlists from which at least one provider was contacted."""
        return self._rate(self.shortlists_with_contact, self.shortlists)

    @property
    def listing_contact_rate(self) -> int | None:
        """Per cent of shortlisted listings contacted from that shortlist."""
        return self._rate(self.listings_contacted, self.listings_shortlisted)


def signposting_summary(*, period: Period) -> SignpostingSummary:
    """Shortlists made in the period and what came of them (enquiries at any time since)."""
    shortlists = _in_period(Shortlist.objects.all(), period)
    items = ShortlistItem.objects.filter(shortlist__in=shortlists)
    contacted_pairs = set(
        Enquiry.objects.filter(shortlist__in=shortlists).values_list("shortlist_id", "listing_id").distinct()
    )
    return SignpostingSummary(
        shortlists=shortlists.count(),
        shortlists_opened=shortlists.filter(opened_count__gt=0).count(),
        shortlists_with_contact=len({shortlist_id for shortlist_id, _ in contacted_pairs}),
        listings_shortlisted=items.count(),
        listings_contacted=sum(
            1 for pair in items.values_list("shortlist_id", "listing_id") if pair in contacted_pairs
        ),
        enquiries_from_shortlists=Enquiry.objects.filter(shortlist__in=shortlists).count(),
        enquiries_total=_in_period(Enquiry.objects.all(), period).count(),
    )


# --- CSV ----------------------------------------------------------------------------------


# --- Needs posted and answered ----------------------------------------------------------------


@dataclass(frozen=True)
class NeedsRow:
    """Needs posted in the period for one outcome in one district, and what became of them."""

    outcome: str
    district: str
    posted: int
    answered: int  # at least one offer
    accepted: int  # the person chose an offer
    median_days_to_first_offer: float | None
    met: int = 0  # turned into paid support (the marketplace says so: needs.supply.met_needs)


def needs_summary(*, period: Period) -> list[NeedsRow]:
    """Needs posted in the period by outcome and district, most posted first.

    A need with two outcomes counts under each. "Accepted" means the person chose an offer
    and went on to ask for support; "met" that they then paid for it (or, for a group
    proposal, that someone paid for a place), as the marketplace answers through a signal.
    """
    first_offer = {
        row["need"]: row["first"]
        for row in Offer.objects.values("need").annotate(first=models_min("created_at")).order_by()
    }
    groups: dict[tuple[str, str], list] = defaultdict(list)
    needs = _in_period(Need.objects.all(), period).select_related("district").prefetch_related("outcomes")
    needs = list(needs)
    met = needs_supply.met_needs(needs)
    for need in needs:
        for outcome in need.outcomes.all():
            groups[(outcome.label, need.district.code)].append(need)
    rows = []
    for (label, district), group in groups.items():
        waits = [
            (first_offer[n.pk] - n.created_at).total_seconds() / 86400 for n in group if n.pk in first_offer
        ]
        rows.append(
            NeedsRow(
                outcome=label,
                district=district,
                posted=len(group),
                answered=len(waits),
                accepted=sum(1 for n in group if n.accepted_at),
                median_days_to_first_offer=round(statistics.median(waits), 1) if waits else None,
                met=sum(1 for n in group if n.pk in met),
            )
        )
    rows.sort(key=lambda r: (-r.posted, r.outcome.lower(), r.district))
    return rows


def listings_started(*, period: Period) -> list[tuple[str, str, str, int]]:
    """New listings that went live in the period after a need or a demand alert:
    (after what, outcome, district, how many)."""
    start, end = period.bounds
    return needs_supply.listings_started(start=start, end=end)


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula would run in a spreadsheet (listing titles come from
    # providers): quote it so it is shown as text.
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def csv_rows(section: str, *, period: Period) -> list[list]:
    """The header and rows of one section of the report."""
    if section == "demand":
        return [
            ["outcome or category", "kind", "slug", "district", "low-result searches", "with no results"]
        ] + [
            [r.label, r.kind, r.slug, r.district, r.searches, r.no_results]
            for r in unmet_demand(period=period)
        ]
    if section == "over-time":
        unit, buckets = over_time(period=period)
        return [[f"{unit} starting", "low-result searches"]] + [
            [b.start.isoformat(), b.count] for b in buckets
        ]
    if section == "supply":
        return [["district", "live listings based there", "taking new people", "low-result searches"]] + [
            [r.district, r.listings, r.taking_new, r.low_result_searches]
            for r in supply_by_district(period=period)
        ]
    if section == "stale":
        return [["listing", "provider", "last confirmed"]] + [
            [
                listing.title,
                listing.provider.name,
                timezone.localtime(listing.last_confirmed_at).date().isoformat(),
            ]
            for listing in stale_listings()
        ]
    if section == "evidence":
        return [["provider", "check", "expires on"]] + [
            [check.provider.name, check.get_kind_display(), check.expires_on.isoformat()]
            for check in expiring_evidence()
        ]
    if section == "signposting":
        s = signposting_summary(period=period)
        return [
            ["measure", "value"],
            ["shortlists made", s.shortlists],
            ["shortlists opened by link", s.shortlists_opened],
            ["shortlists with at least one enquiry", s.shortlists_with_contact],
            ["listings shortlisted", s.listings_shortlisted],
            ["shortlisted listings contacted from the shortlist", s.listings_contacted],
            ["enquiries from these shortlists", s.enquiries_from_shortlists],
            ["enquiries in the period (all)", s.enquiries_total],
            ["shortlist contact rate (%)", s.contact_rate if s.contact_rate is not None else ""],
            [
                "listing contact rate (%)",
                s.listing_contact_rate if s.listing_contact_rate is not None else "",
            ],
        ]
    if section == "needs":
        header = [
            "outcome",
            "district",
            "posted",
            "answered",
            "offer accepted",
            "met (paid)",
            "median days to first offer",
        ]
        return [header] + [
            [
                r.outcome,
                r.district,
                r.posted,
                r.answered,
                r.accepted,
                r.met,
                r.median_days_to_first_offer or "",
            ]
            for r in needs_summary(period=period)
        ]
    if section == "new-listings":
        return [["started after", "outcome", "district", "new listings"]] + [
            list(row) for row in listings_started(period=period)
        ]
    raise KeyError(section)


def csv_text(section: str, *, period: Period) -> str:
    """One section of the report as CSV text (formula-like cells quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in csv_rows(section, period=period):
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue()

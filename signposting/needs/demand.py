"""Public demand figures for "Start something local": open needs and searches that found little,
by district and outcome, counts only, with small numbers suppressed so nobody is identifiable.

Searches come from `search.models.LowResultSearch` (the unmet-demand log the coordinators'
report reads) over the last year; only outcome rows with a district are shown here.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from cms.models import StartSomethingLocalGuide
from directory.models import Outcome, PostcodeDistrict
from search.models import LowResultSearch

from ..models import Need
from .services import demand_threshold

SEARCH_WINDOW = timedelta(days=365)
MAX_ROWS = 200


@dataclass(frozen=True)
class DemandCell:
    """One count as the public sees it: the number, or "fewer than N" below the threshold."""

    count: int
    threshold: int

    @property
    def suppressed(self) -> bool:
        """True when the count is too small to show."""
        return self.count < self.threshold

    def __str__(self):
        return f"fewer than {self.threshold}" if self.suppressed else str(self.count)


@dataclass(frozen=True)
class DemandPlace:
    """Demand for one outcome in one postcode district."""

    district: str
    outcome_slug: str
    outcome: str
    needs: DemandCell
    searches: DemandCell

    @property
    def visible_total(self) -> int:
        """What the row contributes to sorting: suppressed counts count as nothing."""
        return sum(c.count for c in (self.needs, self.searches) if not c.suppressed)


def need_counts(district: str, now) -> Counter:
    """Open needs by (district code, outcome slug), in one district or all ("")."""
    needs = Need.objects.open(now)
    if district:
        needs = needs.filter(district__code=district)
    counts: Counter = Counter()
    for code, slug in needs.values_list("district__code", "outcomes__slug"):
        if slug:
            counts[(code, slug)] += 1
    return counts


def search_counts(district: str, now) -> Counter:
    """Searches that found little in the last year by (district code, outcome slug)."""
    searches = LowResultSearch.objects.filter(created_at__gte=now - SEARCH_WINDOW).exclude(district="")
    if district:
        searches = searches.filter(district=district)
    counts: Counter = Counter()
    for code, outcomes in searches.values_list("district", "outcomes"):
        for slug in filter(None, outcomes.split(",")):
            counts[(code, slug)] += 1
    return counts


def demand_table(*, district: str = "", now=None) -> list[DemandPlace]:
    """Rows of demand by district and outcome, the largest shown counts first.

    A row whose counts are all below the threshold is left out entirely in the whole-country
    view (it would only say "a few"); in one district's view it is shown as "fewer than N".
    """
    now = now or timezone.now()
    threshold = demand_threshold()
    needs, searches = need_counts(district, now), search_counts(district, now)
    labels = dict(Outcome.objects.values_list("slug", "label"))
    rows = []
    for code, slug in set(needs) | set(searches):
        if slug not in labels:
            continue
        row = DemandPlace(
            district=code,
            outcome_slug=slug,
            outcome=labels[slug],
            needs=DemandCell(needs[(code, slug)], threshold),
            searches=DemandCell(searches[(code, slug)], threshold),
        )
        if district or row.visible_total:
            rows.append(row)
    rows.sort(key=lambda r: (-r.visible_total, r.district, r.outcome.lower()))
    return rows[:MAX_ROWS]


def map_points(rows: list[DemandPlace]) -> list[dict]:
    """One point per district on the results map (the search page's component), at the
    district's middle, with only the counts the table shows: suppressed counts add nothing,
    and a district with nothing to show has no point."""
    totals: Counter = Counter()
    for row in rows:
        totals[row.district] += row.visible_total
    places = PostcodeDistrict.objects.filter(code__in=[code for code, total in totals.items() if total])
    points = []
    for district in places.order_by("code"):
        total = totals[district.code]
        points.append(
            {
                "lat": district.latitude,
                "lon": district.longitude,
                "title": f"{district.code}: {total} open needs and searches that found little",
                "url": f"?district={district.code}",
            }
        )
    return points


def guide(request) -> str:
    """The coordinators' guide to starting a small local service (rich text)."""
    return StartSomethingLocalGuide.load(request_or_site=request).body

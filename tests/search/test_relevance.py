"""Search relevance: realistic queries must put the listings people want on the first screen.

The set lives in bench/relevance_set.py (the benchmark reports the same figures). The fixture
is built and every query run once per module, inside a transaction that is rolled back; the
tests then read the report.

`pytest -s tests/search/test_relevance.py` prints precision@5 and recall@5.
"""

import pytest
from django.db import transaction

from bench.relevance_set import QUERIES, evaluate, query_label

# The mark also makes pytest-django create the test database before the module fixture runs
# (without any django_db test in the session it would not, and the fixture would write to the
# development database).
pytestmark = pytest.mark.django_db

# The share of relevant listings that must appear in the first five results, averaged over
# queries. The set asks for 1.0; this floor is what the database backend reached when the set
# was last changed, rounded down, so a regression fails. Issue 15 added six "nearest first" and
# typo cases (63 queries): on those 63, recall@5 was 0.952 (precision@5 0.490) before weak
# matches were kept out of the results, and 0.968 (precision@5 0.708) after.
RECALL_FLOOR = 0.96
# Evening sitting service offers short breaks only through its category's label ("Short breaks
# for carers"), never in its own words; since words found only in a listing's tags make a weak
# match (search/backends/database.py, STRONG_SHARE), it is shown under "Other services nearby
# that may help", not among the results. The price of not flooding "gardener" with cleaners.
TAGGED_ONLY = (
    "Evening sitting service says 'sitting', never 'respite' or 'short break': it matches only "
    "through its category's label, a weak match next to listings that say it themselves"
)

# Queries the database backend gets wrong today, and why. They stay in the set (and count in
# the figures); strict xfail makes a fixed one fail loudly until its entry is removed here.
KNOWN_MISSES = {
    "companionship": (
        "Ring and Natter (a phone befriending service 4.6 miles away) matches only through its "
        "category's synonyms; distance decay puts nearer sitting and companion services above it"
    ),
    "befriending": (
        "Ring and Natter matches only through its category's synonyms and sits 4.6 miles away: "
        "nearer listings matching the same synonym group outrank it"
    ),
    "respite": TAGGED_ONLY,
    "short break": TAGGED_ONLY,
    "a break for my carer": TAGGED_ONLY,
}


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker):
    """evaluate("database") on the fixed fixture, rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        result = evaluate("database")
        transaction.set_rollback(True)
    return result


def test_relevance_figures(report):
    print(
        f"relevance precision_at_5={report['precision_at_5']:.3f} "
        f"recall_at_5={report['recall_at_5']:.3f} queries={report['queries']} "
        f"listings={report['listings']} failing={len(report['failures'])}"
    )
    assert report["queries"] >= 40
    failing = "\n".join(
        f"  {q!r}: missing {missing}; top five were {top}" for q, missing, top in report["failures"]
    )
    assert report["recall_at_5"] >= RECALL_FLOOR, (
        f"recall@5 {report['recall_at_5']:.3f} is below {RECALL_FLOOR}; failing queries:\n{failing}"
    )


@pytest.mark.parametrize(
    "label",
    [
        pytest.param(
            label,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[label])]
            if label in KNOWN_MISSES
            else [],
        )
        for label in (query_label(item) for item in QUERIES)
    ],
)
def test_query_finds_its_relevant_listings(report, label):
    detail = next(d for d in report["details"] if d["label"] == label)
    assert not detail["missing"], (
        f"{label!r}: {detail['missing']} not in the first five {detail['top5']} ({detail['count']} found)"
    )

"""The database backend's searches near a place read the index, not every listing.

At 100,000 listings a full scan of the search documents costs about 370 ms, on every search with
a place; it crept in once through "near here, or available anywhere" (the ORM writes
`anywhere=True` as the bare column, which SQLite cannot look up by index, so the whole OR became
a scan). SQLite's EXPLAIN QUERY PLAN says SCAN for a full scan and SEARCH for an index lookup.

On PostgreSQL a second one did the same: listings serving the searcher's district, asked for as
`IN (SELECT …)` beside "near here", cannot join a bitmap OR, so every listing was read (75 ms at
100,000). Its planner picks a scan of a small table anyway, so the test turns sequential scans
off: a plan that can use the indexes then does, and one that cannot still says "Seq Scan".
"""

import pytest
from django.db import connection
from django.http import QueryDict

from directory.models import PostcodeDistrict
from search.backends.database import DatabaseSearchBackend
from search.query import Location, parse_query
from search.services import vocabularies
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


def plans_of_searches(querystring: str) -> list[tuple[str, list[str]]]:
    """(SQL, its query plan lines) of every statement one search runs that reads the documents."""
    make_listing(title="Swimming buddy")
    visiting = make_listing(title="Swimming coach who visits", base_postcode="M1 1AE")
    visiting.served_districts.add(PostcodeDistrict.objects.get(code="BL3"))
    visiting.save_revision().publish()
    make_listing(title="Lunch club", outcomes=("eat-well",), base_postcode="", available_anywhere=True)
    DatabaseSearchBackend().rebuild()
    query = parse_query(QueryDict(querystring), vocabularies=vocabularies())
    query = query.with_location(Location(53.5769, -2.4282, "Bolton", "BL3"))
    statements = []

    def record(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        DatabaseSearchBackend().search(query)
    plans = []
    explain = "EXPLAIN QUERY PLAN" if connection.vendor == "sqlite" else "EXPLAIN"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")  # the test's transaction only
        for sql, params in statements:
            if sql.lstrip().upper().startswith("SELECT") and "search_searchdocument" in sql:
                cursor.execute(f"{explain} {sql}", params)
                plans.append((sql, [row[-1] for row in cursor.fetchall()]))
    return plans


def full_scan(line: str) -> bool:
    line = line.strip().removeprefix("->").strip()
    return line.startswith(("SCAN search_searchdocument", "Seq Scan on search_searchdocument"))


@pytest.mark.parametrize(
    "querystring",
    ["radius=5", "radius=20", "radius=50&outcome=eat-well", "q=swimming&radius=10", "q=lunch&radius=100"],
)
def test_a_search_near_a_place_never_scans_every_listing(querystring):
    if connection.vendor not in ("sqlite", "postgresql"):
        pytest.skip(f"reads SQLite's and PostgreSQL's query plans, not {connection.vendor}'s")
    plans = plans_of_searches(querystring)

    assert plans, "the search read no documents at all"
    scans = [(sql, plan) for sql, plan in plans if any(full_scan(line) for line in plan)]
    assert not scans, "\n\n".join(f"{sql}\n  {plan}" for sql, plan in scans)


@pytest.mark.parametrize("querystring", ["q=swimming&radius=10", "q=swimming+coach&radius=5"])
def test_on_postgresql_words_near_a_place_are_one_lookup_in_the_full_text_index(querystring):
    """The GIN index holds the place tokens too (migration 0014): PostgreSQL asks it for "these
    words near here" as SQLite asks FTS5, rather than looking for the words in every nearby row.
    An expression spelt differently from the index's would not use it (nor fail)."""
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's query plans (SQLite's FTS5 table is test_enough_words')")
    plans = plans_of_searches(querystring)

    texts = [(sql, plan) for sql, plan in plans if "to_tsvector" in sql]
    assert texts, "no statement asked the full-text index"
    for sql, plan in texts:
        assert any("search_document_terms_places_fts" in line for line in plan), f"{sql}\n  {plan}"

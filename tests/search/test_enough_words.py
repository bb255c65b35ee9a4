"""Several words near a place: the results hold enough of them; with none that does, those
holding some of them are shown instead, and the page says so (`relaxed`).

The full-text index (SQLite's FTS5, PostgreSQL's GIN) returns only rows with enough of the words
near the place (search/backends/database.py, `fts_enough`), and rows with fewer are read only when
no listing has enough: these tests hold both halves to what a person sees, on both databases.
"""

import pytest
from django.http import QueryDict

from directory.models import PostcodeDistrict
from search.backends.database import DatabaseSearchBackend
from search.query import Location, parse_query
from search.services import vocabularies
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


@pytest.fixture
def bolton_listings():
    listings = {
        "all three": make_listing(title="Dementia lunch club", base_postcode="BL3"),
        "lunch": make_listing(title="Hot lunch deliveries", base_postcode="BL3"),
        "club": make_listing(title="Book club", base_postcode="BL3"),
        "lunch and club, far": make_listing(title="Dementia lunch club", base_postcode="EX1"),
    }
    DatabaseSearchBackend().rebuild()
    return {name: listing.pk for name, listing in listings.items()}


def search(text: str):
    bolton = PostcodeDistrict.objects.get(code="BL3")
    query = parse_query(QueryDict(f"q={text}&radius=10"), vocabularies=vocabularies())
    query = query.with_location(Location(bolton.latitude, bolton.longitude, "Bolton", "BL3"))
    return DatabaseSearchBackend().search(query)


def test_only_listings_with_enough_of_the_words_are_results(bolton_listings):
    results = search("dementia lunch club")

    assert [hit.listing_id for hit in results.hits] == [bolton_listings["all three"]]
    assert results.count == 1
    assert not results.relaxed


def test_four_words_need_three_of_them(bolton_listings):
    results = search("dementia lunch club knitting")

    assert [hit.listing_id for hit in results.hits] == [bolton_listings["all three"]]
    assert not results.relaxed


def test_with_none_holding_enough_those_with_some_are_shown_and_said_to_be(bolton_listings):
    results = search("lunch club knitting")  # nobody near Bolton knits

    found = {hit.listing_id for hit in [*results.hits, *results.others]}
    assert results.relaxed
    assert {bolton_listings["all three"], bolton_listings["lunch"], bolton_listings["club"]} <= found
    assert bolton_listings["lunch and club, far"] not in found


def test_only_rows_with_enough_of_the_words_near_here_are_read(bolton_listings):
    from django.db import connection

    from search.backends.database import FULL_TEXT

    if connection.vendor not in FULL_TEXT:
        pytest.skip(f"{connection.vendor} has no full-text index here: every nearby row is read")
    backend = DatabaseSearchBackend()
    query = search("dementia lunch club").query
    groups = backend.term_groups(query.text)

    read = backend._candidates(query, groups, enough=True)

    assert [row[0] for row in read] == [bolton_listings["all three"]]
    assert len(backend._candidates(query, groups)) == 3  # any of the words: lunch and club too

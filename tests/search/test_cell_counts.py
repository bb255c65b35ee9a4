"""The listings counted per grid cell stay true as listings are indexed, moved and removed.

A wide search near a place says "about N results", scaling what it found in a small circle
by how many listings lie in each grid cell (search/backends/database.py, `_about`). Those
counts are kept in SearchCellCount rather than counted per search (23 ms at radius 100 and
100,000 listings), so every way the index changes must keep them: a wrong count would show
a person a wrong "about" figure.
"""

from dataclasses import replace

import pytest
from django.db.models import Count

from search.backends.database import DatabaseSearchBackend
from search.models import SearchCellCount, SearchDocument, cell_of
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


def kept() -> dict[int, int]:
    return dict(SearchCellCount.objects.values_list("cell", "listings"))


def counted() -> dict[int, int]:
    rows = SearchDocument.objects.exclude(cell=None).values_list("cell").annotate(n=Count("*")).order_by()
    return dict(rows)


def test_counts_follow_indexing_moving_and_removing():
    backend = DatabaseSearchBackend()
    bolton = [make_listing(title=f"Swimming buddy {i}") for i in range(3)]
    manchester = make_listing(title="Lunch club", base_postcode="M1 1AE")
    backend.index_listings([*bolton, manchester])
    bolton_cell = SearchDocument.objects.get(listing_id=bolton[0].pk).cell
    manchester_cell = SearchDocument.objects.get(listing_id=manchester.pk).cell
    assert bolton_cell != manchester_cell
    assert kept() == counted()
    assert kept()[bolton_cell] == 3
    assert kept()[manchester_cell] == 1

    # One Bolton listing moves to Manchester: both cells change.
    moved = bolton[0]
    moved.base_postcode = "M1 1AE"
    moved.save_revision().publish()
    backend.index_listing(moved)
    assert kept()[bolton_cell] == 2
    assert kept()[manchester_cell] == 2
    assert kept() == counted()

    # Manchester's listings go: its cell is no longer counted at all.
    backend.remove_listing(manchester.pk)
    backend.remove_listing(moved.pk)
    assert manchester_cell not in kept()
    assert kept()[bolton_cell] == 2
    assert kept() == counted()


def test_a_rebuild_counts_every_cell_afresh():
    backend = DatabaseSearchBackend()
    listings = [make_listing(title=f"Garden helper {i}") for i in range(4)]
    make_listing(title="Cooking lessons", base_postcode="M1 1AE")
    SearchCellCount.objects.create(cell=cell_of(10.0, 10.0), listings=7)  # a stale cell nobody is in

    backend.rebuild(batch_size=2)  # cells span batches: each batch recounts what is there so far

    assert kept() == counted()
    assert sum(kept().values()) == SearchDocument.objects.exclude(cell=None).count() >= len(listings) + 1


class Ringed(DatabaseSearchBackend):
    """The backend with the wide-radius plan (rings) starting from a half-mile circle."""

    ring_from_miles = 0.0
    RING_START_MILES = 0.5
    DIRECT_ROWS = 0


def test_a_wide_search_estimates_its_count_from_the_listings_in_each_cell():
    from django.http import QueryDict

    from directory.models import PostcodeDistrict
    from search.query import Location, parse_query
    from search.services import vocabularies

    for i in range(6):
        make_listing(title=f"Garden helper {i}", base_postcode="BL3")
    for i in range(4):
        make_listing(title=f"Cooking lessons {i}", base_postcode="LS1", radius=60)  # ~40 miles away
    for i in range(2):
        make_listing(title=f"Dog walking {i}", base_postcode="EX1")  # ~200 miles away: outside
    Ringed().rebuild()
    bolton = PostcodeDistrict.objects.get(code="BL3")
    query = parse_query(QueryDict("radius=100"), vocabularies=vocabularies())
    query = query.with_location(Location(bolton.latitude, bolton.longitude, "Bolton", "BL3"))

    results = Ringed().search(replace(query, per_page=2))

    # Found 6 within the first circle, where 6 listings lie; 10 lie within 100 miles.
    assert results.total_is_estimate
    assert results.count == 10
    assert len(results.hits) == 2

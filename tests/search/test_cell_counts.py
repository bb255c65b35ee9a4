"""The listings counted per grid cell stay true as listings are indexed, moved and removed.

A wide search near a place says "about N results", scaling what it found in a small circle
by how many listings in each grid cell reach the searcher (search/backends/database.py,
`_about`). Those counts are kept in SearchCellCount rather than counted per search (23 ms at
radius 100 and 100,000 listings), so every way the index changes must keep them: a wrong count
would show a person a wrong "about" figure.
"""

from collections import Counter
from dataclasses import replace

import pytest

from search.backends.database import DatabaseSearchBackend
from search.models import REACH_BANDS, REACH_FIELDS, SearchCellCount, SearchDocument, cell_of
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


def kept() -> dict[int, int]:
    """Listings per cell as kept in SearchCellCount."""
    return dict(SearchCellCount.objects.values_list("cell", "listings"))


def kept_by_reach() -> dict[tuple[int, str], int]:
    """(cell, band) -> travelling listings, as kept (bands with none left out)."""
    rows = SearchCellCount.objects.values_list("cell", *REACH_FIELDS)
    return {(cell, f): n for cell, *ns in rows for f, n in zip(REACH_FIELDS, ns, strict=True) if n}


def counted() -> dict[int, int]:
    """Listings per cell counted afresh from the index, in Python."""
    return dict(Counter(SearchDocument.objects.exclude(cell=None).values_list("cell", flat=True)))


def counted_by_reach() -> dict[tuple[int, str], int]:
    counts = Counter()
    for cell, radius in SearchDocument.objects.exclude(cell=None).values_list("cell", "radius_miles"):
        for field, (fewest, most) in zip(REACH_FIELDS, REACH_BANDS, strict=True):
            if fewest <= radius <= most:
                counts[cell, field] += 1
    return dict(counts)


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
    assert (
        kept_by_reach()
        == counted_by_reach()
        == {(bolton_cell, "reach_5"): 2, (manchester_cell, "reach_5"): 2}
    )

    # Manchester's listings go: its cell is no longer counted at all.
    backend.remove_listing(manchester.pk)
    backend.remove_listing(moved.pk)
    assert manchester_cell not in kept()
    assert kept()[bolton_cell] == 2
    assert kept() == counted()


def test_a_rebuild_counts_every_cell_afresh():
    backend = DatabaseSearchBackend()
    listings = [make_listing(title=f"Garden helper {i}", radius=5 * i) for i in range(4)]
    make_listing(title="Cooking lessons", base_postcode="M1 1AE", radius=80)
    SearchCellCount.objects.create(cell=cell_of(10.0, 10.0), listings=7)  # a stale cell nobody is in

    backend.rebuild(batch_size=2)  # cells span batches: each batch recounts what is there so far

    assert kept() == counted()
    assert kept_by_reach() == counted_by_reach()
    assert sum(kept().values()) == SearchDocument.objects.exclude(cell=None).count() >= len(listings) + 1


class Ringed(DatabaseSearchBackend):
    """The backend with the wide-radius plan (rings) starting from a half-mile circle."""

    ring_from_miles = 0.0
    RING_START_MILES = 0.5
    DIRECT_ROWS = 0


def test_a_wide_search_estimates_its_count_from_the_listings_that_reach_the_searcher():
    from django.http import QueryDict

    from directory.models import PostcodeDistrict
    from search.query import Location, parse_query
    from search.services import vocabularies

    for i in range(6):
        make_listing(title=f"Garden helper {i}", base_postcode="BL3")  # travel 5 miles: here
    # Leeds, ~35 miles away: those travelling 60 miles and those people go to count; those
    # travelling 5 miles do not reach Bolton.
    for i in range(4):
        make_listing(title=f"Cooking lessons {i}", base_postcode="LS1", radius=60)
    for i in range(2):
        make_listing(title=f"Lunch club {i}", base_postcode="LS1", radius=0)
    for i in range(3):
        make_listing(title=f"Cleaning {i}", base_postcode="LS1", radius=5)
    for i in range(2):
        make_listing(title=f"Dog walking {i}", base_postcode="EX1", radius=0)  # ~200 miles away: outside
    Ringed().rebuild()
    bolton = PostcodeDistrict.objects.get(code="BL3")
    query = parse_query(QueryDict("radius=100"), vocabularies=vocabularies())
    query = query.with_location(Location(bolton.latitude, bolton.longitude, "Bolton", "BL3"))

    results = Ringed().search(replace(query, per_page=2))

    # Found 6 within the first circle, where 6 listings reach Bolton; 12 reach it within 100
    # miles. Counting every listing within 100 miles, as the estimate once did, said 15.
    exhaustive = DatabaseSearchBackend()
    exhaustive.exhaustive = True
    assert exhaustive.search(query).count == 12
    assert results.total_is_estimate
    assert results.count == 12
    assert len(results.hits) == 2


def test_the_migration_counts_an_index_already_there_by_reach():
    """search/0013 fills the new per-band counts from the documents an existing site has."""
    import importlib

    from django.apps import apps

    migration = importlib.import_module("search.migrations.0013_cell_reach")
    for radius in (0, 3, 8, 15, 40, 90):
        make_listing(title=f"Helper travelling {radius} miles", radius=radius)
    make_listing(title="Lunch club", base_postcode="M1 1AE", radius=0)
    DatabaseSearchBackend().rebuild()
    SearchCellCount.objects.update(listings=0, **dict.fromkeys(REACH_FIELDS, 0))  # as before 0013: unknown

    migration.count_cells(apps, None)

    assert kept() == counted()
    assert kept_by_reach() == counted_by_reach()
    assert len(kept_by_reach()) == 5  # one listing in each band, in Bolton's cell


def test_the_first_circle_is_smaller_where_listings_crowd_together():
    """Where the cells around hold many listings, a wide search starts from a smaller circle
    (the rings plan reads every listing in its first circle)."""
    from directory.models import PostcodeDistrict
    from search.query import Location

    for i in range(8):
        make_listing(title=f"Garden helper {i}", base_postcode="BL3")
    make_listing(title="Lunch club", base_postcode="EX1")
    DatabaseSearchBackend().rebuild()
    bolton, exeter = (
        Location(d.latitude, d.longitude, d.code, d.code)
        for d in PostcodeDistrict.objects.filter(code__in=["BL3", "EX1"]).order_by("code")
    )
    backend = DatabaseSearchBackend()

    backend.RING_START_LISTINGS = 1000
    assert backend._first_radius(bolton) == 5.0
    # Eight listings in Bolton's cells are more than 2 per 5-mile circle; Exeter's one is not.
    backend.RING_START_LISTINGS = 2
    assert backend._first_radius(bolton) < 5.0
    assert backend._first_radius(exeter) == 5.0
    backend.RING_START_LISTINGS = 0.01
    assert backend._first_radius(bolton) == backend._first_radius(exeter) == 1.25  # halved twice at most

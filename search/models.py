"""The database backend's index, and the log of searches that found little.

SearchDocument is a denormalised copy of each live listing, shaped for search: coordinates
with a coarse grid cell (so a place search reads only nearby rows), analysed terms, facet
values as space-padded strings, and what a result shows (so results need no page queries).
"""

import math

from django.db import models

# Grid cells of 0.1 degree: about 7 miles north-south, 4 miles east-west in England.
CELL_DEGREES = 0.1


def cell_of(latitude: float, longitude: float) -> int:
    """The grid cell containing a point, as one indexable integer."""
    return math.floor(latitude / CELL_DEGREES) * 10_000 + math.floor((longitude + 180) / CELL_DEGREES)


def cell_rows(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> list[tuple[int, int]]:
    """The grid cells that overlap the box, as (first, last) of each row of the grid: a wide
    box is ~30 ranges where it is ~1,300 cells."""
    rows = range(math.floor(min_lat / CELL_DEGREES), math.floor(max_lat / CELL_DEGREES) + 1)
    first, last = math.floor((min_lon + 180) / CELL_DEGREES), math.floor((max_lon + 180) / CELL_DEGREES)
    return [(r * 10_000 + first, r * 10_000 + last) for r in rows]


def cells_covering(min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> list[int]:
    """Every grid cell that overlaps the box."""
    rows = cell_rows(min_lat, max_lat, min_lon, max_lon)
    return [cell for first, last in rows for cell in range(first, last + 1)]


class SearchDocument(models.Model):
    """One live listing as the database backend searches it."""

    # A plain id, not a foreign key: the index is a derived copy, kept in step by signals, and
    # the benchmarks fill it with hundreds of thousands of documents without pages behind them.
    listing_id = models.BigIntegerField(primary_key=True)
    public_id = models.UUIDField()
    title = models.CharField(max_length=255)
    url = models.CharField(max_length=500)
    summary = models.CharField(max_length=300)
    provider_name = models.CharField(max_length=200)
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    cell = models.IntegerField(null=True, db_index=True)
    radius_miles = models.PositiveSmallIntegerField(default=0)
    # Space-padded lists (" BL1 BL3 ") so membership is one substring test.
    districts = models.TextField(blank=True)
    title_terms = models.TextField(blank=True)
    vocabulary_terms = models.TextField(blank=True, help_text="From its outcomes', categories' words.")
    body_terms = models.TextField(blank=True)
    outcomes = models.TextField(blank=True)
    categories = models.TextField(blank=True)
    audiences = models.TextField(blank=True)
    languages = models.TextField(blank=True)
    access_features = models.TextField(blank=True)
    # The listing's own postcode district ("" when it has none), for council= and area searches.
    district = models.CharField(max_length=4, blank=True, db_index=True)
    # Given online or by phone with no place: found from every place. Indexed so "near here or
    # available anywhere" can use an index on each side of the OR (without it, a full scan).
    anywhere = models.BooleanField(default=False, db_index=True)
    # Who runs it (directory.models.Provider.Runner): a filter people choose, never a ranking factor.
    runner = models.CharField(max_length=12, blank=True)
    # The listing's age range; NULL is no limit on that side.
    min_age = models.PositiveSmallIntegerField(null=True)
    max_age = models.PositiveSmallIntegerField(null=True)
    # "I like to meet first" and "trial session available": filters only, never ranked on.
    meet_first = models.BooleanField(default=False)
    trial_session = models.BooleanField(default=False)
    availability = models.PositiveIntegerField(default=0)
    price_per_hour_pence = models.PositiveIntegerField(null=True)
    # The price as shown (search.documents._shown_price_fields): never filtered or ranked on.
    price_pence = models.PositiveIntegerField(null=True)
    price_unit = models.CharField(max_length=10, blank=True)
    price_unit_minutes = models.PositiveSmallIntegerField(null=True)
    price_count = models.PositiveSmallIntegerField(default=0)
    intake = models.CharField(max_length=20)
    verified_until = models.DateField(null=True, help_text="Last day a verified check is valid.")
    last_confirmed_at = models.DateTimeField()
    indexed_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return self.title


class SearchServedDistrict(models.Model):
    """A postcode district a listing covers in full: found by district, whatever the distance."""

    listing_id = models.BigIntegerField(db_index=True)
    code = models.CharField(max_length=4, db_index=True)

    def __str__(self):
        return f"{self.listing_id} covers {self.code}"


# Listings that travel to people are counted per cell by how far they travel: (fewest, most)
# miles of each band (a listing's radius is at most 100; 0, people come to them, is no limit).
REACH_BANDS = ((1, 5), (6, 10), (11, 20), (21, 50), (51, 100))
REACH_FIELDS = tuple(f"reach_{most}" for _, most in REACH_BANDS)


class SearchCellCount(models.Model):
    """How many indexed listings lie in each grid cell, and how far those that travel go: the
    "about" estimate of a wide search near a place scales by these (search/backends/database.py,
    `_about`), counting only listings that reach the searcher.

    Kept by the backend whenever it writes or removes documents (recounted per touched cell, so
    exact after every write); reading ~1,300 of these rows costs ~1 ms, where counting 100,000
    listings by cell cost ~23 ms per wide search.
    """

    cell = models.IntegerField(primary_key=True)
    listings = models.PositiveIntegerField(default=0)
    # Of those, how many travel up to each band's distance (REACH_BANDS); the rest have no limit.
    reach_5 = models.PositiveIntegerField(default=0)
    reach_10 = models.PositiveIntegerField(default=0)
    reach_20 = models.PositiveIntegerField(default=0)
    reach_50 = models.PositiveIntegerField(default=0)
    reach_100 = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"cell {self.cell}: {self.listings}"


class SearchWord(models.Model):
    """Every word seen in listings, with its stem: the dictionary typo correction checks against."""

    word = models.CharField(max_length=64, primary_key=True)
    stem = models.CharField(max_length=64)

    def __str__(self):
        return self.word


class SearchTermField(models.Model):
    """Which fields of an indexed listing have ever held a term (bits: TITLE_BIT, BODY_BIT,
    VOCABULARY_BIT), so a word's best possible weight is known before reading any listing.

    Bits are only ever set when a listing is indexed (never cleared when one changes or goes),
    so they are an upper bound: exact after `rebuild_search_index`, at worst too high, which
    makes the top-k plans read more (search/backends/database.py), never answer wrongly.
    """

    TITLE_BIT = 1
    BODY_BIT = 2
    VOCABULARY_BIT = 4

    term = models.CharField(max_length=100, primary_key=True)
    fields = models.PositiveSmallIntegerField(default=0)

    def __str__(self):
        return f"{self.term} ({self.fields})"


class LowResultSearch(models.Model):
    """A search that found fewer than three listings: what and where, never who.

    Coordinators read these as unmet demand. Only vocabulary slugs, the outward code and the
    count are kept; free text is not stored because people type names and conditions into it.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    outcomes = models.CharField(max_length=300, blank=True)
    categories = models.CharField(max_length=300, blank=True)
    district = models.CharField(max_length=4, blank=True, db_index=True)
    result_count = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        what = self.outcomes or self.categories or "any"
        return f"{what} in {self.district or 'anywhere'}: {self.result_count}"

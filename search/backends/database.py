"""The embedded search backend: no server, the site's own database.

The plan follows how people search here — nearly always near a place:
1. Candidates come from the place first: the grid cells that cover the search circle (an
   indexed integer column), plus listings that name the searcher's postcode district as served.
   So the work grows with how many listings are *nearby*, not with the size of the country.
   With words as well as a place, the full-text documents (SQLite's FTS5 rows, PostgreSQL's
   GIN-indexed tsvector) also carry place tokens (grid cell, districts served), so only rows
   with one of the words *and* near here are read at all;
   with several words, only rows with enough of them (all of two or three, three of four...),
   unless none has enough.
   Without a place, candidates come from the full-text index (SQLite FTS5, or PostgreSQL full
   text), so only listings containing a query word are read.
2. Every filter the person chose runs in SQL; exact distance, service-area eligibility and
   text matching run over the candidates in Python, on analysed terms stored with each document.
3. Relevance uses inverse document frequency over the candidate set, so a word common in this
   area counts for less; then distance, fit and freshness; ties rotate daily.
"""

import bisect
import heapq
import itertools
import math
import time
import uuid
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Count, F, IntegerField, Max, Q, Sum, TextField, Value, When
from django.db.models.expressions import RawSQL

from directory import geo
from directory.fields import DAYS, PARTS, day_mask, part_mask, slots_to_mask
from directory.models import Outcome

from .. import text as analysis
from ..documents import build_document, listing_documents
from ..models import (
    CELL_DEGREES,
    REACH_BANDS,
    REACH_FIELDS,
    SearchCellCount,
    SearchDocument,
    SearchServedDistrict,
    SearchTermField,
    SearchWord,
    cell_of,
    cell_rows,
    cells_covering,
)
from ..query import SearchQuery
from ..synonyms import SYNONYM_GROUPS
from .base import (
    FACETS,
    STALE_AFTER_DAYS,
    STALE_FACTOR,
    BaseSearchBackend,
    SearchHit,
    SearchResults,
    distance_factor,
    freshness_factor,
    rotation_key,
    shown_distance,
    shown_price_from,
)

# A word in the listing's own title counts most, then its own description, then the words of
# the vocabulary terms it is tagged with (so tagging alone never outranks saying it).
DAY_MASKS = [(day, day_mask(day)) for day, _ in DAYS]
PART_MASKS = [(part, part_mask(part)) for part, _ in PARTS]
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 2.0
VOCABULARY_WEIGHT = 1.0
# A result must have more than a third of the best text weight among the matches: with the
# weights above, a listing that has the word only in its tags (1), or only in passing in its
# description (2), where the best has it in its title, description and tags (6) is not a
# result; one that says it in its description where the best also has it in its title (2 of 5)
# is. Those below are kept aside (SearchResults.others).
STRONG_SHARE = 0.34
# How many of them the last page of results shows, under "Other services nearby that may help".
OTHERS_SHOWN = 5
FTS_TABLE = "search_fts"
# Columns read for every candidate, in this order (a tuple per row is much cheaper than a model).
COLUMNS = (
    "listing_id",
    "public_id",
    "title",
    "url",
    "summary",
    "provider_name",
    "latitude",
    "longitude",
    "radius_miles",
    "districts",
    "title_terms",
    "vocabulary_terms",
    "body_terms",
    "outcomes",
    "categories",
    "audiences",
    "languages",
    "availability",
    "price_per_hour_pence",
    "intake",
    "verified_until",
    "last_confirmed_at",
    "access_features",
    "anywhere",
    "runner",
    "price_pence",
    "price_unit",
    "price_unit_minutes",
    "price_count",
)
(ID, PUBLIC_ID, TITLE, URL, SUMMARY, PROVIDER, LAT, LON, RADIUS, DISTRICTS, TITLE_TERMS, VOCABULARY_TERMS,
 BODY_TERMS, OUTCOMES, CATEGORIES, AUDIENCES, LANGUAGES, AVAILABILITY, PRICE, INTAKE, VERIFIED_UNTIL,
 CONFIRMED, ACCESS, ANYWHERE, RUNNER, SHOWN_PRICE, SHOWN_UNIT, SHOWN_MINUTES,
 PRICE_COUNT) = range(len(COLUMNS))  # fmt: skip
# last_confirmed_at is read as its day's number (date.toordinal(), in UTC as stored): only the
# day counts (freshness), and a timestamp cost ~3 us a row to load on PostgreSQL (Django's Python
# time-zone loader), ~1.5 ms of a search reading 500 nearby listings.
CONFIRMED_DAY_SQL = {
    "postgresql": "((last_confirmed_at AT TIME ZONE 'UTC')::date - DATE '0001-01-01' + 1)",
    "sqlite": "CAST(julianday(last_confirmed_at) - 1721424.5 AS INTEGER)",
}
# What a page of results shows, read for that page's rows only (not for every candidate).
SHOWN = ("public_id", "title", "url", "summary", "provider_name", "price_per_hour_pence",
         "price_pence", "price_unit", "price_unit_minutes", "price_count")  # fmt: skip
# What facet counts are made from (see _facets).
FACET_COLUMNS = ("outcomes", "categories", "audiences", "access_features", "languages",
                 "runner", "availability", "intake", "verified_until")  # fmt: skip
# The analysed text, read only when the query has words.
TERMS = ("title_terms", "vocabulary_terms", "body_terms")
# Which bit of SearchTermField.fields each analysed column sets, and what it weighs.
FIELD_BITS = (
    ("title_terms", SearchTermField.TITLE_BIT, TITLE_WEIGHT),
    ("body_terms", SearchTermField.BODY_BIT, BODY_WEIGHT),
    ("vocabulary_terms", SearchTermField.VOCABULARY_BIT, VOCABULARY_WEIGHT),
)
FULL_WEIGHT = int(TITLE_WEIGHT + BODY_WEIGHT + VOCABULARY_WEIGHT)
# Set a term's bits without losing another writer's (an atomic OR per row, both databases).
TERM_FIELDS_UPSERT = (
    "INSERT INTO search_searchtermfield (term, fields) VALUES (%s, %s) ON CONFLICT (term) "
    "DO UPDATE SET fields = search_searchtermfield.fields | excluded.fields"
)
# Where a token is in a column, per database (0 when absent); constant column names only.
WEIGHT_SQL = {"sqlite": "instr({column}, %s)", "postgresql": "strpos({column}, %s)"}


# Listings available anywhere, written `anywhere IN (true)` so the database can use the column's
# index on its side of an OR ("near here, or anywhere"). Django writes `anywhere=True` as the bare
# column, which SQLite cannot look up by index: the whole OR became a scan of every listing
# (370 ms at 100,000 listings, on every search with a place).
AVAILABLE_ANYWHERE = Q(anywhere__in=[True])


# "or" and "and" in each database's full-text query language.
FULL_TEXT = {"sqlite": (" OR ", " AND "), "postgresql": (" | ", " & ")}

# More combinations of query words than this are not written into one full-text query (8 words,
# 6 required, are 28): the index then gives rows with any of the words, as for one word.
MAX_FTS_COMBINATIONS = 40

# Up to this many listings serving a district are given to the database as values (see below).
SERVING_AS_VALUES = 5000


def serving_districts(codes) -> Q:
    """Listings that name one of these postcode districts as served.

    Read first (by index) and given as values, to sit beside "near here" in an OR: PostgreSQL
    cannot put an `IN (SELECT …)` into a bitmap OR, and read every listing instead (75 ms at
    100,000 listings, on every search near a place). Past SERVING_AS_VALUES, the subquery.
    """
    serving = SearchServedDistrict.objects.filter(code__in=list(codes)).values_list("listing_id", flat=True)
    ids = list(serving[: SERVING_AS_VALUES + 1])
    if len(ids) > SERVING_AS_VALUES:
        return Q(listing_id__in=serving)
    return Q(listing_id__in=ids) if ids else Q(pk__in=[])


def marker(index: int) -> str:
    """The token standing for synonym group `index` (alphanumeric so full-text indexes keep it)."""
    return f"qqsyn{index}"


# The full-text token of listings available anywhere, so "these words near here" finds them too.
ANYWHERE_TOKEN = "qqanywhere"  # noqa: S105 (a search token, not a secret)


def place_tokens(cells, districts) -> list[str]:
    """Full-text tokens for grid cells ("c534987") and served postcode districts ("dbl3")."""
    return [f"c{cell}" for cell in cells] + [f"d{code.lower()}" for code in districts]


# PostgreSQL's full-text document: the analysed terms and the place tokens (grid cell "c…",
# districts served "d…", available anywhere), as SQLite's FTS5 rows hold them (_fts_text), so
# "these words near here" is one lookup in its GIN index (migration 0014), as on SQLite. A query
# must spell the expression exactly so for the index to answer it.
PG_DOCUMENT = (
    "to_tsvector('simple', title_terms || ' ' || vocabulary_terms || ' ' || body_terms"
    " || COALESCE(' c' || cell::text, '') || ' ' || regexp_replace(districts, '(\\S+)', 'd\\1', 'g')"
    f" || CASE WHEN anywhere THEN ' {ANYWHERE_TOKEN}' ELSE '' END)"
)


def padded(values) -> str:
    """' a b c ': space-padded so `' b ' in padded` is an exact membership test."""
    return " " + " ".join(values) + " " if values else " "


def analysed_terms(text: str) -> set[str]:
    """Stems plus synonym-group markers of `text`."""
    stems = {analysis.stem(w) for w in analysis.words(text)}
    return stems | {marker(int(m[1:])) for m in analysis.synonym_markers(text)}


LABELS_SECONDS = 60
_labels = {"at": -math.inf, "labels": {}}


def outcome_labels() -> dict[str, str]:
    """{slug: label} of every outcome, kept in this process for up to a minute (cleared when
    an outcome changes here; search.signals)."""
    if time.monotonic() - _labels["at"] > LABELS_SECONDS:
        _labels["labels"] = dict(Outcome.objects.values_list("slug", "label"))
        _labels["at"] = time.monotonic()
    return _labels["labels"]


def forget_outcome_labels(**_kwargs) -> None:
    """An outcome changed: read the labels again next time."""
    _labels["at"] = -math.inf


_rotation = {"day": None, "top": 0, "keys": [], "order": []}


def rotation_order(day) -> list[int]:
    """Every possible listing id (1 to the largest indexed) in `day`'s rotation order.

    The top-k plans walk this list to find the first listings of a large rank class without
    reading the class whole. It covers every id up to the largest, indexed or not, so a
    listing indexed later is never missed: ids that are not (or no longer) indexed simply
    match nothing. Kept in this process: built once a day (about 0.1 s at 100,000 ids), then
    extended when a larger id is indexed (one indexed MAX per call).
    """
    top = SearchDocument.objects.aggregate(top=Max("listing_id"))["top"] or 0
    if _rotation["day"] != day:
        pairs = sorted((rotation_key(i, day), i) for i in range(1, top + 1))
        _rotation.update(day=day, top=top, keys=[k for k, _ in pairs], order=[i for _, i in pairs])
    elif top > _rotation["top"]:
        keys, order = _rotation["keys"], _rotation["order"]
        for i in range(_rotation["top"] + 1, top + 1):
            key = rotation_key(i, day)
            at = bisect.bisect(keys, key)
            keys.insert(at, key)
            order.insert(at, i)
        _rotation["top"] = top
    return _rotation["order"]


def reach_share(travelling, distance: float) -> float:
    """How many of a cell's travelling listings (counts per REACH_BANDS) go `distance` miles,
    taking their radii as spread evenly over each band."""
    reach = 0.0
    for n, (fewest, most) in zip(travelling, REACH_BANDS, strict=True):
        if not n or distance > most:
            continue
        reach += n if distance < fewest else n * (most - distance + 1) / (most - fewest + 1)
    return reach


def flat_scales(latitude: float) -> tuple[float, float]:
    """Miles per degree north and per degree east near `latitude` (a flat map: within 0.7% of
    haversine up to 100 miles in Great Britain), for distances in SQL and per grid cell."""
    return geo.MILES_PER_DEGREE_LAT, geo.MILES_PER_DEGREE_LAT * math.cos(math.radians(latitude))


def ids_in(ids):
    """`listing_id IN (…)` for a chunk of our own integer ids, written into the SQL: a few
    hundred query parameters cost more in the ORM than the lookup does in the database."""
    listed = ",".join(str(int(i)) for i in ids) or "NULL"
    return RawSQL(f"listing_id IN ({listed})", [], output_field=BooleanField())  # noqa: S611


class DatabaseSearchBackend(BaseSearchBackend):
    """Search over SearchDocument rows; see the module docstring for the plan."""

    name = "database"
    # council= (and a council area typed as the place) filters on each listing's own district.
    supports_area_districts = True

    # --- indexing ------------------------------------------------------------------------

    def _document_fields(self, doc: dict) -> dict:
        lat, lon = doc["latitude"], doc["longitude"]
        return {
            "public_id": doc["public_id"],
            "title": doc["title"][:255],
            "url": doc["url"],
            "summary": doc["summary"],
            "provider_name": doc["provider_name"],
            "latitude": lat,
            "longitude": lon,
            "cell": cell_of(lat, lon) if lat is not None and lon is not None else None,
            "radius_miles": doc["radius_miles"],
            "districts": padded(doc["districts"]),
            "title_terms": padded(sorted(analysed_terms(doc["title_text"]))),
            "vocabulary_terms": padded(sorted(analysed_terms(doc["vocabulary_text"]))),
            "body_terms": padded(sorted(analysed_terms(doc["body_text"]))),
            "outcomes": padded(doc["outcomes"]),
            "categories": padded(doc["categories"]),
            "audiences": padded(doc["audiences"]),
            "languages": padded(doc["languages"]),
            "access_features": padded(doc["access_features"]),
            "district": doc["district"],
            "anywhere": doc["anywhere"],
            "runner": doc["runner"],
            "min_age": doc["min_age"],
            "max_age": doc["max_age"],
            "meet_first": doc.get("meet_first", False),
            "trial_session": doc.get("trial_session", False),
            "availability": doc["availability"],
            "price_per_hour_pence": doc["price_per_hour_pence"],
            "price_pence": doc.get("price_pence"),
            "price_unit": doc.get("price_unit", ""),
            "price_unit_minutes": doc.get("price_unit_minutes"),
            "price_count": doc.get("price_count", 0),
            "intake": doc["intake"],
            "verified_until": doc["verified_until"],
            "last_confirmed_at": doc["last_confirmed_at"],
        }

    @staticmethod
    def _fts_text(fields) -> str:
        # Place tokens (grid cell, districts served) let a text-and-place search ask the
        # full-text index for "these words near here", so it never reads national matches.
        places = place_tokens(
            [fields["cell"]] if fields["cell"] is not None else [], fields["districts"].split()
        )
        if fields["anywhere"]:
            places.append(ANYWHERE_TOKEN)
        terms = f"{fields['title_terms']} {fields['vocabulary_terms']} {fields['body_terms']}"
        return f"{terms} {' '.join(places)}"

    def _remember_words(self, docs: list[dict]) -> None:
        words = {}
        for doc in docs:
            for word in analysis.words(f"{doc['title_text']} {doc['vocabulary_text']} {doc['body_text']}"):
                if 2 < len(word) <= 64 and word not in words:
                    words[word] = analysis.stem(word)
        existing = set(SearchWord.objects.filter(word__in=list(words)).values_list("word", flat=True))
        SearchWord.objects.bulk_create(
            [SearchWord(word=w, stem=s) for w, s in words.items() if w not in existing],
            ignore_conflicts=True,
        )

    @staticmethod
    def _write_term_fields(rows: list[dict]) -> None:
        """Note which fields hold each term of these documents' fields (SearchTermField)."""
        found = {}
        for fields in rows:
            for column, bit, _ in FIELD_BITS:
                for term in fields[column].split():
                    if len(term) <= 100:
                        found[term] = found.get(term, 0) | bit
        if found:
            with connection.cursor() as cursor:
                cursor.executemany(TERM_FIELDS_UPSERT, sorted(found.items()))

    def _write_fts(self, rows: list[tuple[int, str]]) -> None:
        """Mirror terms into SQLite's FTS5 table (PostgreSQL indexes the column expression)."""
        if connection.vendor != "sqlite" or not rows:
            return
        with connection.cursor() as cursor:
            cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(pk,) for pk, _ in rows])  # noqa: S608
            cursor.executemany(f"INSERT INTO {FTS_TABLE}(rowid, terms) VALUES (%s, %s)", rows)  # noqa: S608

    def index_listing(self, listing) -> None:
        """Add or refresh one live listing."""
        self.index_documents([build_document(listing)])

    def index_listings(self, listings) -> None:
        """Add or refresh several live listings in one transaction."""
        self.index_documents([build_document(listing) for listing in listings])

    def index_documents(self, docs: list[dict]) -> None:
        """Write prepared documents (see search.documents.build_document)."""
        with transaction.atomic():
            ids = [doc["id"] for doc in docs]
            touched = set(SearchDocument.objects.filter(listing_id__in=ids).values_list("cell", flat=True))
            fts_rows, written = [], []
            for doc in docs:
                fields = self._document_fields(doc)
                SearchDocument.objects.update_or_create(listing_id=doc["id"], defaults=fields)
                SearchServedDistrict.objects.filter(listing_id=doc["id"]).delete()
                self._write_districts([doc])
                fts_rows.append((doc["id"], self._fts_text(fields)))
                written.append(fields)
            self._write_fts(fts_rows)
            self._write_term_fields(written)
            self._remember_words(docs)
            self._recount_cells(touched | {fields["cell"] for fields in written})

    def remove_listing(self, listing_id: int) -> None:
        """Drop one listing from the index."""
        with transaction.atomic():
            cells = set(SearchDocument.objects.filter(listing_id=listing_id).values_list("cell", flat=True))
            SearchDocument.objects.filter(listing_id=listing_id).delete()
            SearchServedDistrict.objects.filter(listing_id=listing_id).delete()
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [listing_id])  # noqa: S608
            self._recount_cells(cells)

    def rebuild(self, listings=None, *, progress=None, batch_size=500) -> int:
        """Replace the index with every live listing, in batches."""
        queryset = listing_documents(listings).order_by("pk")
        total = queryset.count()
        with transaction.atomic():
            SearchDocument.objects.all().delete()
            SearchServedDistrict.objects.all().delete()
            SearchTermField.objects.all().delete()
            SearchCellCount.objects.all().delete()
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {FTS_TABLE}")  # noqa: S608
            done = 0
            for start in range(0, total, batch_size):
                batch = list(queryset[start : start + batch_size])
                docs = [build_document(listing) for listing in batch]
                self._bulk_insert(docs)
                done += len(batch)
                if progress:
                    progress(done, total)
        return total

    @staticmethod
    def _write_districts(docs: list[dict]) -> None:
        SearchServedDistrict.objects.bulk_create(
            [
                SearchServedDistrict(listing_id=doc["id"], code=code)
                for doc in docs
                for code in doc["districts"]
            ]
        )

    def _bulk_insert(self, docs: list[dict]) -> None:
        objects = [SearchDocument(listing_id=doc["id"], **self._document_fields(doc)) for doc in docs]
        SearchDocument.objects.bulk_create(objects, batch_size=500)
        self._write_districts(docs)
        self._write_fts([(o.listing_id, self._fts_text(o.__dict__)) for o in objects])
        self._write_term_fields([o.__dict__ for o in objects])
        self._remember_words(docs)
        self._recount_cells({o.cell for o in objects})

    @staticmethod
    def _recount_cells(cells) -> None:
        """Make SearchCellCount true again for these cells (an upsert: two writers in one cell
        never fail; the later one's count stands until the cell's next write)."""
        cells = {cell for cell in cells if cell is not None}
        if not cells:
            return
        by_reach = {
            field: Count("listing_id", filter=Q(radius_miles__range=band))
            for field, band in zip(REACH_FIELDS, REACH_BANDS, strict=True)
        }
        counts = [
            SearchCellCount(**row)
            for row in SearchDocument.objects.filter(cell__in=list(cells))
            .values("cell")
            .annotate(listings=Count("*"), **by_reach)
            .order_by()
        ]
        SearchCellCount.objects.filter(cell__in=list(cells - {c.cell for c in counts})).delete()
        SearchCellCount.objects.bulk_create(
            counts, update_conflicts=True, unique_fields=["cell"], update_fields=["listings", *REACH_FIELDS]
        )

    # --- query analysis ------------------------------------------------------------------

    def term_groups(self, text: str) -> list[set[str]]:
        """One set of acceptable terms per meaningful query word: its stem, the stems of known
        words one typing slip away (when the word itself is unknown), and synonym markers."""
        query_words = analysis.query_words(text)
        if not query_words:
            return []
        markers = analysis.synonym_markers(text)
        known = set(SearchWord.objects.filter(word__in=query_words).values_list("word", flat=True))
        groups = []
        for word in query_words:
            variants = {analysis.stem(word)}
            if word not in known and len(word) >= 4 and not word.isdigit():
                variants |= set(
                    SearchWord.objects.filter(word__in=analysis.edits1(word)).values_list("stem", flat=True)
                )
            for m in markers:
                index = int(m[1:])
                if any(word in phrase.split() for phrase in SYNONYM_GROUPS[index]):
                    variants.add(marker(index))
            groups.append(variants)
        return groups

    @staticmethod
    def best_weights(groups) -> list[int]:
        """Per query word, the highest field weight any indexed listing could give it (title 3 +
        body 2 + vocabulary 1 for the fields that have ever held one of its variants), read
        from SearchTermField in one query: a word no title holds can weigh at most 3. The
        full weight where nothing is known (an index written before the table existed)."""
        if not groups:
            return []
        variants = sorted(set().union(*groups))
        known = dict(SearchTermField.objects.filter(term__in=variants).values_list("term", "fields"))
        bounds = []
        for group in groups:
            bound = max(
                (sum(int(weight) for _, bit, weight in FIELD_BITS if known.get(v, 0) & bit) for v in group),
                default=0,
            )
            bounds.append(bound or FULL_WEIGHT)
        return bounds

    @staticmethod
    def required_matches(group_count: int) -> int:
        """How many query words must match: all of one or two, three quarters of more."""
        return group_count if group_count <= 2 else math.ceil(group_count * 0.75)

    # --- candidates ----------------------------------------------------------------------

    def _text_filter(self, variants: set[str], *, places=(), enough_of=()):
        """Rows holding one of `variants`; with `enough_of` (the query's groups), only rows
        holding enough of the groups (required_matches), and with `places` (place tokens),
        only rows carrying one of them (near here). One full-text index lookup on SQLite and
        PostgreSQL; a substring scan of every row on any other database."""
        if connection.vendor in FULL_TEXT:
            either, both = FULL_TEXT[connection.vendor]
            expression = either.join(self.fts_terms(variants))
            if enough_of:
                expression = self.fts_enough(enough_of) or expression
            if places:
                expression = f"({expression}){both}({either.join(places)})"
            # The expression is a parameter; only our own constants are interpolated.
            if connection.vendor == "postgresql":
                sql = f"{PG_DOCUMENT} @@ to_tsquery('simple', %s)"
                return RawSQL(sql, [expression], output_field=BooleanField())  # noqa: S611
            sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
            return Q(pk__in=RawSQL(sql, [expression]))  # noqa: S611
        q = Q()
        for v in variants:
            for column in ("title_terms", "vocabulary_terms", "body_terms"):
                q |= Q(**{f"{column}__contains": f" {v} "})
        return q

    @staticmethod
    def fts_terms(variants) -> list[str]:
        """The variants as the database's full-text query words (FTS5 quotes each)."""
        quote = '"{}"' if connection.vendor == "sqlite" else "{}"
        return [quote.format(v) for v in sorted(variants)]

    @classmethod
    def fts_enough(cls, groups) -> str:
        """A full-text query (FTS5 or tsquery) true for rows holding enough of the groups (each
        group: any of its variants); "" when there would be too many combinations to write."""
        required = cls.required_matches(len(groups))
        if math.comb(len(groups), required) > MAX_FTS_COMBINATIONS:
            return ""
        either, both = FULL_TEXT[connection.vendor]
        terms = ["(" + either.join(cls.fts_terms(group)) + ")" for group in groups]
        return either.join("(" + both.join(c) + ")" for c in itertools.combinations(terms, required))

    @staticmethod
    def _filtered(query: SearchQuery):
        """SearchDocument rows that pass every filter the person chose, in SQL, for every plan:
        a row a filter drops is never read (nor, with words, its words weighed)."""
        documents = SearchDocument.objects.all()
        if query.taking_new:
            documents = documents.filter(intake="taking")
        if query.verified:
            documents = documents.filter(verified_until__gte=query.today)
        if query.max_price_pence is not None:
            documents = documents.filter(price_per_hour_pence__lte=query.max_price_pence)
        if query.meet_first:
            documents = documents.filter(meet_first=True)
        if query.trial_session:
            documents = documents.filter(trial_session=True)
        if query.age is not None:
            # An empty bound is no limit on that side.
            documents = documents.filter(
                Q(min_age__isnull=True) | Q(min_age__lte=query.age),
                Q(max_age__isnull=True) | Q(max_age__gte=query.age),
            )
        for feature in query.access_features:
            # Every chosen feature, so one condition each (the other vocabularies want any of).
            documents = documents.filter(access_features__contains=f" {feature} ")
        if query.runners:
            documents = documents.filter(runner__in=query.runners)
        if query.area_districts:
            # In the council area: based in one of its districts, serving one, or available anywhere.
            in_area = Q(district__in=query.area_districts) | serving_districts(query.area_districts)
            documents = documents.filter(in_area | AVAILABLE_ANYWHERE)
        # Any of the chosen outcomes, categories, audiences, languages; a chosen day or time.
        for name, values in (
            ("outcomes", query.outcomes),
            ("categories", query.categories),
            ("audiences", query.audiences),
            ("languages", query.languages),
        ):
            if values:
                any_of = Q()
                for value in values:
                    any_of |= Q(**{f"{name}__contains": f" {value} "})
                documents = documents.filter(any_of)
        mask = DatabaseSearchBackend.slot_mask(query)
        if mask:
            documents = documents.alias(slots=F("availability").bitand(mask)).filter(slots__gt=0)
        return documents

    def _candidates(self, query: SearchQuery, groups, *, enough: bool = False):
        """The rows a plan reads: every filter, near the place, holding a query word (with
        `enough`, enough of the query's words: see _rank_all)."""
        enough_of = groups if enough else ()
        documents = self._filtered(query)
        location = query.location
        if location is not None:
            min_lat, max_lat, min_lon, max_lon = geo.bounding_box(
                location.latitude, location.longitude, query.radius_miles
            )
            cells = cells_covering(min_lat, max_lat, min_lon, max_lon)
            if groups and connection.vendor in FULL_TEXT:
                # Rows with the words *and* near here, in one full-text lookup: the place tokens
                # are the cells, the searcher's district as served, and available anywhere, so
                # cost follows nearby matches (the exact distance is _matching's). Beside "near
                # here" as well, PostgreSQL read every nearby row by the cell index instead.
                districts = [location.district_code] if location.district_code else []
                documents = documents.filter(
                    self._text_filter(
                        set().union(*groups),
                        places=[*place_tokens(cells, districts), ANYWHERE_TOKEN],
                        enough_of=enough_of,
                    )
                )
            else:
                # The cell narrows by index; the exact box trims the cells' corners.
                near = Q(
                    cell__in=cells, latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
                )
                if location.district_code:
                    near |= serving_districts([location.district_code])
                # Available anywhere: no place of its own, so found from every place.
                documents = documents.filter(near | AVAILABLE_ANYWHERE)
        elif groups:
            documents = documents.filter(self._text_filter(set().union(*groups), enough_of=enough_of))
        # A plain cursor: the ORM's per-value converters cost more than the search itself here.
        # Columns nobody reads at this stage come back as NULL: what a page shows is read for
        # that page only (_shown), and the long analysed text only when there are words.
        weighed = groups and connection.vendor in WEIGHT_SQL
        skipped = SHOWN if groups and not weighed else (*SHOWN, *TERMS)
        columns = [self._column(c, skipped) for c in COLUMNS]
        if weighed:
            # Each variant's field weight (see _match) computed where the text is, after the
            # other columns, in `variants` order: the long analysed text never leaves the database.
            columns += [self._weight_sql(variant) for variant in self.variants(groups)]
        sql, params = documents.values_list(*columns).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    # --- search --------------------------------------------------------------------------

    def search(self, query: SearchQuery) -> SearchResults:
        """Run the query; see the module docstring for the plan."""
        groups = self.term_groups(query.text)
        if not self.exhaustive:
            if query.location is None:
                return self._search_tiers(query, groups)
            if len(groups) <= 1 and query.radius_miles > self.ring_from_miles:
                found = self._search_rings(query, groups)
                if found is not None:
                    return found
        return self._search_all(query, groups)

    def _rank_all(self, query: SearchQuery, groups):
        """Read, filter and score every candidate: (scored, kept, relaxed, weak), the weak matches
        (STRONG_SHARE) left out of scored and kept."""
        required = self.required_matches(len(groups))
        # Several words: the full-text index gives only rows with enough of them (a row
        # with one of three words was read, weighed and dropped: most of "dementia friendly lunch
        # club" near a town). Rows with fewer are read only if none has enough (`relaxed`).
        strict = len(groups) > 1 and connection.vendor in FULL_TEXT
        kept = self._matching(query, groups, enough=strict)

        # Enough of the words must match; if no listing has enough, show those with some of
        # them rather than nothing (and say so), because an empty page helps nobody.
        relaxed = False
        if groups:
            enough = [k for k in kept if sum(1 for m in k[2] if m) >= required]
            if strict and not enough:
                kept = self._matching(query, groups, enough=False)
            relaxed = not enough and bool(kept)
            kept = kept if relaxed else enough
        # Listings that match far less well than the best (only through their tags, say, where
        # others say the words themselves) are not results: they come after, as "other services
        # nearby that may help", so a typo or "nearest first" cannot flood the page with them.
        shares = self.text_shares(kept, groups)
        scored = self._score(kept, query, groups, shares)
        weak = [s for s, share in zip(scored, shares, strict=True) if share < STRONG_SHARE]
        if weak:
            scored = [s for s, share in zip(scored, shares, strict=True) if share >= STRONG_SHARE]
            kept = [k for k, share in zip(kept, shares, strict=True) if share >= STRONG_SHARE]
        return scored, kept, relaxed, weak

    def _matching(self, query: SearchQuery, groups, *, enough: bool):
        """(row, distance, weights per variant per group) of every candidate near the place (in
        its radius, or covering the searcher's district, or available anywhere) that holds a
        query word."""
        location = query.location
        district = f" {location.district_code} " if location and location.district_code else None

        if groups and connection.vendor in WEIGHT_SQL:
            positions = {v: len(COLUMNS) + i for i, v in enumerate(self.variants(groups))}

            def match(group, row):
                return {v: row[positions[v]] for v in group if row[positions[v]]}
        else:
            match = self._match
        kept = []
        for row in self._candidates(query, groups, enough=enough):
            distance = None
            if location is not None:
                if row[LAT] is not None:
                    distance = geo.distance_miles(location.latitude, location.longitude, row[LAT], row[LON])
                covers_district = district is not None and district in row[DISTRICTS]
                if not covers_district and not row[ANYWHERE]:
                    if distance is None or distance > query.radius_miles:
                        continue
                    # They travel to people: the searcher must be inside the area they cover.
                    if row[RADIUS] and distance > row[RADIUS]:
                        continue
            matches = [match(group, row) for group in groups] if groups else None
            if matches is not None and not any(matches):
                continue
            kept.append((row, distance, matches))
        return kept

    @staticmethod
    def _order(query: SearchQuery):
        """The sort key of a scored tuple (row, score, distance, rotation): smallest first."""
        if query.sort == "distance" and query.location is not None:

            def order(s):
                return (s[2] if s[2] is not None else math.inf, s[3])
        else:

            def order(s):
                return (-round(s[1], 9), s[3])

        return order

    def _search_all(self, query: SearchQuery, groups) -> SearchResults:
        """The exhaustive plan: every match read and scored (exact count and facets)."""
        scored, kept, relaxed, weak = self._rank_all(query, groups)
        start = (query.page - 1) * query.per_page
        # The first pages of a long list: a bounded heap gives exactly sorted(...)[:n].
        page = heapq.nsmallest(start + query.per_page, scored, key=self._order(query))[start:]
        facets = self._facets([row for row, *_ in kept], query)
        others = []
        if weak and start + query.per_page >= len(scored):
            # After the last page of results, the best few of the rest, best match first.
            others = heapq.nsmallest(OTHERS_SHOWN, weak, key=lambda s: (-round(s[1], 9), s[3]))
        return self._results(query, page, count=len(scored), facets=facets, relaxed=relaxed, others=others)

    def _results(
        self, query, page, *, count, facets, relaxed=False, estimated=False, others=()
    ) -> SearchResults:
        """SearchResults for one page of scored tuples, with what each hit shows read for it."""
        labels = outcome_labels()
        shown = self._shown([row[ID] for row, *_ in page])
        hits = [
            self._hit(self._with_shown(row, shown), score, distance, query, labels)
            for row, score, distance, _ in page
        ]
        if others:
            shown = self._shown([row[ID] for row, *_ in others])
            others = [
                self._hit(self._with_shown(row, shown), score, distance, query, labels)
                for row, score, distance, _ in others
            ]
        return SearchResults(
            query=query,
            count=count,
            hits=hits,
            facets=facets,
            backend=self.name,
            relaxed=relaxed,
            total_is_estimate=estimated,
            facets_are_estimates=estimated,
            others=others,
        )

    # --- top-k plans: the first pages without reading every match --------------------------
    #
    # Both give exactly the page the exhaustive plan gives (tests/search/test_engine_topk.py
    # holds them to it on the whole relevance set); what they give up is the exact count and
    # facets, which become estimates from a sample ("about 50,000").

    # Tests set this to get the exhaustive order to compare with.
    exhaustive = False
    # Radii up to this are read whole: nearby matches are few, and the count stays exact.
    ring_from_miles = 10.0
    # The first circle, halved (at most twice) while the grid cells around the place hold more
    # listings than this per circle: ~900 lie within 5 miles where towns crowd together (around
    # Manchester), and reading them was most of a wide search's time; a town on its own keeps
    # 5 miles, so the facets (scaled from the first circle) come from a few hundred listings.
    RING_START_MILES = 5.0
    RING_START_LISTINGS = 400
    # A rank class this small is read whole and sorted in Python; a larger one is walked.
    DIRECT_ROWS = 2000
    WALK_CHUNK = 500
    # Facet estimates: kept rows sampled in rotation order (a uniform sample of the matches).
    FACET_SAMPLE_ROWS = 200
    FACET_SAMPLE_IDS = 4000

    def _search_rings(self, query: SearchQuery, groups) -> SearchResults | None:
        """A wide radius: rank the matches within a small circle, doubling it until no listing
        outside can reach the page, which is then exactly the whole radius's first page.

        Exact when the score does not depend on which other listings match: no text, or one
        query word (its rarity is then the same for every listing). None when the circle
        reaches the full radius first (the exhaustive plan answers).
        """
        want = query.page * query.per_page
        order = self._order(query)
        by_distance = query.sort == "distance"
        # The best text weight any listing could have (one word at most here: see above).
        full_weight = self.best_weights(groups)[0] if groups else FULL_WEIGHT
        radius = self._first_radius(query.location)
        while radius < query.radius_miles:
            inner = replace(query, radius_miles=radius)
            scored, kept, _relaxed, weak = self._rank_all(inner, groups)
            if len(scored) >= want:
                top = heapq.nsmallest(want, scored, key=order)
                last = top[-1]
                if by_distance:
                    # Everything outside the circle is further away.
                    settled = last[2] is not None and last[2] <= radius
                else:
                    # The best score a listing outside the circle could have, in this
                    # circle's units: the best possible text weight, distance beyond `radius`.
                    text = 1.0
                    if groups:
                        best = max((max(m[0].values()) for _, _, m in kept), default=0) or 1
                        text = full_weight / best
                    bound = text * distance_factor(radius)
                    settled = round(last[1], 9) > round(bound, 9)
                if settled and groups:
                    # Which matches are weak (STRONG_SHARE) depends on the best one in the whole
                    # radius: the same as this circle's only when the circle has a best possible one
                    # (the best any indexed listing could have: nothing outside can beat it).
                    best = max((max(m[0].values()) for _, _, m in kept), default=0)
                    settled = best == full_weight
                if settled:
                    count = self._about(query, inner, kept)
                    if weak and (query.page - 1) * query.per_page + query.per_page >= count:
                        return None  # the last page shows "other services nearby": exhaustive

                    facets = self._scaled(self._facets([row for row, *_ in kept], query), count / len(scored))
                    start = (query.page - 1) * query.per_page
                    return self._results(query, top[start:], count=count, facets=facets, estimated=True)
            radius *= 2
        return None

    def _first_radius(self, location) -> float:
        """RING_START_MILES, halved (at most twice) while a circle that size would hold more than
        RING_START_LISTINGS listings, judged from the grid cells around the place."""
        radius = self.RING_START_MILES
        cells = cells_covering(*geo.bounding_box(location.latitude, location.longitude, radius))
        listings = SearchCellCount.objects.filter(cell__in=cells).aggregate(n=Sum("listings"))["n"] or 0
        north, east = flat_scales(location.latitude)
        per_square_mile = listings / (len(cells) * CELL_DEGREES * north * CELL_DEGREES * east)
        for _ in range(2):
            if per_square_mile * math.pi * radius * radius <= self.RING_START_LISTINGS:
                break
            radius /= 2
        return radius

    def _about(self, query: SearchQuery, inner: SearchQuery, kept) -> int:
        """Matches within the full radius, estimated from `kept`, those within `inner`'s circle.

        The share of the listings in the small circle that match, times how many listings within
        the full radius reach the searcher: those people go to, and those that travel this far
        (most travel a few miles, so at 100 miles most listings in the circle do not count).
        Those in the grid cells around the small circle are counted exactly, those further out
        from the counts kept per cell. Listings found wherever they are (available anywhere, or
        covering the searcher's district) are added as found. Rounded to 2 figures.
        """
        location = query.location
        near = sum(1 for _, distance, _ in kept if distance is not None and distance <= inner.radius_miles)
        around = cells_covering(*geo.bounding_box(location.latitude, location.longitude, inner.radius_miles))
        inside, in_cells_around = self._reaching(location, around, inner.radius_miles, query.radius_miles)
        if not inside:
            return len(kept)
        reaching = in_cells_around + self._reaching_further(location, set(around), query.radius_miles)
        estimate = near * reaching / inside + len(kept) - near
        return max(len(kept), self._rounded(estimate))

    @staticmethod
    def _reaching(location, cells, inner_miles: float, miles: float) -> tuple[int, int]:
        """Listings in `cells` that reach the place: (those within `inner_miles`, those within
        `miles`), counted exactly in one query."""
        north, east = flat_scales(location.latitude)
        # Squared miles from the place, flat (within 0.7% of haversine at 100 miles). Raw SQL:
        # the ORM took longer to write this query (~3 ms) than the database to answer it (~2 ms).
        squared = (
            f"((latitude - %s) * (latitude - %s) * {north * north!r}"
            f" + (longitude - %s) * (longitude - %s) * {east * east!r})"
        )
        place = [location.latitude, location.latitude, location.longitude, location.longitude]
        sql = (
            "SELECT COALESCE(SUM(CASE WHEN squared <= %s THEN 1 ELSE 0 END), 0), "  # noqa: S608 (own columns, our integers)
            "COALESCE(SUM(CASE WHEN squared <= %s THEN 1 ELSE 0 END), 0) "
            f"FROM (SELECT {squared} AS squared, radius_miles FROM search_searchdocument "
            f"WHERE cell IN ({','.join(str(int(c)) for c in cells)})) AS around "
            "WHERE radius_miles = 0 OR squared <= radius_miles * radius_miles"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [inner_miles * inner_miles, miles * miles, *place])
            inside, within = cursor.fetchone()
        return int(inside), int(within)

    @staticmethod
    def _reaching_further(location, skipped: set[int], miles: float) -> float:
        """Listings within `miles` of the place that reach it, outside the `skipped` cells:
        estimated from the counts per grid cell (SearchCellCount). A cell counts when its centre
        is within `miles`, with the share of each band of its travelling listings that go that far."""
        box = geo.bounding_box(location.latitude, location.longitude, miles)
        # Kept per cell as listings are indexed: counting them here cost ~23 ms at radius 100.
        # The box's cells as one range per row of the grid (~30 at radius 100): ~1,300 cells
        # given as values cost ~10 ms to send to PostgreSQL.
        ranges = " OR ".join(f"cell BETWEEN {int(first)} AND {int(last)}" for first, last in cell_rows(*box))
        sql = f"SELECT cell, listings, {', '.join(REACH_FIELDS)} FROM search_searchcellcount WHERE {ranges}"  # noqa: S608
        north, east = flat_scales(location.latitude)
        furthest = miles * miles
        total = 0.0
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        for cell, listings, *travelling in rows:
            if cell in skipped:
                continue
            # Squared miles to the cell's centre (flat, as in _reaching).
            dy = ((cell // 10_000 + 0.5) * CELL_DEGREES - location.latitude) * north
            dx = ((cell % 10_000 + 0.5) * CELL_DEGREES - 180 - location.longitude) * east
            squared = dy * dy + dx * dx
            if squared <= furthest:
                total += listings - sum(travelling) + reach_share(travelling, math.sqrt(squared))
        return total

    @staticmethod
    def _rounded(estimate: float) -> int:
        """An estimate to two significant figures (48,613 -> 49,000): "about" means about."""
        if estimate < 100:
            return round(estimate)
        digits = len(str(int(estimate))) - 2
        return int(round(estimate, -digits))

    @staticmethod
    def _scaled(facets, factor: float):
        """Facet counts from a sample, scaled to the estimated whole (never below 1)."""
        return {name: {k: max(1, round(v * factor)) for k, v in c.items()} for name, c in facets.items()}

    # --- tiers: no place -------------------------------------------------------------------

    def _tier_columns(self, query: SearchQuery, groups) -> dict:
        """{alias: SQL expression}: everything a listing's score depends on when there is no
        place, as small integers: each query word's best field weight, fresh or not, and how
        many of the chosen outcomes it has. Listings with the same values score the same."""
        columns = {}
        greatest = "max" if connection.vendor == "sqlite" else "GREATEST"
        for index, group in enumerate(groups):
            parts = [self._weight_sql(v) for v in sorted(group)]
            if len(parts) == 1:
                columns[f"w{index}"] = parts[0]
            else:
                sql = f"{greatest}({', '.join(p.sql for p in parts)})"
                params = [param for p in parts for param in p.params]
                columns[f"w{index}"] = RawSQL(sql, params, output_field=IntegerField())  # noqa: S611
        # Stale when (today - confirmed date).days > STALE_AFTER_DAYS: confirmed before this.
        first_fresh_day = query.today - timedelta(days=STALE_AFTER_DAYS)
        fresh_from = datetime.combine(first_fresh_day, datetime.min.time(), UTC)
        columns["fresh"] = Case(When(last_confirmed_at__gte=fresh_from, then=1), default=0)
        for index, slug in enumerate(query.outcomes):
            columns[f"o{index}"] = Case(When(outcomes__contains=f" {slug} ", then=1), default=0)
        return columns

    def _tier_score(self, key, groups, idf, best, query) -> float:
        """_score's formula for one combination of tier values (no place: distance factor 1)."""
        text = sum(i * w for i, w in zip(idf, key, strict=False)) / best if groups else 1.0
        rest = key[len(groups) :]
        fresh = 1.0 if rest[0] else STALE_FACTOR
        requested = len(query.outcomes)
        fit = sum(rest[1:]) / requested if requested else 1.0
        return text * distance_factor(None) * fresh * (0.5 + 0.5 * fit)

    def _search_tiers(self, query: SearchQuery, groups) -> SearchResults:
        """No place. With at most one query word, first try the short walk (`_walk_best`);
        otherwise the database counts the matches per combination of what the score depends
        on (one grouped query, no row leaves it) and the page comes from the best combinations,
        each read in today's rotation order only as far as the page needs (exact count)."""
        columns = self._tier_columns(query, groups)
        names = list(columns)
        documents = self._filtered(query)
        if len(groups) <= 1:
            found = self._walk_best(query, groups, documents.annotate(**columns), names)
            if found is not None:
                return found
        matching = documents.filter(self._text_filter(set().union(*groups))) if groups else documents
        combos = [
            (tuple(row[:-1]), row[-1])
            for row in matching.annotate(**columns).values_list(*names).annotate(n=Count("pk")).order_by()
        ]
        width = len(groups)
        required = self.required_matches(width)
        relaxed = False
        if groups:
            combos = [(key, n) for key, n in combos if any(key[:width])]
            enough = [(key, n) for key, n in combos if sum(1 for w in key[:width] if w) >= required]
            relaxed = not enough and bool(combos)
            combos = combos if relaxed else enough
        total = sum(n for _, n in combos)
        idf = []
        for index in range(width):
            df = sum(n for key, n in combos if key[index])
            idf.append(math.log(1 + (total - df + 0.5) / (df + 0.5)))
        raw = [sum(i * w for i, w in zip(idf, key, strict=False)) for key, _ in combos]
        best = max(raw, default=1.0) or 1.0
        if groups:
            # Weak matches (STRONG_SHARE) are not results; on the last page they are shown as
            # "other services nearby", which the exhaustive plan makes.
            strong = [(key, n) for (key, n), r in zip(combos, raw, strict=True) if r / best >= STRONG_SHARE]
            if len(strong) < len(combos):
                combos = strong
                total = sum(n for _, n in combos)
                if query.page * query.per_page >= total:
                    return self._search_all(query, groups)
        # Rank classes: combinations whose (rounded) scores are equal share one, ordered by rotation.
        classes: dict[float, list] = {}
        sizes: Counter = Counter()
        for key, n in combos:
            score = round(self._tier_score(key, groups, idf, best, query), 9)
            classes.setdefault(score, []).append(key)
            sizes[score] += n
        want = query.page * query.per_page
        walkable = documents.annotate(**columns)
        # The classes the page needs, best first: small ones read whole (all in one query),
        # then at most one large one, walked only as far as the page needs.
        plan, need = [], want
        for score in sorted(classes, reverse=True):
            if need <= 0:
                break
            direct = sizes[score] <= max(need, self.DIRECT_ROWS)
            plan.append((score, direct))
            need -= sizes[score]
            if not direct:
                break
        direct_keys = {key: score for score, direct in plan if direct for key in classes[score]}
        by_class: dict[float, list[int]] = {}
        for listing_id, score in self._class_ids(matching.annotate(**columns), names, direct_keys):
            by_class.setdefault(score, []).append(listing_id)
        page = []  # (id, score)
        for score, direct in plan:
            needed = want - len(page)
            if direct:
                ids = sorted(by_class.get(score, []), key=lambda i: rotation_key(i, query.today))
                page += [(i, score) for i in ids[:needed]]
            else:
                walked = self._walk(walkable, names, set(classes[score]), needed, query.today)
                page += [(i, score) for i in walked]
        start = (query.page - 1) * query.per_page
        page = page[start:want]
        rows = self._rows([i for i, _ in page])
        scored = [(rows[i], score, None, 0) for i, score in page if i in rows]
        facets, exact = self._sampled_facets(
            walkable, names, {key for key, _ in combos}, total, query, matching=matching.annotate(**columns)
        )
        results = self._results(query, scored, count=total, facets=facets, relaxed=relaxed)
        results.facets_are_estimates = not exact
        return results

    # The short walk reads at most this many ids (in chunks of WALK_CHUNK) before giving up.
    WALK_BUDGET_IDS = 5000

    def _walk_best(self, query: SearchQuery, groups, annotated, names) -> SearchResults | None:
        """Early termination. With no words or one, a listing's score depends on nothing but
        itself, and the best possible one (every field has the word, confirmed this year,
        every chosen outcome) is known before reading anything. Walk the ids in today's
        rotation order; once the page is full of best-possible listings, nothing unread can
        come before them, so it is exactly the exhaustive page. The walked ids are a uniform
        sample: the count and facets are estimated from it ("about"). None when the budget
        runs out first (the grouped plan answers, exactly).
        """
        want = query.page * query.per_page
        # The best weight any listing could give the word (SearchTermField): a common word that
        # no title holds is best said in a description, and the walk stops at the first of those.
        full_weight = self.best_weights(groups)[0] if groups else FULL_WEIGHT
        best = (full_weight,) * len(groups) + (1,) + (1,) * len(query.outcomes)
        order = rotation_order(query.today)
        facet_columns = FACET_COLUMNS
        page, sample, walked = [], [], 0
        weak_seen = False
        while walked < min(len(order), self.WALK_BUDGET_IDS):
            chunk = order[walked : walked + self.WALK_CHUNK]
            walked += len(chunk)
            found = annotated.filter(ids_in(chunk)).values_list("listing_id", *names, *facet_columns)
            rows = {row[0]: row[1:] for row in found}
            for listing_id in chunk:
                row = rows.get(listing_id)
                if row is None or (groups and not row[0]):
                    continue  # filtered out, or no word matched
                if groups and row[0] / full_weight < STRONG_SHARE:
                    # A weak match (the page holds best possible ones, so the best is full weight).
                    weak_seen = True
                    continue
                sample.append(row[len(names) :])
                if tuple(row[: len(names)]) == best and len(page) < want:
                    page.append(listing_id)
            if len(page) >= want and len(sample) >= self.FACET_SAMPLE_ROWS:
                break
        if len(page) < want:
            return None
        if weak_seen and walked >= len(order) and want >= len(sample):
            return None  # the last page shows "other services nearby": the exhaustive plan
        if walked >= len(order):
            count = len(sample)
        else:
            count = max(len(sample), self._rounded(len(sample) * len(order) / walked))
        start = (query.page - 1) * query.per_page
        rows = self._rows(page[start:])
        scored = [(rows[i], 1.0, None, 0) for i in page[start:] if i in rows]
        facets = self._facets([self._facet_row(values) for values in sample], query)
        estimated = walked < len(order)
        if estimated:
            facets = self._scaled(facets, count / len(sample))
        return self._results(query, scored, count=count, facets=facets, estimated=estimated)

    @staticmethod
    def _facet_row(values) -> list:
        """A COLUMNS-shaped row holding only the FACET_COLUMNS values (for _facets)."""
        full = [None] * len(COLUMNS)
        for column, value in zip(FACET_COLUMNS, values, strict=True):
            full[COLUMNS.index(column)] = value
        return full

    @staticmethod
    def _class_ids(annotated, names, keys: dict) -> list[tuple[int, float]]:
        """(listing id, class score) of every listing whose tier values are one of `keys`
        ({tier values: class score}): the small classes, read whole in one query."""
        if not keys:
            return []
        wanted = Q()
        for key in keys:
            wanted |= Q(**dict(zip(names, key, strict=True)))
        rows = annotated.filter(wanted).values_list("listing_id", *names)
        return [(row[0], keys[tuple(row[1:])]) for row in rows]

    def _walk(self, annotated, names, keys, needed: int, today) -> list[int]:
        """The first `needed` listings of a large class in today's rotation order: read the
        ids in that order a chunk at a time until enough belong to the class."""
        found = []
        order = rotation_order(today)
        for start in range(0, len(order), self.WALK_CHUNK):
            chunk = order[start : start + self.WALK_CHUNK]
            rows = {
                row[0]: tuple(row[1:])
                for row in annotated.filter(ids_in(chunk)).values_list("listing_id", *names)
            }
            found += [i for i in chunk if rows.get(i) in keys]
            if len(found) >= needed:
                break
        return found[:needed]

    def _sampled_facets(self, annotated, names, keys, total: int, query: SearchQuery, *, matching):
        """Facet counts over a uniform sample of the kept listings (the first ones in today's
        rotation order), scaled to `total`; exact (and unscaled) when the sample is all of them,
        or when there are few enough kept listings to read them all from `matching` (the
        documents the words matched). Returns (facets, exact)."""
        facet_columns = FACET_COLUMNS
        if total <= self.FACET_SAMPLE_ROWS:
            # Few enough to read them all: exact, however far apart their ids are (where
            # listings were deleted or a sequence moved on, the rotation order is mostly gaps).
            rows = matching.values_list(*names, *facet_columns)
            kept = [self._facet_row(row[len(names) :]) for row in rows if tuple(row[: len(names)]) in keys]
            return self._facets(kept, query), True
        order = rotation_order(query.today)
        sample, walked = [], 0
        while walked < len(order) and len(sample) < self.FACET_SAMPLE_ROWS and walked < self.FACET_SAMPLE_IDS:
            chunk = order[walked : walked + self.WALK_CHUNK]
            walked += len(chunk)
            for row in annotated.filter(ids_in(chunk)).values_list(*names, *facet_columns):
                if tuple(row[: len(names)]) in keys:
                    sample.append(self._facet_row(row[len(names) :]))
        facets = self._facets(sample, query)
        if walked >= len(order) or not sample:
            return facets, walked >= len(order)
        return self._scaled(facets, total / len(sample)), False

    @staticmethod
    def _column(name: str, skipped=()):
        """What to read for one of COLUMNS: NULL if `skipped`, last_confirmed_at as its day
        (CONFIRMED_DAY_SQL), any other the column itself."""
        if name in skipped:
            return Value(None, output_field=TextField())
        if name == "last_confirmed_at":
            return RawSQL(CONFIRMED_DAY_SQL[connection.vendor], [], output_field=IntegerField())  # noqa: S611
        return F(name)

    @staticmethod
    def _rows(ids) -> dict[int, tuple]:
        """{listing id: its COLUMNS row} for one page of listings."""
        if not ids:
            return {}
        sql, params = (
            SearchDocument.objects.filter(listing_id__in=ids)
            .values_list(*(DatabaseSearchBackend._column(c, TERMS) for c in COLUMNS))
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {row[ID]: row for row in cursor.fetchall()}

    @staticmethod
    def _shown(ids) -> dict[int, tuple]:
        """{listing id: the SHOWN columns} for one page of results."""
        if not ids:
            return {}
        sql, params = (
            SearchDocument.objects.filter(listing_id__in=ids)
            .values_list("listing_id", *SHOWN)
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {row[0]: row[1:] for row in cursor.fetchall()}

    @staticmethod
    def _with_shown(row, shown) -> list:
        full = list(row)
        for column, value in zip(SHOWN, shown.get(row[ID], (None,) * len(SHOWN)), strict=True):
            full[COLUMNS.index(column)] = value
        return full

    @staticmethod
    def variants(groups) -> list[str]:
        """Every variant of every query word, once, in a fixed order."""
        return sorted(set().union(*groups))

    @staticmethod
    def _weight_sql(variant: str):
        """SQL for _match's weight of one variant in a row (title 3 + body 2 + vocabulary 1)."""
        find = WEIGHT_SQL[connection.vendor]
        token = f" {variant} "
        parts = [
            # Whole numbers: PostgreSQL would return a decimal literal as Decimal.
            f"CASE WHEN {find.format(column=column)} > 0 THEN {int(weight)} ELSE 0 END"
            for column, weight in (
                ("title_terms", TITLE_WEIGHT),
                ("body_terms", BODY_WEIGHT),
                ("vocabulary_terms", VOCABULARY_WEIGHT),
            )
        ]
        return RawSQL(" + ".join(parts), [token] * len(parts), output_field=IntegerField())  # noqa: S611

    @staticmethod
    def _match(group: set[str], row) -> dict[str, float]:
        """{variant: summed field weight} for the variants of one query word found in the row."""
        found = {}
        for variant in group:
            token = f" {variant} "
            weight = (
                (TITLE_WEIGHT if token in row[TITLE_TERMS] else 0.0)
                + (BODY_WEIGHT if token in row[BODY_TERMS] else 0.0)
                + (VOCABULARY_WEIGHT if token in row[VOCABULARY_TERMS] else 0.0)
            )
            if weight:
                found[variant] = weight
        return found

    @staticmethod
    def slot_mask(query: SearchQuery) -> int:
        """The availability bits any of the chosen days/times sets (0 when none chosen)."""
        if query.days and query.parts:
            return slots_to_mask(f"{d}-{p}" for d in query.days for p in query.parts)
        mask = 0
        for day in query.days:
            mask |= day_mask(day)
        for part in query.parts:
            mask |= part_mask(part)
        return mask

    @staticmethod
    def text_shares(kept, groups) -> list[float]:
        """Each kept row's text weight as a share of the best one's (1.0 for all without words)."""
        # One rarity weight per query word (its spelling, typo fixes and synonyms together), so a
        # synonym in a listing's title counts as much as the literal word would.
        if not groups:
            return [1.0] * len(kept)
        idf = []
        total = len(kept)
        for index in range(len(groups)):
            df = sum(1 for _, _, matches in kept if matches[index])
            idf.append(math.log(1 + (total - df + 0.5) / (df + 0.5)))
        raw_text = [
            sum(idf[i] * max(m.values(), default=0.0) for i, m in enumerate(matches))
            for _, _, matches in kept
        ]
        best_text = max(raw_text, default=1.0) or 1.0
        return [text / best_text for text in raw_text]

    def _score(self, kept, query: SearchQuery, groups, shares=None):
        """(row, score, distance, rotation) for every kept row (`shares`: from text_shares)."""
        shares = self.text_shares(kept, groups) if shares is None else shares
        now = query.today
        requested = [f" {s} " for s in query.outcomes]
        scored = []
        for (row, distance, _), text_share in zip(kept, shares, strict=True):
            fit = sum(1 for s in requested if s in row[OUTCOMES]) / len(requested) if requested else 1.0
            age_days = now.toordinal() - row[CONFIRMED]
            score = text_share * distance_factor(distance) * freshness_factor(age_days) * (0.5 + 0.5 * fit)
            scored.append((row, score, distance, rotation_key(row[ID], now)))
        return scored

    @staticmethod
    def _facets(rows, query: SearchQuery) -> dict[str, dict[str, int]]:
        # Listings share a few combinations of terms and of availability: count each distinct
        # combination once, then spread its count over its terms (same figures, same key order).
        counts = {name: Counter() for name in FACETS}
        columns = (
            ("outcome", OUTCOMES),
            ("category", CATEGORIES),
            ("for", AUDIENCES),
            ("access", ACCESS),
            ("language", LANGUAGES),
            ("runner", RUNNER),
        )
        combinations = {name: Counter() for name, _ in columns}
        masks = Counter()
        taking = verified = 0
        today = query.today
        for row in rows:
            for name, column in columns:
                combinations[name][row[column]] += 1
            masks[row[AVAILABILITY]] += 1
            if row[INTAKE] == "taking":
                taking += 1
            if row[VERIFIED_UNTIL] is not None and row[VERIFIED_UNTIL] >= today:
                verified += 1
        for name, _ in columns:
            counter = counts[name]
            for combination, n in combinations[name].items():
                for value in combination.split():
                    counter[value] += n
        for mask, n in masks.items():
            for day, bits in DAY_MASKS:
                if mask & bits:
                    counts["day"][day] += n
            for part, bits in PART_MASKS:
                if mask & bits:
                    counts["time"][part] += n
        if taking:
            counts["taking_new"]["true"] = taking
        if verified:
            counts["verified"]["true"] = verified
        return {name: dict(counter) for name, counter in counts.items()}

    @staticmethod
    def _hit(row, score, distance, query: SearchQuery, labels) -> SearchHit:
        outcome_slugs = row[OUTCOMES].split()
        return SearchHit(
            listing_id=row[ID],
            public_id=str(uuid.UUID(str(row[PUBLIC_ID]))),
            title=row[TITLE],
            url=row[URL],
            summary=row[SUMMARY],
            provider_name=row[PROVIDER],
            outcomes=[(slug, labels.get(slug, slug)) for slug in outcome_slugs],
            price_per_hour_pence=row[PRICE],
            intake=row[INTAKE],
            verified=row[VERIFIED_UNTIL] is not None and row[VERIFIED_UNTIL] >= query.today,
            stale=freshness_factor(query.today.toordinal() - row[CONFIRMED]) < 1,
            latitude=row[LAT],
            longitude=row[LON],
            distance_miles=shown_distance(distance),
            score=score,
            matched_outcomes=[s for s in outcome_slugs if s in query.outcomes],
            anywhere=bool(row[ANYWHERE]),
            price=shown_price_from(
                {
                    "price_pence": row[SHOWN_PRICE],
                    "price_unit": row[SHOWN_UNIT],
                    "price_unit_minutes": row[SHOWN_MINUTES],
                    "price_count": row[PRICE_COUNT],
                }
            ),
        )

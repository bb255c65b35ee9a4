"""The embedded search backend: no server, the site's own database.

The plan follows how people search here — nearly always near a place:
1. Candidates come from the place first: the grid cells that cover the search circle (an
   indexed integer column), plus listings that name the searcher's postcode district as served.
   So the work grows with how many listings are *nearby*, not with the size of the country.
   With words as well as a place (SQLite), the FTS5 rows also carry place tokens (grid cell,
   districts served), so only rows with one of the words *and* near here are read at all.
   Without a place, candidates come from the full-text index (SQLite FTS5, or PostgreSQL full
   text), so only listings containing a query word are read.
2. Filters, exact distance, service-area eligibility and text matching run over those
   candidates in Python, on analysed terms stored with each document.
3. Relevance uses inverse document frequency over the candidate set, so a word common in this
   area counts for less; then distance, fit and freshness; ties rotate daily.
"""

import heapq
import math
import time
import uuid
from collections import Counter

from django.db import connection, transaction
from django.db.models import F, IntegerField, Q, TextField, Value
from django.db.models.expressions import RawSQL

from directory import geo
from directory.fields import DAYS, PARTS, day_mask, part_mask, slots_to_mask
from directory.models import Outcome

from .. import text as analysis
from ..documents import build_document, listing_documents
from ..models import SearchDocument, SearchServedDistrict, SearchWord, cell_of, cells_covering
from ..query import SearchQuery
from ..synonyms import SYNONYM_GROUPS
from .base import (
    FACETS,
    BaseSearchBackend,
    SearchHit,
    SearchResults,
    distance_factor,
    freshness_factor,
    rotation_key,
    shown_distance,
)

# A word in the listing's own title counts most, then its own description, then the words of
# the vocabulary terms it is tagged with (so tagging alone never outranks saying it).
DAY_MASKS = [(day, day_mask(day)) for day, _ in DAYS]
PART_MASKS = [(part, part_mask(part)) for part, _ in PARTS]
TITLE_WEIGHT = 3.0
BODY_WEIGHT = 2.0
VOCABULARY_WEIGHT = 1.0
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
)
(ID, PUBLIC_ID, TITLE, URL, SUMMARY, PROVIDER, LAT, LON, RADIUS, DISTRICTS, TITLE_TERMS, VOCABULARY_TERMS,
 BODY_TERMS, OUTCOMES, CATEGORIES, AUDIENCES, LANGUAGES, AVAILABILITY, PRICE, INTAKE, VERIFIED_UNTIL,
 CONFIRMED, ACCESS, ANYWHERE, RUNNER) = range(len(COLUMNS))  # fmt: skip
# What a page of results shows, read for that page's rows only (not for every candidate).
SHOWN = ("public_id", "title", "url", "summary", "provider_name", "price_per_hour_pence")
# The analysed text, read only when the query has words.
TERMS = ("title_terms", "vocabulary_terms", "body_terms")
# Where a token is in a column, per database (0 when absent); constant column names only.
WEIGHT_SQL = {"sqlite": "instr({column}, %s)", "postgresql": "strpos({column}, %s)"}


def marker(index: int) -> str:
    """The token standing for synonym group `index` (alphanumeric so full-text indexes keep it)."""
    return f"qqsyn{index}"


# The full-text token of listings available anywhere, so "these words near here" finds them too.
ANYWHERE_TOKEN = "qqanywhere"  # noqa: S105 (a search token, not a secret)


def place_tokens(cells, districts) -> list[str]:
    """Full-text tokens for grid cells ("c534987") and served postcode districts ("dbl3")."""
    return [f"c{cell}" for cell in cells] + [f"d{code.lower()}" for code in districts]


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
            "availability": doc["availability"],
            "price_per_hour_pence": doc["price_per_hour_pence"],
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

    def index_documents(self, docs: list[dict]) -> None:
        """Write prepared documents (see search.documents.build_document)."""
        with transaction.atomic():
            fts_rows = []
            for doc in docs:
                fields = self._document_fields(doc)
                SearchDocument.objects.update_or_create(listing_id=doc["id"], defaults=fields)
                SearchServedDistrict.objects.filter(listing_id=doc["id"]).delete()
                self._write_districts([doc])
                fts_rows.append((doc["id"], self._fts_text(fields)))
            self._write_fts(fts_rows)
            self._remember_words(docs)

    def remove_listing(self, listing_id: int) -> None:
        """Drop one listing from the index."""
        with transaction.atomic():
            SearchDocument.objects.filter(listing_id=listing_id).delete()
            SearchServedDistrict.objects.filter(listing_id=listing_id).delete()
            if connection.vendor == "sqlite":
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [listing_id])  # noqa: S608

    def rebuild(self, listings=None, *, progress=None, batch_size=500) -> int:
        """Replace the index with every live listing, in batches."""
        queryset = listing_documents(listings).order_by("pk")
        total = queryset.count()
        with transaction.atomic():
            SearchDocument.objects.all().delete()
            SearchServedDistrict.objects.all().delete()
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
        self._remember_words(docs)

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
    def required_matches(group_count: int) -> int:
        """How many query words must match: all of one or two, three quarters of more."""
        return group_count if group_count <= 2 else math.ceil(group_count * 0.75)

    # --- candidates ----------------------------------------------------------------------

    def _text_filter(self, variants: set[str], *, places=()):
        if connection.vendor == "sqlite":
            expression = " OR ".join(f'"{v}"' for v in sorted(variants))
            if places:
                expression = f"({expression}) AND ({' OR '.join(places)})"
            # The expression is a parameter; only our own constant table name is interpolated.
            sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
            return Q(pk__in=RawSQL(sql, [expression]))  # noqa: S611
        if connection.vendor == "postgresql":
            expression = " | ".join(sorted(variants))
            return Q(
                pk__in=RawSQL(
                    "SELECT listing_id FROM search_searchdocument WHERE "
                    "to_tsvector('simple', title_terms || ' ' || vocabulary_terms || ' ' || body_terms) "
                    "@@ to_tsquery('simple', %s)",
                    [expression],
                )
            )
        # Any other database: substring scan (correct, slower).
        q = Q()
        for v in variants:
            for column in ("title_terms", "vocabulary_terms", "body_terms"):
                q |= Q(**{f"{column}__contains": f" {v} "})
        return q

    def _candidates(self, query: SearchQuery, groups):
        documents = SearchDocument.objects.all()
        # Cheap, selective filters go to the database on every path.
        if query.taking_new:
            documents = documents.filter(intake="taking")
        if query.verified:
            documents = documents.filter(verified_until__gte=query.today)
        if query.max_price_pence is not None:
            documents = documents.filter(price_per_hour_pence__lte=query.max_price_pence)
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
            serving = SearchServedDistrict.objects.filter(code__in=query.area_districts).values("listing_id")
            documents = documents.filter(
                Q(district__in=query.area_districts) | Q(listing_id__in=serving) | Q(anywhere=True)
            )
        location = query.location
        if location is not None:
            min_lat, max_lat, min_lon, max_lon = geo.bounding_box(
                location.latitude, location.longitude, query.radius_miles
            )
            cells = cells_covering(min_lat, max_lat, min_lon, max_lon)
            # The cell narrows by index; the exact box trims the cells' corners.
            near = Q(cell__in=cells, latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon))
            if location.district_code:
                near |= Q(
                    listing_id__in=SearchServedDistrict.objects.filter(code=location.district_code).values(
                        "listing_id"
                    )
                )
            # Available anywhere: no place of its own, so found from every place.
            documents = documents.filter(near | Q(anywhere=True))
            if groups and connection.vendor == "sqlite":
                # Only rows with one of the words *and* near here: cost follows nearby matches.
                districts = [location.district_code] if location.district_code else []
                documents = documents.filter(
                    self._text_filter(
                        set().union(*groups), places=[*place_tokens(cells, districts), ANYWHERE_TOKEN]
                    )
                )
        elif groups:
            documents = documents.filter(self._text_filter(set().union(*groups)))
        else:
            for name, values in (("outcomes", query.outcomes), ("categories", query.categories)):
                if values:
                    any_of = Q()
                    for value in values:
                        any_of |= Q(**{f"{name}__contains": f" {value} "})
                    documents = documents.filter(any_of)
        # A plain cursor: the ORM's per-value converters cost more than the search itself here.
        # Columns nobody reads at this stage come back as NULL: what a page shows is read for
        # that page only (_shown), and the long analysed text only when there are words.
        weighed = groups and connection.vendor in WEIGHT_SQL
        skipped = SHOWN if groups and not weighed else (*SHOWN, *TERMS)
        columns = [Value(None, output_field=TextField()) if c in skipped else F(c) for c in COLUMNS]
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
        required = self.required_matches(len(groups))
        location = query.location
        slot_mask = self.slot_mask(query)
        wanted = {
            column: [f" {s} " for s in chosen]
            for column, chosen in (
                (OUTCOMES, query.outcomes),
                (CATEGORIES, query.categories),
                (AUDIENCES, query.audiences),
                (LANGUAGES, query.languages),
            )
            if chosen
        }
        district = f" {location.district_code} " if location and location.district_code else None

        if groups and connection.vendor in WEIGHT_SQL:
            positions = {v: len(COLUMNS) + i for i, v in enumerate(self.variants(groups))}

            def match(group, row):
                return {v: row[positions[v]] for v in group if row[positions[v]]}
        else:
            match = self._match
        kept = []  # (row, distance, weights per variant per group)
        for row in self._candidates(query, groups):
            if wanted and any(not any(v in row[col] for v in values) for col, values in wanted.items()):
                continue
            if slot_mask and not row[AVAILABILITY] & slot_mask:
                continue
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

        # Enough of the words must match; if no listing has enough, show those with some of
        # them rather than nothing (and say so), because an empty page helps nobody.
        relaxed = False
        if groups:
            enough = [k for k in kept if sum(1 for m in k[2] if m) >= required]
            relaxed = not enough and bool(kept)
            kept = kept if relaxed else enough
        scored = self._score(kept, query, groups)
        facets = self._facets([row for row, *_ in kept], query)
        if query.sort == "distance" and location is not None:

            def order(s):
                return (s[2] if s[2] is not None else math.inf, s[3])
        else:

            def order(s):
                return (-round(s[1], 9), s[3])

        start = (query.page - 1) * query.per_page
        # The first pages of a long list: a bounded heap gives exactly sorted(...)[:n].
        page = heapq.nsmallest(start + query.per_page, scored, key=order)[start:]
        labels = outcome_labels()
        shown = self._shown([row[ID] for row, *_ in page])
        hits = [
            self._hit(self._with_shown(row, shown), score, distance, query, labels)
            for row, score, distance, _ in page
        ]
        return SearchResults(
            query=query, count=len(scored), hits=hits, facets=facets, backend=self.name, relaxed=relaxed
        )

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

    def _score(self, kept, query: SearchQuery, groups):
        """(row, score, distance, rotation) for every kept row."""
        # One rarity weight per query word (its spelling, typo fixes and synonyms together), so a
        # synonym in a listing's title counts as much as the literal word would.
        idf = []
        if groups:
            total = len(kept)
            for index in range(len(groups)):
                df = sum(1 for _, _, matches in kept if matches[index])
                idf.append(math.log(1 + (total - df + 0.5) / (df + 0.5)))
        raw_text = [
            sum(idf[i] * max(m.values(), default=0.0) for i, m in enumerate(matches)) if groups else 1.0
            for _, _, matches in kept
        ]
        best_text = max(raw_text, default=1.0) or 1.0
        now = query.today
        requested = [f" {s} " for s in query.outcomes]
        scored = []
        for (row, distance, _), text_score in zip(kept, raw_text, strict=True):
            fit = sum(1 for s in requested if s in row[OUTCOMES]) / len(requested) if requested else 1.0
            age_days = (now - row[CONFIRMED].date()).days
            score = (
                (text_score / best_text)
                * distance_factor(distance)
                * freshness_factor(age_days)
                * (0.5 + 0.5 * fit)
            )
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
            stale=freshness_factor((query.today - row[CONFIRMED].date()).days) < 1,
            latitude=row[LAT],
            longitude=row[LON],
            distance_miles=shown_distance(distance),
            score=score,
            matched_outcomes=[s for s in outcome_slugs if s in query.outcomes],
            anywhere=bool(row[ANYWHERE]),
        )

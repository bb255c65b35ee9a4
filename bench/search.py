"""Search benchmark: latency of the search service call at 10k and 100k listings.

Run `python -m bench.search` (see bench/README.md). For each size it builds (or reuses) a
SQLite file under /tmp filled with synthetic listings (bench.search_data), then times, on the
same queries and the same data:

- the embedded database backend's whole call, `get_search_backend("database").search(query)`:
  text + place + radius + two filters, with facet counts (the backend always computes them);
- baseline (a), the naive way: Django `icontains` over every listing's title and description,
  the two filters in the ORM, then Python distance over every row the text matched (no
  bounding box) and facet counts in Python;
- baseline (b), Wagtail's own database search backend (`.search()` on ListingPage, SQLite
  FTS5) over real pages, then the same Python filters, distance and facets;
- the Elasticsearch backend when ELASTICSEARCH_URL is set.

The place is given as coordinates (`search.query.Location`), as search.services.search_listings
passes it after geocoding: the synthetic towns are not in the postcode table, so geocoding is
bypassed and the backend is called directly. Everything else is the production code path.

Each database is built in its own process (`--worker`), because Django reads DATABASE_URL
once, at start-up; the parent process prints the figures.
"""

import argparse
import functools
import hashlib
import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from importlib import metadata
from pathlib import Path

from . import _django, search_engines

RESULT_PREFIX = "BENCH-RESULT "
PAGE_SIZE = 20
LOAD_BATCH = 1_000
TARGET_P95_MS = 50.0
TARGET_RATIO = 5.0
TARGET_GROWTH = 2.0
# Timed calls per shape (search_data.SHAPES), and --shapes-only (skip the classic mix).
SHAPE_COUNT = int(os.environ.get("BENCH_SHAPE_COUNT", "30"))
SHAPES_ONLY = os.environ.get("BENCH_SHAPES_ONLY") == "1"
# Distinct estimated queries per shape whose "about N" is compared with the exhaustive count.
ABOUT_CHECKS = 5


def database_path(kind: str, size: int) -> Path:
    """Where the SQLite file for one kind of data set and size lives."""
    name = f"lsm-bench-{size}" if kind == "database" else f"lsm-bench-{kind}-{size}"
    return Path(os.environ.get("BENCH_DIR") or tempfile.gettempdir()) / f"{name}.sqlite3"


def code_fingerprint(kind: str) -> str:
    """A hash of the code that decides what a stored benchmark database holds.

    A stored database is reused only when that code is unchanged; otherwise it would measure
    yesterday's index. The search index depends on the generator, the document builder, the
    backend's indexing and the text analysis; Wagtail's pages only on the generator and the
    directory's schema and seeded vocabularies.
    """
    root = _django.PROJECT_ROOT
    files = [
        root / "bench" / "search_data.py",
        *sorted((root / "directory" / "migrations").glob("*.py")),
        *sorted((root / "directory" / "data").glob("*.json")),
    ]
    if kind == "database":
        files += [
            *(root / "search" / name for name in ("documents.py", "models.py", "synonyms.py", "text.py")),
            root / "search" / "backends" / "database.py",
            *sorted((root / "search" / "migrations").glob("*.py")),
        ]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        content = path.read_bytes()
        if path.name == "database.py":
            # Only its indexing half decides what the index holds; the query half (below this
            # marker) can change without rebuilding 100k listings.
            content = content.split(b"# --- query analysis")[0]
        digest.update(content)
    return digest.hexdigest()[:16]


def expected_meta(kind: str, size: int, seed: int) -> dict[str, str]:
    """The marker a stored database must carry to be reused for this run."""
    from .search_data import GENERATOR_VERSION

    return {
        "kind": kind,
        "size": str(size),
        "seed": str(seed),
        "generator": str(GENERATOR_VERSION),
        "code": code_fingerprint(kind),
    }


def log(message: str) -> None:
    """Progress for people watching; figures go to stdout only."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def percentile(values, pct: int) -> float:
    """The `pct`th percentile (inclusive method: never beyond the largest sample)."""
    values = list(values)
    if len(values) < 2:
        return float(values[0]) if values else math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    return percentile(ms, 50), percentile(ms, 95)


def short_size(size: int) -> str:
    """10000 -> "10k", 2500 -> "2500"."""
    return f"{size // 1000}k" if size % 1000 == 0 else str(size)


# --- Naive baseline (a) ------------------------------------------------------------------


@functools.cache
def naive_model():
    """A plain table of each listing's raw text and facts, for the naive baseline.

    Unmanaged (no migration): the benchmark creates it with the schema editor in its own
    database only. Declared lazily because a model needs Django set up.
    """
    from django.db import models

    class NaiveListing(models.Model):
        id = models.BigIntegerField(primary_key=True)
        title = models.CharField(max_length=255)
        description = models.TextField()
        latitude = models.FloatField()
        longitude = models.FloatField()
        # Space-padded slugs, so " slug " containment is an exact membership test.
        outcomes = models.TextField()
        categories = models.TextField()
        audiences = models.TextField()
        languages = models.TextField()
        availability = models.PositiveIntegerField()
        price_per_hour_pence = models.PositiveIntegerField(null=True)
        intake = models.CharField(max_length=20)
        verified_until = models.DateField(null=True)

        class Meta:
            app_label = "search"
            managed = False
            db_table = "bench_naive_listing"

        def __str__(self):
            return self.title

    return NaiveListing


def naive_row(doc: dict):
    """The naive table's row for one document: the raw text, no analysis."""
    from search.backends.database import padded

    return naive_model()(
        id=doc["id"],
        title=doc["title"],
        description=doc["body_text"],
        latitude=doc["latitude"],
        longitude=doc["longitude"],
        outcomes=padded(doc["outcomes"]),
        categories=padded(doc["categories"]),
        audiences=padded(doc["audiences"]),
        languages=padded(doc["languages"]),
        availability=doc["availability"],
        price_per_hour_pence=doc["price_per_hour_pence"],
        intake=doc["intake"],
        verified_until=doc["verified_until"],
    )


def python_facets(rows, today: date) -> dict[str, dict[str, int]]:
    """Facet counts over (outcomes, categories, audiences, languages, availability, intake,
    verified_until) tuples, as the backends report them."""
    from directory.fields import DAYS, PARTS, day_mask, part_mask

    day_masks = [(d, day_mask(d)) for d, _ in DAYS]
    part_masks = [(p, part_mask(p)) for p, _ in PARTS]
    counts = {name: Counter() for name in ("outcome", "category", "for", "day", "time", "language")}
    taking = verified = 0
    for outcomes, categories, audiences, languages, availability, intake, verified_until in rows:
        counts["outcome"].update(outcomes)
        counts["category"].update(categories)
        counts["for"].update(audiences)
        counts["language"].update(languages)
        counts["day"].update(d for d, m in day_masks if availability & m)
        counts["time"].update(p for p, m in part_masks if availability & m)
        taking += intake == "taking"
        verified += verified_until is not None and verified_until >= today
    facets = {name: dict(c) for name, c in counts.items()}
    facets["taking_new"] = {"true": taking} if taking else {}
    facets["verified"] = {"true": verified} if verified else {}
    return facets


def slot_mask(query) -> int:
    """The availability bits a query's day/time filters ask for (any of them)."""
    from directory.fields import day_mask, part_mask

    mask = 0
    for day in query.days:
        mask |= day_mask(day)
    for part in query.parts:
        mask |= part_mask(part)
    return mask


def naive_search(query) -> int:
    """Baseline (a): icontains per meaningful word, ORM filters, Python distance and facets.

    Fair to it: with a place, only rows inside the search circle's bounding box are read, by
    an index on latitude (bench_naive_latitude), as anyone would write it; with no place it
    has no choice but to read every row that passes the filters. Returns the number of
    results (a page of hits is cut too, as a results page would).
    """
    from django.db.models import F, Q

    from directory import geo
    from search import text as analysis

    qs = naive_model().objects.all()
    location = query.location
    if location is not None:
        min_lat, max_lat, min_lon, max_lon = geo.bounding_box(
            location.latitude, location.longitude, query.radius_miles
        )
        qs = qs.filter(latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon))
    for word in analysis.query_words(query.text):
        qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word))
    for slug in query.outcomes:
        qs = qs.filter(outcomes__contains=f" {slug} ")
    for slug in query.categories:
        qs = qs.filter(categories__contains=f" {slug} ")
    if query.taking_new:
        qs = qs.filter(intake="taking")
    if query.max_price_pence is not None:
        qs = qs.filter(price_per_hour_pence__lte=query.max_price_pence)
    if query.verified:
        qs = qs.filter(verified_until__gte=query.today)
    mask = slot_mask(query)
    if mask:
        qs = qs.annotate(slots=F("availability").bitand(mask)).filter(slots__gt=0)
    kept = []
    for row in qs.values_list(
        "id", "latitude", "longitude", "outcomes", "categories", "audiences", "languages",
        "availability", "intake", "verified_until",
    ):  # fmt: skip
        if location is None:
            kept.append((row[0], row))
            continue
        distance = geo.distance_miles(location.latitude, location.longitude, row[1], row[2])
        if distance <= query.radius_miles:
            kept.append((distance, row))
    python_facets(
        ((r[3].split(), r[4].split(), r[5].split(), r[6].split(), r[7], r[8], r[9]) for _, r in kept),
        query.today,
    )
    kept.sort(key=lambda item: item[0])
    _page = kept[:PAGE_SIZE]
    return len(kept)


# --- Embedded backend: load and measure ----------------------------------------------------


def load_database(size: int, seed: int, today: date) -> dict:
    """Fill the (freshly migrated) database: the backend's index and the naive table."""
    from django.db import connection, transaction

    from search.backends.database import DatabaseSearchBackend

    from . import search_data

    vocab = search_data.load_vocabularies()
    backend = DatabaseSearchBackend()
    naive = naive_model()
    with connection.schema_editor() as editor:
        editor.create_model(naive)
    timings = Counter()
    batch: list = []

    def flush():
        started = time.perf_counter()
        docs = [search_data.document(listing, vocab) for listing in batch]
        timings["documents_s"] += time.perf_counter() - started
        # The production indexing path: SearchDocument rows, FTS5 rows, served districts and
        # the SearchWord dictionary, written exactly as `rebuild_search_index` writes them.
        started = time.perf_counter()
        with transaction.atomic():
            backend._bulk_insert(docs)
        timings["index_s"] += time.perf_counter() - started
        started = time.perf_counter()
        with transaction.atomic():
            naive.objects.bulk_create([naive_row(doc) for doc in docs], batch_size=500)
        timings["naive_s"] += time.perf_counter() - started
        batch.clear()

    started = time.perf_counter()
    for listing in search_data.generate(size, seed, vocab, today):
        batch.append(listing)
        if len(batch) == LOAD_BATCH:
            flush()
            if listing.id % 10_000 == 0:
                log(f"size={size}: {listing.id} listings loaded ({time.perf_counter() - started:.0f}s)")
    if batch:
        flush()
    timings["load_s"] = time.perf_counter() - started
    # What is left is generating the listings themselves.
    timings["generate_s"] = timings["load_s"] - sum(timings[k] for k in ("documents_s", "index_s", "naive_s"))
    return {k: round(v, 1) for k, v in timings.items()}


def prepare_database(size: int, seed: int, fresh: bool) -> tuple[date, dict, bool]:
    """Reuse the stored database when it holds this data set; otherwise build it.

    Returns (the data's reference date, load timings, whether it was reused).
    """
    from django.utils import timezone

    from search.models import SearchDocument

    path = database_path("database", size)
    expected = expected_meta("database", size, seed)
    if path.exists() and not fresh:
        try:
            meta = _django.read_meta()
            if (
                all(meta.get(k) == v for k, v in expected.items())
                and SearchDocument.objects.count() == size
                and naive_model().objects.count() == size
            ):
                timings = json.loads(meta.get("timings", "{}"))
                return date.fromisoformat(meta["today"]), timings, True
        except Exception as exc:  # noqa: BLE001 - any damage means "rebuild"
            log(f"size={size}: stored database unusable ({exc}); rebuilding")
    log(f"size={size}: building {path} (migrate, generate, index)")
    _django.reset_database(path)
    today = timezone.localdate()
    timings = load_database(size, seed, today)
    _django.write_meta({**expected, "today": today.isoformat(), "timings": json.dumps(timings)})
    return today, timings, False


def national_matches(groups) -> int:
    """Listings anywhere in the country whose terms contain every query word (any variant)."""
    from django.db import connection

    from search.backends.database import FTS_TABLE

    if not groups:
        return 0
    expression = " AND ".join("(" + " OR ".join(f'"{v}"' for v in sorted(g)) + ")" for g in groups)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [expression])  # noqa: S608
        return cursor.fetchone()[0]


def time_calls(call, bench_queries, warmup: int) -> dict[str, list]:
    """Run `call(query)` on the warm-up queries untimed, then time each of the rest.

    Returns wall-clock seconds ("wall", the figure the targets are about), this process's CPU
    seconds ("cpu": the same work without the time spent waiting for a core, which on a
    shared machine is the steadier figure) and what each call returned ("counts").
    """
    for bq in bench_queries[:warmup]:
        call(bq.query)
    timing = {"wall": [], "cpu": [], "counts": []}
    for bq in bench_queries[warmup:]:
        started, cpu_started = time.perf_counter(), time.process_time()
        count = call(bq.query)
        timing["cpu"].append(time.process_time() - cpu_started)
        timing["wall"].append(time.perf_counter() - started)
        timing["counts"].append(count)
    return timing


def nearby_listings(query) -> int:
    """Listings within the search radius of the place, whatever they say (outside the timings)."""
    from django.db import connection

    from directory import geo

    location = query.location
    box = geo.bounding_box(location.latitude, location.longitude, query.radius_miles)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT latitude, longitude FROM search_searchdocument "
            "WHERE latitude BETWEEN %s AND %s AND longitude BETWEEN %s AND %s",
            list(box),
        )
        return sum(
            1
            for lat, lon in cursor.fetchall()
            if geo.distance_miles(location.latitude, location.longitude, lat, lon) <= query.radius_miles
        )


def naive_index() -> None:
    """The naive baseline's index on latitude (made once; a reused database may predate it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE INDEX IF NOT EXISTS bench_naive_latitude ON bench_naive_listing (latitude)")


def measure_shapes(size: int, seed: int, today: date, count: int) -> dict:
    """Every shape of search_data.SHAPES: the engine call, the whole request (the API view
    through Django's test client: middleware, geocoding the town's Place, the engine, JSON)
    and the naive baseline, `count` of each after 3 untimed; same queries for all three."""
    from django.conf import settings
    from django.test import Client

    from search.backends import get_search_backend

    from . import pages, search_data

    pages._places(search_data.town_count(size))
    settings.SEARCH_API_RATE_LIMIT_PER_MINUTE = 0
    backend = get_search_backend("database")
    exhaustive = type(backend)()  # its own instance: get_search_backend shares one
    exhaustive.exhaustive = True
    client = Client()
    by_shape: dict[str, list] = {}
    for label, query, url in search_data.shape_queries(size, count + 3, seed, today):
        by_shape.setdefault(label, []).append((query, url))
    result = {}
    for label, items in by_shape.items():
        log(f"size={size}: shape {label!r}")
        engine, engine_cpu, request, naive, counts, estimated = [], [], [], [], [], 0
        about_errors, checked = [], set()
        for n, (query, url) in enumerate(items):
            started, cpu_started = time.perf_counter(), time.process_time()
            found = backend.search(query)
            engine_s = time.perf_counter() - started
            # CPU time of this process (the database is in it): steadier than wall time under load.
            engine_cpu_s = time.process_time() - cpu_started
            started = time.perf_counter()
            response = client.get(url)
            request_s = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"{url} answered {response.status_code}: {response.content[:200]!r}")
            started = time.perf_counter()
            naive_search(query)
            naive_s = time.perf_counter() - started
            if n >= 3:
                engine.append(engine_s)
                engine_cpu.append(engine_cpu_s)
                request.append(request_s)
                naive.append(naive_s)
                counts.append(found.count)
                estimated += found.total_is_estimate
                if found.total_is_estimate and len(checked) < ABOUT_CHECKS and url not in checked:
                    # How far "about N" is from the exact count (untimed: every match read).
                    checked.add(url)
                    about_errors.append(found.count / exhaustive.search(query).count - 1)
        result[label] = {
            "engine": engine,
            "engine_cpu": engine_cpu,
            "request": request,
            "naive": naive,
            "count_mean": statistics.fmean(counts),
            "estimated": estimated / len(counts),
            "about_errors": about_errors,
        }
    return result


def database_worker(size: int, seed: int, count: int, warmup: int, fresh: bool) -> dict:
    """Build or reuse the database for `size`, then time the backend and the naive baseline."""
    from search.backends import get_search_backend

    from . import search_data

    today, timings, reused = prepare_database(size, seed, fresh)
    naive_index()
    if SHAPES_ONLY:
        return {"size": size, "shapes": measure_shapes(size, seed, today, SHAPE_COUNT)}
    bench_queries = search_data.queries(size, warmup + count, seed, today)
    backend = get_search_backend("database")

    def backend_call(query):
        return backend.search(query).count

    log(f"size={size}: timing the database backend on {count} queries")
    timed = time_calls(backend_call, bench_queries, warmup)
    log(f"size={size}: timing the naive baseline on {count} queries")
    naive = time_calls(naive_search, bench_queries, warmup)

    # Context, outside the timings: how many rows the backend reads for each query, how many
    # listings are within the radius at all, and how many in the whole country contain the
    # query words. The backend's cost should follow the first two, never the third.
    candidates, nearby, national = [], [], []
    for bq in bench_queries[warmup:]:
        groups = backend.term_groups(bq.query.text)
        candidates.append(len(backend._candidates(bq.query, groups)))
        nearby.append(nearby_listings(bq.query))
        national.append(national_matches(groups))
    by_filters: dict[str, list[float]] = {}
    for bq, sample in zip(bench_queries[warmup:], timed["wall"], strict=True):
        by_filters.setdefault(bq.filters, []).append(sample)

    result = {
        "size": size,
        "reused": reused,
        "timings": timings,
        "wall": timed["wall"],
        "cpu": timed["cpu"],
        "naive_wall": naive["wall"],
        "naive_cpu": naive["cpu"],
        "results_mean": statistics.fmean(timed["counts"]),
        "results_p95": percentile(timed["counts"], 95),
        "naive_results_mean": statistics.fmean(naive["counts"]),
        "candidates_mean": statistics.fmean(candidates),
        "candidates_p95": percentile(candidates, 95),
        "nearby_mean": statistics.fmean(nearby),
        "nearby_p95": percentile(nearby, 95),
        "national_matches_mean": statistics.fmean(national),
        "p95_by_filters": {k: percentiles(v)[1] for k, v in by_filters.items()},
        "towns": search_data.town_count(size),
        "loadavg": os.getloadavg()[0],
    }
    result["shapes"] = measure_shapes(size, seed, today, SHAPE_COUNT)
    result["elasticsearch"] = elasticsearch_measure(size, seed, today, bench_queries, warmup)
    result["engines"] = search_engines.measure(size, seed, today, bench_queries, warmup, time_calls)
    return result


# --- Elasticsearch -------------------------------------------------------------------------


def elasticsearch_measure(size: int, seed: int, today: date, bench_queries, warmup: int) -> dict:
    """Time the Elasticsearch backend on the same data when a cluster is configured.

    The index is loaded the way the backend's own `rebuild` loads it (ListingDocument from
    each document dict, bulk requests), but from the synthetic documents, since there are no
    pages behind them.
    """
    if not os.environ.get("ELASTICSEARCH_URL"):
        return {"skipped": "ELASTICSEARCH_URL-not-set"}
    from django.conf import settings

    from search.backends import get_search_backend, reset_backends

    from . import search_data

    settings.ELASTICSEARCH_URL = os.environ["ELASTICSEARCH_URL"]
    settings.ELASTICSEARCH_INDEX = f"bench-listings-{size}"
    reset_backends()
    try:
        from elasticsearch.helpers import bulk

        from search.backends.elasticsearch import ListingDocument

        backend = get_search_backend("elasticsearch")
        client = backend._client()
        index = backend._index(client)
        client.options(ignore_status=404).indices.delete(index=backend.index_name)
        index.create()
        vocab = search_data.load_vocabularies()
        started = time.perf_counter()
        actions = []
        for listing in search_data.generate(size, seed, vocab, today):
            doc = search_data.document(listing, vocab)
            source = ListingDocument.from_document(doc).to_dict()
            actions.append({"_index": backend.index_name, "_id": doc["id"], "_source": source})
            if len(actions) == LOAD_BATCH:
                bulk(client, actions)
                actions = []
        if actions:
            bulk(client, actions)
        index.refresh()
        load_s = time.perf_counter() - started
        # The backend answers from the database when the cluster fails; that must not pass
        # for an Elasticsearch figure.
        if backend.search(bench_queries[0].query).backend != "elasticsearch":
            return {"skipped": "fell-back-to-database"}
    except Exception as exc:  # noqa: BLE001 - report why, never lose the database figures
        return {"skipped": f"failed:{type(exc).__name__}"}
    timed = time_calls(lambda q: backend.search(q).count, bench_queries, warmup)
    return {
        "wall": timed["wall"],
        "cpu": timed["cpu"],
        "results_mean": statistics.fmean(timed["counts"]),
        "load_s": round(load_s, 1),
    }


# --- Wagtail's database search backend (b) ------------------------------------------------


def _page_for(listing, parent_objects, provider):
    """An unsaved ListingPage carrying the same facts as the synthetic listing."""
    import uuid

    from directory.models import ListingPage, ListingPrice

    outcomes, categories, audiences, languages = parent_objects
    page = ListingPage(
        title=listing.title,
        slug=listing.slug,
        provider=provider,
        summary=listing.summary,
        description=listing.html,
        # A well-formed postcode that is not in the table: save() keeps our coordinates.
        base_postcode="ZZ9 9ZZ",
        latitude=listing.latitude,
        longitude=listing.longitude,
        service_radius_miles=listing.radius_miles,
        availability=listing.availability,
        intake=listing.intake,
        last_confirmed_at=listing.last_confirmed_at,
        public_id=uuid.UUID(listing.public_id),
    )
    page.outcomes = [outcomes[s] for s in listing.outcomes]
    page.categories = [categories[s] for s in listing.categories]
    page.audiences = [audiences[s] for s in listing.audiences]
    page.languages = [languages[c] for c in listing.languages]
    if listing.price_per_hour_pence is not None:
        price = ListingPrice(
            description="Support", unit=ListingPrice.Unit.HOUR, weekday_pence=listing.price_per_hour_pence
        )
        page.prices = [price]
    return page


def load_wagtail(size: int, seed: int, today: date, budget_s: float) -> dict:
    """Create real ListingPages (Wagtail indexes each one on save, as in production).

    Pages go through `add_child`, the slow, faithful way. The first 200 are timed; when the
    whole size would take longer than `budget_s`, the size is cut to what fits, in whole
    towns, and the reason is reported.
    """
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import Page

    from directory.models import Audience, Category, Check, DirectoryIndexPage, Language, Outcome, Provider
    from search.documents import build_document, listing_documents

    from . import search_data

    vocab = search_data.load_vocabularies()
    listings = list(search_data.generate(size, seed, vocab, today))
    home = Page.get_first_root_node().get_children().first()
    parent = home.add_child(instance=DirectoryIndexPage(title="Directory", slug="directory"))
    lookups = (
        {o.slug: o for o in Outcome.objects.all()},
        {c.slug: c for c in Category.objects.all()},
        {a.slug: a for a in Audience.objects.all()},
        {lang.code: lang for lang in Language.objects.all()},
    )
    started = time.perf_counter()
    with transaction.atomic():
        providers = Provider.objects.bulk_create(
            [
                Provider(
                    name=listing.provider_name,
                    legal_name=listing.provider_name,
                    business_type=Provider.BusinessType.SOLE_TRADER,
                    team_size=1,
                    email=f"provider{listing.id}@example.org",
                )
                for listing in listings
            ]
        )
        now = timezone.now()
        Check.objects.bulk_create(
            [
                Check(
                    provider=provider,
                    kind=Check.Kind.DBS,
                    issued_on=(listing.check_expires or today) - timedelta(days=400),
                    expires_on=listing.check_expires,
                    verified_at=now,
                )
                for listing, provider in zip(listings, providers, strict=True)
                if listing.has_check
            ]
        )
    reason = ""
    created = 0
    page_started = time.perf_counter()
    while created < len(listings):
        with transaction.atomic():
            for n in range(created, min(created + 200, len(listings))):
                parent.add_child(instance=_page_for(listings[n], lookups, providers[n]))
        created = min(created + 200, len(listings))
        elapsed = time.perf_counter() - page_started
        estimate = elapsed / created * len(listings)
        if created == 200:
            log(f"wagtail: 200 pages in {elapsed:.1f}s; {len(listings)} would take about {estimate:.0f}s")
            if estimate > budget_s:
                affordable = int(budget_s / (elapsed / 200))
                affordable = max(search_data.LISTINGS_PER_TOWN, affordable // 500 * 500)
                reason = f"{size}-pages-estimated-{estimate:.0f}s-over-budget-{budget_s:.0f}s"
                listings = listings[:affordable]
                log(f"wagtail: over budget; measuring {affordable} pages instead")
        elif created % 2000 == 0:
            log(f"wagtail: {created} pages ({elapsed:.0f}s)")
    pages_s = time.perf_counter() - page_started

    # The pages must say what the synthetic documents say, or the comparison is unfair.
    mismatches = 0
    sample = listing_documents().filter(slug__in=[listing.slug for listing in listings[:50]])
    by_slug = {listing.slug: listing for listing in listings[:50]}
    skip = {"id", "url", "districts"}
    for page in sample:
        built = build_document(page)
        expected = search_data.document(by_slug[page.slug], vocab)
        diff = [k for k in expected if k not in skip and built[k] != expected[k]]
        if diff:
            mismatches += 1
            log(f"wagtail: page {page.slug} differs from its synthetic document in {diff}")
    return {
        "size": len(listings),
        "requested": size,
        "reason": reason,
        "pages_s": round(pages_s, 1),
        "load_s": round(time.perf_counter() - started, 1),
        "document_mismatches": mismatches,
    }


def wagtail_search(query, queryset) -> int:
    """Baseline (b): Wagtail's search with relevance order, then Python filters, distance, facets.

    The two filters run in Python because Wagtail's search can only filter on declared
    FilterFields, and ListingPage declares only `intake`.
    """
    from directory import geo
    from search import text as analysis

    words = analysis.query_words(query.text)
    results = queryset.search(" ".join(words), operator="and", order_by_relevance=True)
    mask = slot_mask(query)
    location = query.location
    kept = []
    for page in results:
        outcomes = [o.slug for o in page.outcomes.all()]
        categories = [c.slug for c in page.categories.all()]
        if query.outcomes and not set(query.outcomes) & set(outcomes):
            continue
        if query.categories and not set(query.categories) & set(categories):
            continue
        if query.taking_new and page.intake != "taking":
            continue
        if query.max_price_pence is not None:
            price = page.hourly_price_pence
            if price is None or price > query.max_price_pence:
                continue
        if mask and not page.availability & mask:
            continue
        verified_until = _page_verified_until(page, query.today)
        if query.verified and verified_until is None:
            continue
        distance = geo.distance_miles(location.latitude, location.longitude, page.latitude, page.longitude)
        if distance > query.radius_miles:
            continue
        kept.append((page, outcomes, categories, verified_until))
    python_facets(
        (
            (
                outcomes,
                categories,
                [a.slug for a in page.audiences.all()],
                [lang.code for lang in page.languages.all()],
                page.availability,
                page.intake,
                verified_until,
            )
            for page, outcomes, categories, verified_until in kept
        ),
        query.today,
    )
    _page = kept[:PAGE_SIZE]  # already in relevance order
    return len(kept)


def _page_verified_until(page, today: date) -> date | None:
    for check in page.provider.checks.all():
        if check.verified_at is not None and (check.expires_on is None or check.expires_on >= today):
            return check.expires_on or today.replace(year=9999)
    return None


def wagtail_worker(size: int, seed: int, count: int, warmup: int, fresh: bool, budget_s: float) -> dict:
    """Build or reuse a database of real ListingPages, then time Wagtail's search on it."""
    from django.utils import timezone

    from directory.models import ListingPage

    from . import search_data

    path = database_path("wagtail", size)
    expected = expected_meta("wagtail", size, seed)
    info = None
    if path.exists() and not fresh:
        try:
            meta = _django.read_meta()
            if all(meta.get(k) == v for k, v in expected.items()):
                info = json.loads(meta["info"])
                if ListingPage.objects.count() != info["size"]:
                    info = None
        except Exception as exc:  # noqa: BLE001 - any damage means "rebuild"
            log(f"wagtail: stored database unusable ({exc}); rebuilding")
            info = None
    if info is None:
        log(f"wagtail: building {path} with up to {size} ListingPages")
        _django.reset_database(path)
        today = timezone.localdate()
        info = load_wagtail(size, seed, today, budget_s)
        info["today"] = today.isoformat()
        _django.write_meta({**expected, "info": json.dumps(info)})
        info["reused"] = False
    else:
        info["reused"] = True
    today = date.fromisoformat(info["today"])
    # Queries for the size actually built, so every query lands on a town that has pages.
    bench_queries = search_data.queries(info["size"], warmup + count, seed, today)
    queryset = (
        ListingPage.objects.live()
        .select_related("provider")
        .prefetch_related("outcomes", "categories", "audiences", "languages", "prices", "provider__checks")
    )
    log(f"wagtail: timing Wagtail's database search on {count} queries ({info['size']} pages)")
    timed = time_calls(lambda q: wagtail_search(q, queryset), bench_queries, warmup)
    return {
        **info,
        "wall": timed["wall"],
        "cpu": timed["cpu"],
        "results_mean": statistics.fmean(timed["counts"]),
        "loadavg": os.getloadavg()[0],
    }


# --- Relevance -----------------------------------------------------------------------------


def relevance_worker(backend_name: str, *, listings: bool = False) -> dict:
    """Call bench.relevance_set.evaluate() (or, with `listings`, the second set's,
    bench.relevance_listings) on a freshly migrated database of its own."""
    _django.reset_database(database_path("relevance-listings" if listings else "relevance", 0))
    from . import relevance_listings, relevance_set

    figures = (relevance_listings if listings else relevance_set).evaluate(backend_name)
    return {
        "precision_at_5": round(figures["precision_at_5"], 3),
        "recall_at_5": round(figures["recall_at_5"], 3),
        "queries": figures["queries"],
        "listings": figures.get("listings"),
        "failures": len(figures.get("failures", [])),
        "failed": [label for label, *_ in figures.get("failures", [])],
    }


# --- Parent: run the workers and print the figures -------------------------------------------


def run_worker(args: list[str]) -> dict:
    """Run one worker process; its progress goes to our stderr, its figures come back as JSON."""
    command = [sys.executable, "-m", "bench.search", "--worker", *args]
    completed = subprocess.run(  # noqa: S603 - our own module, our own arguments
        command, cwd=_django.PROJECT_ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            return json.loads(line[len(RESULT_PREFIX) :])
    raise RuntimeError(f"worker {' '.join(args)} failed (exit {completed.returncode})")


def fmt(value: float) -> str:
    """Milliseconds and ratios for the key=value lines."""
    if value != value:  # NaN
        return "nan"
    return f"{value:.2f}" if abs(value) < 10 else f"{value:.1f}"


def environment_line(args) -> str:
    """Facts about this machine and run, so figures can be compared with care."""
    return " ".join(
        [
            "env",
            f"python={platform.python_version()}",
            f"sqlite={sqlite3.sqlite_version}",
            f"cores={os.cpu_count()}",
            f"machine={platform.machine()}",
            f"django={metadata.version('django')}",
            f"wagtail={metadata.version('wagtail')}",
            f"queries={args.queries}",
            f"warmup={args.warmup}",
            f"seed={args.seed}",
            "place=coordinates-direct(geocoding-bypassed)",
        ]
    )


def main(argv=None) -> int:
    """Parse options; as the parent, run each worker and print one line per backend and size."""
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated listing counts")
    parser.add_argument("--queries", type=int, default=200, help="timed queries per backend and size")
    parser.add_argument("--warmup", type=int, default=20, help="untimed queries first")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--quick", action="store_true", help="sizes 2000,20000, 50 queries, 500 Wagtail pages: a smoke run"
    )
    parser.add_argument("--fresh", action="store_true", help="rebuild the databases even if stored ones fit")
    parser.add_argument("--wagtail-size", type=int, default=None, help="pages for baseline (b); 0 skips it")
    parser.add_argument(
        "--wagtail-budget", type=float, default=480.0, help="seconds allowed for creating the Wagtail pages"
    )
    parser.add_argument(
        "--shapes-only", action="store_true", help="time only the shapes (search_data.SHAPES), not the mix"
    )
    parser.add_argument(
        "--worker", choices=("database", "wagtail", "relevance", "relevance-listings"), help=argparse.SUPPRESS
    )
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument(
        "--backend",
        default="database",
        help="opensearch: also measure a real OpenSearch node beside the database",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.queries, args.warmup = "2000,20000", 50, 10
        if args.wagtail_size is None:
            args.wagtail_size = 500  # one town: creating pages is the slow part
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})

    if args.worker:
        # A worker owns one database, chosen before Django starts.
        _django.setup(database_path(args.worker, args.size or 0))
        if args.worker == "database":
            result = database_worker(args.size, args.seed, args.queries, args.warmup, args.fresh)
        elif args.worker == "wagtail":
            result = wagtail_worker(
                args.size, args.seed, args.queries, args.warmup, args.fresh, args.wagtail_budget
            )
        else:
            result = relevance_worker(args.backend, listings=args.worker == "relevance-listings")
        print(RESULT_PREFIX + json.dumps(result, default=str), flush=True)
        return 0

    print(environment_line(args), flush=True)
    common = ["--seed", str(args.seed), "--queries", str(args.queries), "--warmup", str(args.warmup)]
    if args.fresh:
        common.append("--fresh")
    results = {}
    if args.shapes_only:
        os.environ["BENCH_SHAPES_ONLY"] = "1"
        for size in sizes:
            log(f"size={size}: starting (shapes only)")
            results[size] = run_worker(["database", "--size", str(size), *common])
        print_shapes(sizes, results)
        return 0
    engine_node = search_engines.start([args.backend])
    try:
        for size in sizes:
            log(f"size={size}: starting")
            results[size] = run_worker(["database", "--size", str(size), *common])
            print(database_line(results[size], results[sizes[0]]), flush=True)
    finally:
        if engine_node:
            engine_node.stop()
    print_shapes(sizes, results)
    print_wagtail(args, sizes, results, common)
    print_elasticsearch(sizes, results)
    search_engines.print_lines(sizes, results, percentiles, fmt, functools.partial(database_path, "database"))
    print_relevance()
    print(targets_line(results[sizes[0]], results[sizes[-1]]), flush=True)
    return 0


def print_shapes(sizes: list[int], results: dict) -> None:
    """One row per shape and size: engine call, whole request and naive baseline, p50/p95 in
    ms; the naive/engine ratio (p95), growth from the smallest size (engine p95) and whether
    the issue's targets hold (engine p95 <= 50 ms, growth <= 2x, request p95 <= 100 ms); and for
    estimated counts, the worst of up to ABOUT_CHECKS against the exhaustive count ("about±")."""
    small = sizes[0]
    print(
        f"{'shape':18} {'size':>6} {'eng p50':>8} {'eng p95':>8} {'cpu p95':>8} "
        f"{'req p50':>8} {'req p95':>8} {'naive p50':>9} {'naive p95':>9} {'ratio':>6} {'growth':>6} "
        f"{'cpu gr':>6} {'results':>8} {'about':>5} {'about±':>6} targets",
        flush=True,
    )
    for label in results[small]["shapes"]:
        for size in sizes:
            shape = results[size]["shapes"][label]
            e50, e95 = percentiles(shape["engine"])
            r50, r95 = percentiles(shape["request"])
            n50, n95 = percentiles(shape["naive"])
            base95 = percentiles(results[small]["shapes"][label]["engine"])[1]
            growth = e95 / base95 if base95 else math.nan
            c95 = percentiles(shape["engine_cpu"])[1]
            base_cpu95 = percentiles(results[small]["shapes"][label]["engine_cpu"])[1]
            cpu_growth = c95 / base_cpu95 if base_cpu95 else math.nan
            met = e95 <= TARGET_P95_MS and r95 <= 100 and (size == small or growth <= TARGET_GROWTH)
            print(
                f"{label:18} {short_size(size):>6} {e50:8.1f} {e95:8.1f} {c95:8.1f} {r50:8.1f} {r95:8.1f} "
                f"{n50:9.1f} {n95:9.1f} {n95 / e95:6.1f} {growth:6.2f} {cpu_growth:6.2f} "
                f"{shape['count_mean']:8.0f} "
                f"{shape['estimated']:5.0%} {about_error(shape):>6} {'yes' if met else 'no'}",
                flush=True,
            )


def about_error(shape: dict) -> str:
    """The worst of the checked "about N" counts against the exact count, signed ("-4%")."""
    errors = shape.get("about_errors") or []
    if not errors:
        return "-"
    return f"{max(errors, key=abs):+.0%}"


def database_line(r: dict, base: dict) -> str:
    """backend=database size=… p50_ms=… p95_ms=… naive_… ratio=… growth_… and context."""
    p50, p95 = percentiles(r["wall"])
    naive_p50, naive_p95 = percentiles(r["naive_wall"])
    line = [
        "backend=database",
        f"size={r['size']}",
        f"p50_ms={fmt(p50)}",
        f"p95_ms={fmt(p95)}",
        f"naive_p50_ms={fmt(naive_p50)}",
        f"naive_p95_ms={fmt(naive_p95)}",
        f"ratio={fmt(naive_p95 / p95)}",
    ]
    if r is not base:
        growth = p95 / percentiles(base["wall"])[1]
        line.append(f"growth_p95_vs_{short_size(base['size'])}={fmt(growth)}")
    cpu_p95 = percentiles(r["cpu"])[1]
    line += [
        f"cpu_p95_ms={fmt(cpu_p95)}",
        f"naive_cpu_p95_ms={fmt(percentiles(r['naive_cpu'])[1])}",
    ]
    if r is not base:
        line.append(
            f"cpu_growth_p95_vs_{short_size(base['size'])}={fmt(cpu_p95 / percentiles(base['cpu'])[1])}"
        )
    line += [
        f"towns={r['towns']}",
        f"results_mean={r['results_mean']:.1f}",
        f"results_p95={r['results_p95']:.0f}",
        f"nearby_mean={r['nearby_mean']:.0f}",
        f"nearby_p95={r['nearby_p95']:.0f}",
        f"candidates_mean={r['candidates_mean']:.0f}",
        f"candidates_p95={r['candidates_p95']:.0f}",
        f"national_matches_mean={r['national_matches_mean']:.0f}",
        *(f"p95_ms[{k}]={fmt(v)}" for k, v in sorted(r["p95_by_filters"].items())),
        f"load_s={r['timings'].get('load_s', 'nan')}",
        f"index_s={r['timings'].get('index_s', 'nan')}",
        f"reused={'yes' if r['reused'] else 'no'}",
        f"loadavg={r['loadavg']:.1f}",
    ]
    return " ".join(line)


def print_wagtail(args, sizes: list[int], results: dict, common: list[str]) -> None:
    """Baseline (b): Wagtail's database search backend, at 10k when that fits the time budget."""
    wagtail_size = args.wagtail_size
    if wagtail_size is None:
        wagtail_size = 10_000 if 10_000 in sizes else sizes[0]
    if not wagtail_size:
        print("backend=wagtail-database skipped=--wagtail-size-0", flush=True)
        return
    budget = ["--wagtail-budget", str(args.wagtail_budget)]
    try:
        w = run_worker(["wagtail", "--size", str(wagtail_size), *budget, *common])
    except RuntimeError as exc:
        print(f"backend=wagtail-database size={wagtail_size} failed={str(exc).replace(' ', '-')}", flush=True)
        return
    p50, p95 = percentiles(w["wall"])
    line = ["backend=wagtail-database", f"size={w['size']}", f"p50_ms={fmt(p50)}", f"p95_ms={fmt(p95)}"]
    if w["size"] in results:
        line.append(f"ratio_vs_database={fmt(p95 / percentiles(results[w['size']]['wall'])[1])}")
    line += [
        f"cpu_p95_ms={fmt(percentiles(w['cpu'])[1])}",
        f"results_mean={w['results_mean']:.1f}",
        f"pages_s={w['pages_s']}",
        f"document_mismatches={w['document_mismatches']}",
        f"reused={'yes' if w['reused'] else 'no'}",
        f"loadavg={w['loadavg']:.1f}",
    ]
    if w["size"] != wagtail_size:
        line += [f"wagtail_size={w['size']}", f"reason={w['reason']}"]
    print(" ".join(line), flush=True)


def print_elasticsearch(sizes: list[int], results: dict) -> None:
    """One line per size when a cluster was measured; one "skipped" line otherwise."""
    for size in sizes:
        es = results[size]["elasticsearch"]
        if "skipped" in es:
            print(f"backend=elasticsearch skipped={es['skipped']}", flush=True)
            return
        p50, p95 = percentiles(es["wall"])
        print(
            f"backend=elasticsearch size={size} p50_ms={fmt(p50)} p95_ms={fmt(p95)} "
            f"cpu_p95_ms={fmt(percentiles(es['cpu'])[1])} results_mean={es['results_mean']:.1f} "
            f"load_s={es['load_s']}",
            flush=True,
        )


def print_relevance() -> None:
    """The relevance set's figures for each backend available, when bench/relevance_set.py exists."""
    if not (_django.PROJECT_ROOT / "bench" / "relevance_set.py").exists():
        print("relevance skipped=bench/relevance_set.py-missing", flush=True)
        return
    names = ["database"] + (["elasticsearch"] if os.environ.get("ELASTICSEARCH_URL") else [])
    # Two sets, reported apart: the tuned regression guard, and the one written from the demo
    # listings' side (bench/relevance_listings.py).
    for worker, which in (("relevance", "tuned"), ("relevance-listings", "listings")):
        for name in names:
            try:
                figures = run_worker([worker, "--backend", name])
            except RuntimeError as exc:
                print(f"relevance set={which} backend={name} failed={str(exc).replace(' ', '-')}", flush=True)
                continue
            failed = figures.pop("failed")
            line = " ".join(f"{k}={v}" for k, v in figures.items())
            print(f"relevance set={which} backend={name} {line}", flush=True)
            for label in failed:
                log(f"relevance {which} {name}: not all relevant listings in the top 5 for {label!r}")


def targets_line(smallest: dict, largest: dict) -> str:
    """The issue's three targets for the embedded backend, judged on wall-clock p95."""
    p95 = percentiles(largest["wall"])[1]
    ratio = percentiles(largest["naive_wall"])[1] / p95
    under = "yes" if p95 < TARGET_P95_MS else "no"
    verdict = [
        "targets",
        f"p95_under_{TARGET_P95_MS:.0f}ms_at_{short_size(largest['size'])}={under}",
        f"ratio_at_least_{TARGET_RATIO:.0f}x={'yes' if ratio >= TARGET_RATIO else 'no'}",
    ]
    if largest is not smallest:
        growth = p95 / percentiles(smallest["wall"])[1]
        verdict.append(f"growth_at_most_{TARGET_GROWTH:.0f}x={'yes' if growth <= TARGET_GROWTH else 'no'}")
    return " ".join(verdict)


if __name__ == "__main__":
    sys.exit(main())

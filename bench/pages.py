"""Pages benchmark: every page people wait on, as a full request, at 10k and 100k listings.

Run `python -m bench.pages [--sizes 10000,100000] [--requests 60] [--fresh]`. Each size gets its
own SQLite file under /tmp (or $BENCH_DIR), or a PostgreSQL database with `--database-url`
(built once, reused while its marker fits). Listings are bench/search_data.py's (towns, text,
vocabularies), written as real published ListingPages in bulk with the rows Wagtail writes
(bench/oruk.py's way), and indexed with bench/search_data.py's documents through
`DatabaseSearchBackend._bulk_insert`, as bench.search does. Each town also becomes a `Place`
(with a made-up postcode district), so `/search/?near=<town>` geocodes as a person's search does.

Every request goes through Django's test client: middleware, URL routing, the view, every query
and the template; no network. For each page: p50 and p95 in ms, and the SQL queries one
request makes. The caches are cleared before each request unless a page is said to be served
from a kept count (the per-process caches the site keeps are what a warm server has).

The common words. bench/search_data.py's five most common words ("support", "care", "help",
"local", "people") are in 89-100% of listings, but four of them are query stop words, so a
search never asks for them. The shapes here therefore also search "people" (not a stop word,
in nearly every listing: the most expensive single word there is) and "companionship" (the most
common service word, ~34% of listings); "compnaionship" is the typo shape. That makes the data
pessimistic: a real directory's words are spread over more services than these 30.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from . import _django

GENERATOR_VERSION = 1
SEED = 2026
TODAY = date(2026, 6, 1)


def log(message: str) -> None:
    """Progress for people watching; figures go to stdout only."""
    print(message, file=sys.stderr, flush=True)


def database_path(size: int) -> Path:
    """Where the SQLite file for `size` listings lives."""
    return Path(os.environ.get("BENCH_DIR", tempfile.gettempdir())) / f"lsm-bench-pages-{size}.sqlite3"


# --- building --------------------------------------------------------------------------------------


def _places(vocab_towns: int) -> dict[int, str]:
    """A Place and a PostcodeDistrict per town (the made-up codes search_data uses)."""
    from bench import search_data
    from directory.models import Place, PostcodeDistrict

    names = {}
    for town in range(vocab_towns):
        name, lat, lon = search_data.TOWNS[town]
        codes = search_data.district_codes(town)
        districts = PostcodeDistrict.objects.bulk_create(
            [PostcodeDistrict(code=c, post_town=name, latitude=lat, longitude=lon) for c in codes],
            ignore_conflicts=True,
        )
        first = PostcodeDistrict.objects.get(code=codes[0]) if districts else None
        place_name = f"Benchtown {name}"
        Place.objects.get_or_create(
            name=place_name, defaults={"district": first, "latitude": lat, "longitude": lon}
        )
        names[town] = place_name
    return names


def build(size: int) -> dict[str, str]:
    """Fill the current (empty, migrated) database with `size` listings and their index."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone
    from wagtail.models import Locale, Page

    from bench import search_data
    from bench.oruk import directory_page
    from directory.models import Audience, Category, Language, ListingPage, ListingPrice, Outcome, Provider
    from search.backends.database import DatabaseSearchBackend

    started = time.perf_counter()
    vocab = search_data.load_vocabularies()
    directory = directory_page()
    _places(search_data.town_count(size))
    by_slug = {
        "outcomes": {o.slug: o.pk for o in Outcome.objects.all()},
        "categories": {o.slug: o.pk for o in Category.objects.all()},
        "audiences": {o.slug: o.pk for o in Audience.objects.all()},
        "languages": {o.code: o.pk for o in Language.objects.all()},
    }
    content_type = ContentType.objects.get_for_model(ListingPage)
    locale = Locale.get_default()
    fields = ListingPage._meta.local_concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(ListingPage._meta.db_table)
    placeholders = ", ".join(["%s"] * len(fields))
    insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 (model metadata)
    through = {name: ListingPage._meta.get_field(name).remote_field.through for name in by_slug}
    now = timezone.now()
    backend = DatabaseSearchBackend()
    listings = search_data.generate(size, SEED, vocab, TODAY)
    position = directory.numchild
    done = 0
    while True:
        batch = [listing for _, listing in zip(range(1000), listings, strict=False)]
        if not batch:
            break
        with transaction.atomic():
            providers = Provider.objects.bulk_create(
                [
                    Provider(
                        name=listing.provider_name,
                        legal_name=listing.provider_name,
                        business_type=Provider.BusinessType.SOLE_TRADER,
                        email=f"provider{listing.id}@example.org",
                    )
                    for listing in batch
                ]
            )
            pages = []
            for listing in batch:
                position += 1
                published = now - timedelta(days=listing.id % 400, minutes=listing.id)
                pages.append(
                    Page(
                        title=listing.title,
                        draft_title=listing.title,
                        slug=listing.slug,
                        content_type=content_type,
                        locale=locale,
                        path=Page._get_path(directory.path, directory.depth + 1, position),
                        depth=directory.depth + 1,
                        numchild=0,
                        url_path=f"{directory.url_path}{listing.slug}/",
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=published,
                        last_published_at=published,
                        translation_key=uuid.uuid4(),
                    )
                )
            Page.objects.bulk_create(pages)
            rows, links, prices, docs = [], {name: [] for name in through}, [], []
            for page, listing, provider in zip(pages, batch, providers, strict=True):
                row = ListingPage(
                    page_ptr_id=page.pk,
                    public_id=uuid.UUID(listing.public_id),
                    provider=provider,
                    summary=listing.summary[:300],
                    description=listing.html,
                    base_postcode=search_data.district_codes(listing.town)[0],
                    latitude=listing.latitude,
                    longitude=listing.longitude,
                    service_radius_miles=listing.radius_miles,
                    availability=listing.availability,
                    intake=listing.intake,
                    contact_email=f"listing{listing.id}@example.org",
                    last_confirmed_at=listing.last_confirmed_at,
                )
                rows.append([f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields])
                for name, model in through.items():
                    source = ListingPage._meta.get_field(name).m2m_field_name()
                    target = ListingPage._meta.get_field(name).m2m_reverse_field_name()
                    links[name] += [
                        model(**{f"{source}_id": page.pk, f"{target}_id": by_slug[name][slug]})
                        for slug in getattr(listing, name)
                        if slug in by_slug[name]
                    ]
                if listing.price_per_hour_pence is not None:
                    prices.append(
                        ListingPrice(
                            listing_id=page.pk,
                            sort_order=0,
                            description="Support",
                            unit="hour",
                            weekday_pence=listing.price_per_hour_pence,
                        )
                    )
                # The index row carries the page's own id and address.
                listing.id = page.pk
                docs.append(search_data.document(listing, vocab))
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
            for name, model in through.items():
                model.objects.bulk_create(links[name])
            ListingPrice.objects.bulk_create(prices)
            Page.objects.filter(pk=directory.pk).update(numchild=F("numchild") + len(pages))
            backend._bulk_insert(docs)
        directory.refresh_from_db()
        done += len(batch)
        log(f"built {done} listings")
    return {
        "size": str(size),
        "version": str(GENERATOR_VERSION),
        "build_seconds": f"{time.perf_counter() - started:.0f}",
    }


# --- measuring -------------------------------------------------------------------------------------


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 in ms."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def pages(size: int) -> list[tuple[str, list[str]]]:
    """(name, urls) for every page in issue 20's table, plus the new search shapes."""
    from bench import search_data
    from directory.models import ListingPage

    rng = random.Random(SEED)
    towns = search_data.town_count(size)
    places = [f"Benchtown {search_data.TOWNS[t][0]}" for t in range(towns)]
    slugs = list(ListingPage.objects.order_by("?").values_list("url_path", flat=True)[:50])
    listing_urls = ["/" + s.split("/", 2)[2] for s in slugs]

    def near():
        return rng.choice(places).replace(" ", "+")

    def many(template, n=20):
        return [template() for _ in range(n)]

    return [
        ("directory", ["/directory/"]),
        ("directory_page_3", ["/directory/?page=3"]),
        ("home", ["/"]),
        ("oruk_services", ["/openreferral/services"]),
        ("search_no_text_r50", many(lambda: f"/search/?near={near()}&radius=50")),
        ("search_no_text_r20", many(lambda: f"/search/?near={near()}&radius=20")),
        ("api_companionship", ["/api/search?q=companionship"]),
        ("api_outcome_eat_well", ["/api/search?outcome=eat-well"]),
        (
            "search_text_place",
            many(
                lambda: (
                    f"/search/?q={rng.choice(['swimming', 'gardener', 'lunch+club'])}&near={near()}&radius=10"
                )
            ),
        ),
        ("listing", listing_urls),
        ("api_people", ["/api/search?q=people"]),
        ("api_typo", ["/api/search?q=compnaionship"]),
        ("search_people_place_r50", many(lambda: f"/search/?q=people&near={near()}&radius=50")),
        # The widest radius the page offers, with no words and with the costliest word: with the
        # pages above, every search shape of issue 20 on both databases (bench.search is SQLite's).
        ("search_no_text_r100", many(lambda: f"/search/?near={near()}&radius=100")),
        ("search_people_place_r100", many(lambda: f"/search/?q=people&near={near()}&radius=100")),
    ]


def measure(client, urls: list[str], requests: int) -> dict[str, float]:
    """Time `requests` GETs cycling through `urls`; p50/p95 ms and queries of one request, and for
    search pages the engine call inside each request (the backend's `search`, timed in place)."""
    from django.db import connection

    from search.backends.database import DatabaseSearchBackend

    for url in urls[:2]:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:300]!r}")
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(urls[0])
    engine = []
    search = DatabaseSearchBackend.search

    def timed_search(backend, query):
        began = time.perf_counter()
        try:
            return search(backend, query)
        finally:
            engine.append(time.perf_counter() - began)

    samples, engine_samples, cpu_samples = [], [], []
    DatabaseSearchBackend.search = timed_search
    try:
        for i in range(requests):
            url = urls[i % len(urls)]
            engine.clear()
            began, cpu_began = time.perf_counter(), time.process_time()
            client.get(url)
            samples.append(time.perf_counter() - began)
            # CPU time of this process: steadier than wall time when other work shares the cores.
            cpu_samples.append(time.process_time() - cpu_began)
            if engine:
                engine_samples.append(sum(engine))
    finally:
        DatabaseSearchBackend.search = search
    p50, p95 = percentiles(samples)
    engine_p50, engine_p95 = percentiles(engine_samples) if engine_samples else (float("nan"),) * 2
    _cpu_p50, cpu_p95 = percentiles(cpu_samples)
    return {
        "p50": p50,
        "p95": p95,
        "cpu_p95": cpu_p95,
        "queries": len(queries),
        "engine_p50": engine_p50,
        "engine_p95": engine_p95,
    }


def run_size(size: int, requests: int, fresh: bool, database_url: str | None) -> dict:
    """Build or reuse the data for `size` and measure every page (in this process)."""
    if database_url:
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
        os.environ["DATABASE_URL"] = database_url
        sys.path.insert(0, str(_django.PROJECT_ROOT))
        import django

        django.setup()
        path = database_url
    else:
        path = database_path(size)
        _django.setup(path)
    import logging

    for name in ("wagtail", "django_tasks", "django.request", "search"):
        logging.getLogger(name).setLevel(logging.ERROR)
    _django.migrate()
    meta = _django.read_meta() if not database_url else _pg_meta()
    if fresh or meta.get("size") != str(size) or meta.get("version") != str(GENERATOR_VERSION):
        log(f"building {size} listings in {path}")
        if database_url:
            _pg_reset()
        else:
            _django.reset_database(path)
        meta = build(size)
        if database_url:
            _pg_write_meta(meta)
        else:
            _django.write_meta(meta)
    else:
        log(f"reusing {path}")
    from django.conf import settings
    from django.test import Client

    settings.ORUK_RATE_LIMIT_PER_MINUTE = 0
    settings.SEARCH_API_RATE_LIMIT_PER_MINUTE = 0
    client = Client()
    return {name: measure(client, urls, requests) for name, urls in pages(size)}


def _pg_meta() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        cursor.execute("SELECT key, value FROM bench_meta")
        return dict(cursor.fetchall())


def _pg_write_meta(values: dict) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        # _pg_reset dropped the schema, the marker's table with it.
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        for key, value in values.items():
            cursor.execute(
                "INSERT INTO bench_meta (key, value) VALUES (%s, %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                [key, value],
            )


def _pg_reset() -> None:
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0, interactive=False)


def main(argv=None) -> None:
    """Measure each size in its own process; print the table with growth ratios."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL; {size} is replaced")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        url = args.database_url.replace("{size}", str(args.one)) if args.database_url else None
        results = run_size(args.one, args.requests, args.fresh, url)
        for name, values in results.items():
            print(
                f"{name} {values['p50']:.1f} {values['p95']:.1f} {values['queries']} "
                f"{values['engine_p50']:.1f} {values['engine_p95']:.1f} {values['cpu_p95']:.1f}"
            )
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    table = {}
    for size in sizes:
        command = [sys.executable, "-m", "bench.pages", "--one", str(size), "--requests", str(args.requests)]
        if args.fresh:
            command.append("--fresh")
        if args.database_url:
            command += ["--database-url", args.database_url]
        # Our own interpreter and module with numbers we formatted: no outside input.
        output = subprocess.run(  # noqa: S603
            command, check=False, capture_output=True, text=True, cwd=_django.PROJECT_ROOT
        )
        sys.stderr.write(output.stderr[-2000:])
        if output.returncode:
            raise SystemExit(f"bench.pages --one {size} failed (exit {output.returncode}): see above")
        for line in output.stdout.splitlines():
            name, p50, p95, queries, engine_p50, engine_p95, cpu_p95 = line.split()
            table.setdefault(name, {})[size] = (
                float(p50),
                float(p95),
                int(queries),
                float(engine_p50),
                float(engine_p95),
                float(cpu_p95),
            )
    small, large = sizes[0], sizes[-1]
    print(
        f"{'page':26} "
        + " ".join(
            f"{f'{s // 1000}k p50':>8} {f'{s // 1000}k p95':>8} {'cpu95':>6} {'SQL':>3} {'eng95':>6}"
            for s in sizes
        )
        + "  growth(p50) growth(p95) growth(cpu95) load"
    )
    for name, by_size in table.items():
        cells = " ".join(
            f"{p50:8.1f} {p95:8.1f} {cpu_p95:6.1f} {sql:3d} {engine_p95:6.1f}"
            for p50, p95, sql, _engine_p50, engine_p95, cpu_p95 in (by_size[s] for s in sizes)
        )
        growth = by_size[large][0] / by_size[small][0] if by_size[small][0] else float("nan")
        growth95 = by_size[large][1] / by_size[small][1] if by_size[small][1] else float("nan")
        growth_cpu = by_size[large][5] / by_size[small][5] if by_size[small][5] else float("nan")
        print(
            f"{name:26} {cells}  {growth:10.2f}x {growth95:10.2f}x {growth_cpu:12.2f}x "
            f"{os.getloadavg()[0]:4.1f}"
        )


if __name__ == "__main__":
    main()

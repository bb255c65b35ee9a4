"""Open Referral UK API benchmark: `/services` page latency and throughput on 10k listings.

Run `python -m bench.oruk [--size 10000] [--fresh]`. It builds (or reuses) its own SQLite
file under /tmp (or $BENCH_DIR), never the site's database, then times requests through
Django's test client: the whole stack of middleware, URL routing, the view, the queries, JSON
and the ETag, but no network and no WSGI server (none is installed here).

Building 10k listings the way the site does (Wagtail `add_child`, a revision, publish) takes
tens of milliseconds a listing on this machine, so the first `--wagtail-sample` listings
(200) are made that way and timed, and the rest are written in bulk with exactly the rows
Wagtail writes for a published page: tree path and depth, url_path, live and published
dates, the listing row and its relations. The run then checks the tree with treebeard's
`find_problems()` and that every listing is live and public, and prints how long the Wagtail
way would have taken for the whole set.

Figures, as `key=value` lines on stdout:
- `services_*`: `/services?page=N&per_page=50`, the one-to-one fields (the default);
- `services_full_*`: the same pages with `full=true` (every nested part);
- `baseline_full_no_prefetch_*`: the full pages with the view's prefetching switched off,
  measured in the same run: what the N+1 queries would cost;
- `services_full_first_page_*` / `services_full_last_page_*`: whether deep pages cost more;
- `service_at_locations_postcode_*`: `/service_at_locations?postcode=BL3` (service-area test);
- `service_detail_*`: `/services/{id}`.
Each has p50 and p95 latency in ms, requests per second (one client, sequential) and the
queries one request makes.
"""

import argparse
import hashlib
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from . import _django

PER_PAGE = 50
GENERATOR_VERSION = 1
SEED = 20260101
SERVICES = [
    ("Swimming buddy", "Someone to go swimming with, and a cuppa after."),
    ("Home-made meals", "Fresh meals cooked at home and brought to your door."),
    ("Garden help", "Mowing, weeding and keeping the garden safe to use."),
    ("Companion for days out", "Trips to the shops, the park or the seaside, at your pace."),
    ("Sitting service", "Time with the person you care for, so you can have a break."),
    ("Cooking skills", "Learn to cook simple meals in your own kitchen."),
    ("Walking group", "A friendly walk around the park, then a chat."),
    ("Art and crafts club", "Painting, knitting and making things together."),
]
FIRST_NAMES = ["Sam", "Jo", "Priya", "Khaled", "Anna", "Tomasz", "Shazia", "Dave", "Amara", "Lin"]


def log(message: str) -> None:
    """Progress for people watching; figures go to stdout only."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def database_path(size: int) -> Path:
    """The benchmark's own SQLite file for a data set of `size` listings."""
    return Path(os.environ.get("BENCH_DIR") or tempfile.gettempdir()) / f"lsm-bench-oruk-{size}.sqlite3"


def fingerprint() -> str:
    """A hash of the code that decides what the stored database holds; a change rebuilds it."""
    root = _django.PROJECT_ROOT
    digest = hashlib.sha256(str(GENERATOR_VERSION).encode())
    for path in [
        root / "bench" / "oruk.py",
        root / "directory" / "models.py",
        *sorted((root / "directory" / "migrations").glob("*.py")),
    ]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def percentiles(samples_s: list[float]) -> tuple[float, float]:
    """(p50, p95) of durations in seconds, in milliseconds."""
    ms = [s * 1000 for s in samples_s]
    if len(ms) < 2:
        return ms[0], ms[0]
    cuts = statistics.quantiles(ms, n=100, method="inclusive")
    return cuts[49], cuts[94]


# --- building the data --------------------------------------------------------------------------


def directory_page():
    """The directory page, with a home page and the default site, created if missing."""
    from wagtail.models import Page, Site

    from cms.models import HomePage
    from directory.models import DirectoryIndexPage

    existing = DirectoryIndexPage.objects.first()
    if existing:
        return existing
    home = HomePage.objects.first()
    if home is None:
        home = Page.get_first_root_node().add_child(instance=HomePage(title="Find local support", slug=""))
        site = Site.objects.get(is_default_site=True)
        site.root_page = home
        site.save()
    return home.add_child(instance=DirectoryIndexPage(title="Find support", slug="directory"))


class Generator:
    """Deterministic listing data: the same seed gives the same directory."""

    def __init__(self, seed: int = SEED):
        from directory.models import Category, Language, Outcome, PostcodeDistrict

        self.rng = random.Random(seed)
        self.outcomes = list(Outcome.objects.all())
        self.categories = list(Category.objects.all())
        self.languages = list(Language.objects.all())
        self.districts = list(PostcodeDistrict.objects.filter(non_geographic=False))

    def listing(self, n: int) -> dict:
        """Fields, relations and prices of listing number `n`."""
        from directory.fields import SLOTS, slots_to_mask

        rng = self.rng
        title, summary = SERVICES[n % len(SERVICES)]
        district = rng.choice(self.districts)
        person = rng.choice(FIRST_NAMES)
        paragraphs = [
            f"I'm {person}. {summary}",
            "I have looked after older people for years and I am DBS checked.",
            "Tell me what matters to you and we will plan it together.",
        ]
        return {
            "title": f"{title} {n}",
            "summary": summary,
            "description": "".join(f"<p>{p}</p>" for p in paragraphs),
            "base_postcode": district.code,
            "latitude": round(district.latitude + rng.uniform(-0.01, 0.01), 6),
            "longitude": round(district.longitude + rng.uniform(-0.01, 0.01), 6),
            "service_radius_miles": rng.randint(1, 10),
            "availability": slots_to_mask(rng.sample([s for s, _ in SLOTS], rng.randint(2, 10))),
            "intake": rng.choice(["taking", "taking", "waiting_list", "full"]),
            "contact_name": person,
            "contact_phone": f"07700 9{n % 100000:05d}",
            "contact_email": f"listing{n}@example.org",
            "website": f"https://example.org/listing-{n}",
            "min_age": 18,
            "outcomes": rng.sample(self.outcomes, rng.randint(1, 3)),
            "categories": rng.sample(self.categories, rng.randint(0, 2)),
            "languages": rng.sample(self.languages, rng.randint(0, 2)),
            "served_districts": rng.sample(self.districts, rng.randint(0, 2)),
            "prices": [
                {"description": "Support", "unit": "hour", "weekday_pence": rng.randint(1200, 2800)},
                *(
                    [
                        {
                            "description": "Half day",
                            "unit": "session",
                            "unit_minutes": 240,
                            "weekday_pence": 6000,
                        }
                    ]
                    if n % 3 == 0
                    else []
                ),
            ],
        }

    def provider(self, n: int):
        """The provider of listing `n` (every fourth provider offers two listings)."""
        from directory.models import Provider

        return Provider(
            name=f"{self.rng.choice(FIRST_NAMES)}'s support {n}",
            legal_name=f"Private Person {n}",
            business_type=Provider.BusinessType.SOLE_TRADER,
            email=f"private{n}@example.org",
        )


def create_with_wagtail(generator: Generator, directory, count: int) -> float:
    """Create `count` listings the way the site does; return the seconds it took."""
    from directory.models import ListingPage, ListingPrice

    started = time.perf_counter()
    for n in range(count):
        data = generator.listing(n)
        provider = generator.provider(n)
        provider.save()
        relations = {
            name: data.pop(name) for name in ("outcomes", "categories", "languages", "served_districts")
        }
        prices = data.pop("prices")
        page = ListingPage(provider=provider, **data)
        for name, values in relations.items():
            setattr(page, name, values)
        page.prices = [ListingPrice(sort_order=i, **price) for i, price in enumerate(prices)]
        directory.add_child(instance=page)
        page.save_revision().publish()
    return time.perf_counter() - started


def create_in_bulk(generator: Generator, directory, start: int, count: int, batch: int = 1000) -> float:
    """Create listings `start`… with the rows Wagtail writes for a published page; return seconds."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone
    from wagtail.models import Locale, Page

    from directory.models import ListingPage, ListingPrice, Provider

    started = time.perf_counter()
    content_type = ContentType.objects.get_for_model(ListingPage)
    locale = Locale.get_default()
    directory.refresh_from_db()
    fields = ListingPage._meta.local_concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    table = connection.ops.quote_name(ListingPage._meta.db_table)
    placeholders = ", ".join(["%s"] * len(fields))
    # Table and column names come from the model's own metadata, never from input.
    insert = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    through = {
        name: ListingPage._meta.get_field(name).remote_field.through
        for name in ("outcomes", "categories", "languages", "served_districts")
    }
    now = timezone.now()
    position = directory.numchild
    provider = None
    for first in range(start, start + count, batch):
        numbers = range(first, min(first + batch, start + count))
        with transaction.atomic():
            # Every fourth provider offers two listings: listing n (n % 4 == 1) shares n - 1's.
            needs_own = [n for n in numbers if n % 4 != 1 or (provider is None and n == numbers[0])]
            created = Provider.objects.bulk_create([generator.provider(n) for n in needs_own])
            own = dict(zip(needs_own, created, strict=True))
            datas, pages = [], []
            for n in numbers:
                provider = own.get(n, provider)
                data = generator.listing(n)
                data["provider"] = provider
                datas.append(data)
                position += 1
                published = now - timedelta(days=generator.rng.randint(0, 400), minutes=n)
                slug = f"listing-{n}"
                pages.append(
                    Page(
                        title=data["title"],
                        draft_title=data["title"],
                        slug=slug,
                        content_type=content_type,
                        locale=locale,
                        path=Page._get_path(directory.path, directory.depth + 1, position),
                        depth=directory.depth + 1,
                        numchild=0,
                        url_path=f"{directory.url_path}{slug}/",
                        live=True,
                        has_unpublished_changes=False,
                        first_published_at=published,
                        last_published_at=published,
                        translation_key=uuid.uuid4(),
                    )
                )
            Page.objects.bulk_create(pages)
            rows, links, prices = [], {name: [] for name in through}, []
            for page, data in zip(pages, datas, strict=True):
                listing = ListingPage(
                    page_ptr_id=page.pk,
                    provider=data["provider"],
                    **{k: v for k, v in data.items() if k not in (*through, "prices", "title", "provider")},
                )
                rows.append([f.get_db_prep_save(getattr(listing, f.attname), connection) for f in fields])
                for name, model in through.items():
                    source = ListingPage._meta.get_field(name).m2m_field_name()
                    target = ListingPage._meta.get_field(name).m2m_reverse_field_name()
                    links[name] += [
                        model(**{f"{source}_id": page.pk, f"{target}_id": t.pk}) for t in data[name]
                    ]
                prices += [
                    ListingPrice(listing_id=page.pk, sort_order=i, **p) for i, p in enumerate(data["prices"])
                ]
            with connection.cursor() as cursor:
                cursor.executemany(insert, rows)
            for name, model in through.items():
                model.objects.bulk_create(links[name])
            ListingPrice.objects.bulk_create(prices)
            Page.objects.filter(pk=directory.pk).update(numchild=F("numchild") + len(pages))
        directory.refresh_from_db()
        log(f"bulk: {first + len(numbers)} listings")
    return time.perf_counter() - started


def build(size: int, sample: int) -> dict[str, str]:
    """Fill the current (empty, migrated) database; return what to remember about it."""
    from wagtail.models import Page

    from directory.models import ListingPage

    generator = Generator()
    directory = directory_page()
    sample = min(sample, size)
    log(f"creating {sample} listings through Wagtail (add_child, revision, publish)")
    wagtail_seconds = create_with_wagtail(generator, directory, sample)
    log(f"creating {size - sample} listings in bulk")
    bulk_seconds = create_in_bulk(generator, directory, sample, size - sample)
    problems = [len(found) for found in Page.find_problems()]
    live = ListingPage.objects.live().public().count()
    if any(problems) or live != size:
        raise SystemExit(f"the bulk-built tree is wrong: find_problems={problems}, live listings={live}")
    return {
        "size": str(size),
        "wagtail_sample": str(sample),
        "wagtail_seconds": f"{wagtail_seconds:.3f}",
        "bulk_seconds": f"{bulk_seconds:.3f}",
        "fingerprint": fingerprint(),
    }


# --- measuring ---------------------------------------------------------------------------------------


def measure(client, urls: list[str], warmup: int = 3) -> dict[str, float]:
    """Time GET of each URL in turn; p50/p95 in ms, requests a second, queries per request."""
    from django.core.cache import cache
    from django.db import connection

    for url in urls[:warmup]:
        client.get(url)
    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    cache.clear()
    with connection.execute_wrapper(count):
        assert client.get(urls[0]).status_code == 200
    samples = []
    started = time.perf_counter()
    for url in urls:
        cache.clear()  # no ETag or rate-limit shortcuts: every request does the full work
        began = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - began)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}: {response.content[:200]!r}")
    elapsed = time.perf_counter() - started
    p50, p95 = percentiles(samples)
    return {
        "p50_ms": p50,
        "p95_ms": p95,
        "rps": len(urls) / elapsed,
        "queries": len(queries),
        "requests": len(urls),
    }


def run_measurements(size: int, requests: int) -> dict[str, dict[str, float]]:
    """Every scenario, in one process, on the same data."""
    from django.conf import settings
    from django.test import Client

    from directory.models import ListingPage
    from directory.oruk import conformance, views

    settings.ORUK_RATE_LIMIT_PER_MINUTE = 0  # one client making thousands of requests
    client = Client()
    pages = math.ceil(size / PER_PAGE)
    # The bulk-built listings must publish exactly like Wagtail-built ones: check a page of each.
    for page in (1, pages):
        contents = client.get(f"/openreferral/services?page={page}&per_page={PER_PAGE}&full=true").json()[
            "contents"
        ]
        problems = [p for item in contents for p in conformance.schema_problems("service.json", item)]
        if len(contents) != min(PER_PAGE, size - (page - 1) * PER_PAGE) or problems:
            raise SystemExit(f"page {page} of /services is wrong: {len(contents)} services, {problems[:3]}")
    rng = random.Random(SEED)
    page_numbers = [rng.randint(1, pages) for _ in range(requests)]
    ids = list(ListingPage.objects.live().values_list("public_id", flat=True))
    sal = "/openreferral/service_at_locations"
    results = {
        "services": measure(
            client, [f"/openreferral/services?page={p}&per_page={PER_PAGE}" for p in page_numbers]
        ),
        "services_full": measure(
            client, [f"/openreferral/services?page={p}&per_page={PER_PAGE}&full=true" for p in page_numbers]
        ),
        "services_full_first_page": measure(
            client, [f"/openreferral/services?page=1&per_page={PER_PAGE}&full=true"] * (requests // 4)
        ),
        "services_full_last_page": measure(
            client, [f"/openreferral/services?page={pages}&per_page={PER_PAGE}&full=true"] * (requests // 4)
        ),
        "service_detail": measure(
            client, [f"/openreferral/services/{rng.choice(ids)}" for _ in range(requests)]
        ),
        "service_at_locations_postcode": measure(
            client,
            [f"{sal}?postcode=BL3&page={rng.randint(1, 20)}&per_page={PER_PAGE}" for _ in range(requests)],
        ),
    }
    # Baseline: the same full pages with the view's prefetching switched off (N+1 queries).
    prefetching = views._with_relations
    views._with_relations = lambda queryset, *, full: queryset
    try:
        results["baseline_full_no_prefetch"] = measure(
            client,
            [
                f"/openreferral/services?page={p}&per_page={PER_PAGE}&full=true"
                for p in page_numbers[: requests // 4]
            ],
        )
    finally:
        views._with_relations = prefetching
    return results


def main(argv=None) -> None:
    """Build or reuse the data set, measure, print `key=value` figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000, help="listings in the data set (default 10000)")
    parser.add_argument("--wagtail-sample", type=int, default=200, help="listings created through Wagtail")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per scenario")
    parser.add_argument("--fresh", action="store_true", help="rebuild the data set even if it is stored")
    args = parser.parse_args(argv)

    path = database_path(args.size)
    _django.setup(path)
    import logging

    for name in ("wagtail", "django_tasks", "django.request"):
        logging.getLogger(name).setLevel(logging.ERROR)

    _django.migrate()
    meta = _django.read_meta()
    reused = (
        not args.fresh
        and meta.get("fingerprint") == fingerprint()
        and meta.get("size") == str(args.size)
        and meta.get("wagtail_sample") == str(min(args.wagtail_sample, args.size))
    )
    if not reused:
        log(f"building {args.size} listings in {path}")
        _django.reset_database(path)
        meta = build(args.size, args.wagtail_sample)
        _django.write_meta(meta)
    else:
        log(f"reusing {path}")

    results = run_measurements(args.size, args.requests)

    sample, wagtail_seconds = int(meta["wagtail_sample"]), float(meta["wagtail_seconds"])
    per_listing_ms = wagtail_seconds / sample * 1000 if sample else math.nan
    figures = {
        "listings": args.size,
        "per_page": PER_PAGE,
        "database": path,
        "database_reused": int(reused),
        "client": "django.test.Client (in process, full middleware, no network)",
        "created_through_wagtail": sample,
        "wagtail_create_ms_per_listing": f"{per_listing_ms:.1f}",
        "wagtail_create_estimate_for_all_s": f"{per_listing_ms * args.size / 1000:.0f}",
        "bulk_create_s": meta["bulk_seconds"],
    }
    for scenario, values in results.items():
        figures[f"{scenario}_p50_ms"] = f"{values['p50_ms']:.1f}"
        figures[f"{scenario}_p95_ms"] = f"{values['p95_ms']:.1f}"
        figures[f"{scenario}_rps"] = f"{values['rps']:.1f}"
        figures[f"{scenario}_queries"] = values["queries"]
        figures[f"{scenario}_requests"] = values["requests"]
    speedup = results["baseline_full_no_prefetch"]["p50_ms"] / results["services_full"]["p50_ms"]
    figures["prefetch_speedup_p50"] = f"{speedup:.1f}"
    for key, value in figures.items():
        print(f"{key}={value}")


if __name__ == "__main__":
    main()

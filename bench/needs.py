"""Needs benchmark: matching one new need against 10,000 listings, and telling the providers.

Run `python -m bench.needs [--size 10000] [--needs 50] [--fresh]`. The listings are
bench.pages' (bench/search_data.py's towns, outcomes, travel radii and availability, written as
real published ListingPages in bulk); the database is a SQLite file of its own under /tmp (or
$BENCH_DIR), `lsm-bench-needs-<size>.sqlite3`, copied from bench.pages' file when that one is
there and built with `bench.pages.build` otherwise, then migrated (which adds the needs tables).

For `--needs` random needs (a town's district, one or two outcomes, one to three slots) it
measures, with p50 and p95 in ms and the SQL queries of one call:

- `match`: `signposting.needs.matching.listings_for_need` (outcome and availability in SQL, a
  bounding box round the district, then the exact distance rule in Python);
- baseline `scan`, in the same run on the same data: every live listing loaded with its outcomes
  and served districts, and the same rules applied in Python (what matching does without the
  database's help), timed on a tenth of the needs because it is slow;
- `notify`: posting one new need (the earlier ones withdrawn) and running the daily digest
  `send_need_digests` (emails to the in-memory outbox), with how many providers were emailed;
- `group match` and `group notify`: the same for group proposals (`groups.propose_group`, 3 to
  8 people), on the same districts, outcomes and times as the needs.

Figures go to stdout as a table; progress to stderr.
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from . import _django

SEED = 2026


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database_path(size: int) -> Path:
    return Path(os.environ.get("BENCH_DIR", tempfile.gettempdir())) / f"lsm-bench-needs-{size}.sqlite3"


def prepare(size: int, fresh: bool) -> None:
    """Copy or build the listings, then start Django on the needs benchmark's own file."""
    from bench import pages

    path = database_path(size)
    source = pages.database_path(size)
    if (fresh or not path.exists()) and source.exists():
        log(f"copying {source} to {path}")
        shutil.copyfile(source, path)
    _django.setup(path)
    import logging

    for name in ("wagtail", "django_tasks", "search"):
        logging.getLogger(name).setLevel(logging.ERROR)
    _django.migrate()
    meta = _django.read_meta()
    if meta.get("size") != str(size) or meta.get("version") != str(pages.GENERATOR_VERSION):
        log(f"building {size} listings in {path}")
        _django.reset_database(path)
        _django.write_meta(pages.build(size))


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def random_needs(count: int, size: int, *, group: bool = False):
    """Needs (each from its own account) in the towns that hold listings; group proposals
    (3 to 8 people) when `group`, drawn from the same seed so they fall where the needs do."""
    from bench import search_data
    from directory.fields import SLOTS, slots_to_mask
    from directory.models import Outcome, PostcodeDistrict
    from signposting.needs import groups, services
    from tests.factories import UserFactory

    rng = random.Random(SEED)
    outcomes = list(Outcome.objects.all())
    slots = [slot for slot, _ in SLOTS]
    made = []
    for _ in range(count):
        town = rng.randrange(search_data.town_count(size))
        fields = {
            "by": UserFactory(),
            "outcomes": rng.sample(outcomes, rng.choice((1, 2))),
            "own_words": "A bench need.",
            "district": PostcodeDistrict.objects.get(code=search_data.district_codes(town)[0]),
            "availability": slots_to_mask(rng.sample(slots, rng.choice((1, 2, 3)))),
        }
        if group:
            made.append(groups.propose_group(min_people=3, max_people=8, **fields))
        else:
            made.append(services.post_need(**fields))
    return made


def scan(need) -> list:
    """The baseline: every live listing in Python, with the same rules."""
    from directory.models import ListingPage
    from signposting.needs import matching

    wanted = {o.pk for o in need.outcomes.all()}
    found = []
    for listing in ListingPage.objects.live().public().prefetch_related("outcomes", "served_districts"):
        if not wanted & {o.pk for o in listing.outcomes.all()}:
            continue
        if matching.availability_overlaps(need.availability, listing.availability) and (
            matching.listing_serves_district(listing, need.district)
        ):
            found.append(listing)
    return found


def timed(call, items) -> tuple[list[float], list[int], list]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, queries, results = [], [], []
    for item in items:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            results.append(call(item))
            times.append(time.perf_counter() - started)
        queries.append(len(captured))
    return times, queries, results


def run(size: int, count: int, fresh: bool) -> None:
    prepare(size, fresh)
    from django.conf import settings
    from django.core import mail
    from django.db import transaction

    from signposting.needs import matching, services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    with transaction.atomic():
        needs = random_needs(count, size)
        for need in needs[:3]:  # warm up
            matching.listings_for_need(need)
        match_t, match_q, found = timed(matching.listings_for_need, needs)
        scanned = needs[: max(3, count // 10)]
        scan_t, scan_q, scan_found = timed(scan, scanned)
        assert [len(f) for f in found[: len(scanned)]] == [len(f) for f in scan_found], "match != scan"
        # Notifying: one new need open at a time, then the daily digest.
        for need in needs:
            services.withdraw_need(need=need, by=need.posted_by)

        def notify(need):
            from signposting.models import Need

            Need.objects.filter(pk=need.pk).update(withdrawn_at=None)
            emailed = services.send_need_digests()
            services.withdraw_need(need=need, by=need.posted_by)
            return emailed

        notify_t, notify_q, emailed = timed(notify, needs)
        proposals = random_needs(count, size, group=True)
        group_t, group_q, group_found = timed(matching.listings_for_need, proposals)
        for proposal in proposals:
            services.withdraw_need(need=proposal, by=proposal.posted_by)
        group_notify_t, group_notify_q, group_emailed = timed(notify, proposals)
        transaction.set_rollback(True)  # leave the listings as they were for the next run
    matches = [len(f) for f in found]
    print(f"needs benchmark: {size} live listings, {count} needs (SQLite, one process)")
    print(f"{'measure':12} {'p50 ms':>9} {'p95 ms':>9} {'SQL p50':>8}  notes")
    for name, times, queries, note in (
        ("match", match_t, match_q, f"listings matched per need: median {statistics.median(matches):.0f}"),
        ("scan", scan_t, scan_q, f"baseline, {len(scanned)} needs"),
        (
            "notify",
            notify_t,
            notify_q,
            f"providers emailed per need: median {statistics.median(emailed):.0f}",
        ),
        (
            "group match",
            group_t,
            group_q,
            f"listings matched per proposal: median {statistics.median(len(f) for f in group_found):.0f}",
        ),
        (
            "group notify",
            group_notify_t,
            group_notify_q,
            f"providers emailed per proposal: median {statistics.median(group_emailed):.0f}",
        ),
    ):
        p50, p95 = percentiles(times)
        print(f"{name:12} {p50:9.1f} {p95:9.1f} {statistics.median(queries):8.0f}  {note}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--needs", type=int, default=50)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args(argv)
    run(args.size, args.needs, args.fresh)


if __name__ == "__main__":
    main()

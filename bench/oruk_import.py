"""Open Referral import benchmark: records per second and peak memory importing generated feeds.

Run `python -m bench.oruk_import [--records 10000] [--page 500]`. It runs on whatever database
DATABASE_URL names (SQLite when unset), but in a throwaway test database Django creates beside
it ("test_…") and drops afterwards, so the site's own data is never touched.

Scenarios, in one process, each importing the records in pages of `--page` (as a paged feed
arrives), published:
- `v3_create`: ORUK 3.0 records, every one new (a listing page, a revision, publishing);
- `v3_unchanged` (the baseline, measured in the same run): the same records again: every
  record is read, checked and compared, and nothing is written;
- `v1_create`: the same number of ORUK 1.0 records (numbered ids, `regular_schedules`,
  `physical_addresses`, empty strings), every one new: what the 1.0 normalisation costs on top.

Figures, as `key=value` lines: records per second (wall clock, and per second of this
process's CPU time, which the machine's other work disturbs less), and memory: `peak_rss_mib`, the process's
peak resident memory so far (the operating system's count: it never goes down, so a scenario's
figure is the peak of it and everything before it), and, with `--trace-memory`, `peak_mib`, the
peak Python memory within the scenario (tracemalloc; it slows every scenario two- to threefold,
so rates measured with it are not comparable with rates measured without).

Within an import, Wagtail's own indexes and our search index are updated once per page of
records (directory/indexing.py, search/signals.py); with the immediate task backend the bench
uses, that work happens inside the import and is in the rates.
"""

import argparse
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = ("BL1", "BL2", "BL3", "BL4", "BL5", "BL6", "BL7")


def v3_record(n: int) -> dict:
    """One ORUK 3.0 service, as a council's /services/{id} gives it."""
    district = DISTRICTS[n % len(DISTRICTS)]
    return {
        "id": f"b3000000-0000-4000-8000-{n:012d}",
        "name": f"Community support group {n}",
        "description": f"Group {n} meets weekly in {district}.\n\nEveryone welcome.",
        "url": "",
        "email": f"group{n}@example.org" if n % 3 else "",
        "status": "active",
        "organization": {"id": f"b3100000-0000-4000-8000-{n % 500:012d}", "name": f"Organisation {n % 500}"},
        "schedules": [{"id": f"b3200000-0000-4000-8000-{n:012d}", "byday": "MO,TH", "opens_at": "10:00"}],
        "cost_options": [
            {"id": f"b3300000-0000-4000-8000-{n:012d}", "amount": 3.5, "amount_description": "per session"}
        ],
        "languages": [{"id": f"b3400000-0000-4000-8000-{n:012d}", "code": "en"}],
        "contacts": [
            {
                "id": f"b3500000-0000-4000-8000-{n:012d}",
                "phones": [{"id": f"b3600000-0000-4000-8000-{n:012d}", "number": "01204 496 000"}],
            }
        ],
        "service_at_locations": [
            {
                "id": f"b3700000-0000-4000-8000-{n:012d}",
                "location": {
                    "id": f"b3800000-0000-4000-8000-{n:012d}",
                    "addresses": [
                        {"id": f"b3900000-0000-4000-8000-{n:012d}", "postal_code": f"{district} 1AA"}
                    ],
                },
            }
        ],
    }


def v1_record(n: int) -> dict:
    """One ORUK 1.0 service, as the older council APIs publish it."""
    district = DISTRICTS[n % len(DISTRICTS)]
    return {
        "id": 100_000 + n,
        "name": f"Drop-in club {n}",
        "description": f"Club {n} in {district}.",
        "url": "",
        "email": "",
        "status": "active",
        "fees": "",
        "organisation": {"id": 900_000 + n % 500, "name": f"Club organisation {n % 500}", "url": ""},
        "regular_schedules": [
            {"id": n, "weekday": "Tuesday", "opens_at": "13:00", "closes_at": "15:00", "byday": ""}
        ],
        "cost_options": [{"id": n, "amount": 2, "amount_description": "per visit"}],
        "languages": [{"id": n, "language": "English"}],
        "service_at_locations": [
            {
                "id": n,
                "location": {"id": n, "physical_addresses": [{"id": n, "postal_code": f"{district} 2BB"}]},
            }
        ],
        "eligibilitys": [{"id": n, "minimum_age": 50}],
    }


def peak_rss_mib() -> float:
    """The process's peak resident memory so far, in MiB (Linux reports kibibytes)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(records: list, page_size: int, source: str, *, trace_memory: bool = False) -> dict[str, float]:
    """Import `records` page by page; records per second, peak memory, what happened."""
    from directory.oruk import importer

    if trace_memory:
        tracemalloc.start()
        tracemalloc.reset_peak()
    started, cpu_started = time.perf_counter(), time.process_time()
    totals = {"created": 0, "unchanged": 0, "errors": 0}
    for offset in range(0, len(records), page_size):
        report = importer.import_feed(data=records[offset : offset + page_size], publish=True, source=source)
        totals["created"] += report.created
        totals["unchanged"] += report.unchanged
        totals["errors"] += len(report.errors)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    memory = {"peak_rss_mib": peak_rss_mib()}
    if trace_memory:
        memory["peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 1024 / 1024, 1)
        tracemalloc.stop()
    return {
        "records_per_second": round(len(records) / seconds, 1),
        "seconds": round(seconds, 1),
        # This process's own CPU time: on a machine shared with other work, wall-clock rates fall
        # with the load; records per CPU second much less so (database server time not included).
        "records_per_cpu_second": round(len(records) / cpu_seconds, 1),
        **memory,
        **totals,
    }


# Where creating a listing spends its time: the innermost of these frames on the stack wins.
PROFILE_PARTS = (
    ("search_index", ("search/",)),
    ("page_tree_insert", ("treebeard/", "add_child")),
    ("revision_and_publish", ("save_revision", "revisions", "publish")),
    ("oruk_mapping", ("directory/oruk/",)),
)


def profile_create(count: int) -> dict[str, float]:
    """Share of wall time (per cent) in each PROFILE_PARTS part while creating `count` records."""
    import cProfile
    import pstats

    from directory.oruk import importer

    records = [v3_record(1_000_000 + n) for n in range(count)]
    profiler = cProfile.Profile()
    profiler.enable()
    importer.import_feed(data=records, publish=True, source="https://bench.example/profile")
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = max(v[3] for v in stats.values())  # the outermost call's cumulative time
    shares = {}
    for part, needles in PROFILE_PARTS:
        # The largest cumulative time of any function matching the part: the outermost entry into it.
        entry = max(
            (v[3] for (file, _, func), v in stats.items() if any(n in file or n == func for n in needles)),
            default=0.0,
        )
        shares[part] = round(100 * entry / total, 1)
    return shares


def main(argv=None) -> None:
    """Build a throwaway database, run the three scenarios and print their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="also profile creating N more records"
    )
    parser.add_argument(
        "--trace-memory", action="store_true", help="also report peak Python memory (tracemalloc; slow)"
    )
    args = parser.parse_args(argv)

    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # Wagtail logs every page it creates and publishes
    from django.db import connection

    from tests.factories import directory_page

    original = connection.settings_dict["NAME"]
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        directory_page()
        print(f"database={connection.vendor} ({name})")
        print(f"records={args.records} page={args.page}")
        v3 = [v3_record(n) for n in range(args.records)]
        trace = {"trace_memory": args.trace_memory}
        print(f"before_peak_rss_mib={peak_rss_mib()}", flush=True)
        scenarios = (
            ("v3_create", v3, "https://bench.example/v3"),
            ("v3_unchanged", v3, "https://bench.example/v3"),
            ("v1_create", [v1_record(n) for n in range(args.records)], "https://bench.example/v1"),
        )
        for scenario, records, source in scenarios:
            # Each scenario's figures as soon as it ends, with the machine's load meanwhile.
            for key, value in measure(records, args.page, source, **trace).items():
                print(f"{scenario}_{key}={value}")
            print(f"{scenario}_load_average={' '.join(f'{n:.2f}' for n in os.getloadavg())}", flush=True)
        if args.profile:
            for part, share in profile_create(args.profile).items():
                print(f"profile_{part}_percent={share}")
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


if __name__ == "__main__":
    main()

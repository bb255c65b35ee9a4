"""What loading every UK postcode district costs: in `migrate` and in every test database.

Run `DATABASE_URL=… python -m bench.places [--repeat 3]` against a migrated database (SQLite
file or PostgreSQL); everything happens inside a transaction that is rolled back, so the
database is left as it was. Figures, as `key=value` lines on stdout (best of --repeat, in ms):
- `bulk_load_ms`: `directory.places.load_districts` into an empty table (what migration 0004
  does on a fresh install: ~3,100 rows in batches of 1,000);
- `baseline_row_by_row_ms`: the same rows with one `update_or_create` each, the way the old
  Bolton-only seed loaded its 12 districts (measured in the same run);
- `reload_existing_ms`: load_districts again over a full, unchanged table (only changed rows
  are written);
- `snapshot_restore_ms`: what a test with a serialized rollback (the browser tests) pays to
  restore the districts: Django's own deserialize-and-save of the table's rows;
- `snapshot_restore_bulk_ms`: the same rows with bulk_create, as `tests/snapshot.py` restores them;
- `snapshot_restore_baseline_ms`: Django's way for the 10 Bolton districts BL0 to BL9 (about what
  the old Bolton-only seed cost).
"""

import argparse
import os
import sys
import time


def _best(repeat, run):
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return min(times)


class _Rollback(Exception):
    pass


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core import serializers
    from django.db import connection, transaction

    from directory.models import Place, PostcodeDistrict
    from directory.places import load_districts, read_districts

    rows = read_districts()
    figures = {"vendor": connection.vendor, "districts": len(rows)}

    def empty():
        PostcodeDistrict.objects.all().delete()

    def bulk():
        empty()
        load_districts(PostcodeDistrict=PostcodeDistrict)

    def row_by_row():
        empty()
        for row in rows:
            values = dict(row)
            PostcodeDistrict.objects.update_or_create(code=values.pop("code"), defaults=values)

    try:
        with transaction.atomic():
            figures["bulk_load_ms"] = round(_best(args.repeat, bulk), 1)
            figures["baseline_row_by_row_ms"] = round(_best(args.repeat, row_by_row), 1)
            figures["reload_existing_ms"] = round(
                _best(args.repeat, lambda: load_districts(PostcodeDistrict=PostcodeDistrict, Place=Place)), 1
            )
            everything = serializers.serialize("json", PostcodeDistrict.objects.order_by("pk"))
            bolton = serializers.serialize(
                "json", PostcodeDistrict.objects.filter(code__regex=r"^BL[0-9]$").order_by("pk")
            )

            def restore(data):
                def run():
                    with transaction.atomic():
                        empty()
                        for obj in serializers.deserialize("json", data):
                            obj.save()

                return run

            def bulk_restore():
                with transaction.atomic():
                    empty()
                    objects = [obj.object for obj in serializers.deserialize("json", everything)]
                    PostcodeDistrict.objects.bulk_create(objects, batch_size=500)

            figures["snapshot_restore_ms"] = round(_best(args.repeat, restore(everything)), 1)
            figures["snapshot_restore_bulk_ms"] = round(_best(args.repeat, bulk_restore), 1)
            figures["snapshot_restore_baseline_ms"] = round(_best(args.repeat, restore(bolton)), 1)
            raise _Rollback
    except _Rollback:
        pass
    for key, value in figures.items():
        sys.stdout.write(f"{key}={value}\n")


if __name__ == "__main__":
    main()

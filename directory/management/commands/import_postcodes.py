"""manage.py import_postcodes FILE [--area BL ...]: load the ONS Postcode Directory.

FILE is the ONSPD CSV (`Data/ONSPD_<MONTH>_<YEAR>_UK.csv` inside the download) or the zip
itself. See docs/importing.md for where to get it.
"""

import io
import re
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.importers import ImportFailed
from directory.importers.postcodes import import_postcodes_csv

_MAIN_CSV = re.compile(r"(^|/)Data/ONSPD_[^/]*_UK\.csv$", re.IGNORECASE)


@contextmanager
def _open_text(path: Path):
    """The CSV as a text stream, straight out of the zip when given one (no need to unzip 1 GB)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if _MAIN_CSV.search(n)]
            if not names:
                csvs = [n for n in archive.namelist() if n.lower().endswith(".csv")]
                if len(csvs) != 1:
                    raise CommandError(
                        f"{path} has no Data/ONSPD_<MONTH>_<YEAR>_UK.csv inside; unzip it and give the CSV."
                    )
                names = csvs
            with archive.open(names[0]) as raw:
                yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        yield handle


class Command(BaseCommand):
    """Import or update postcodes and their coordinates from the ONS Postcode Directory."""

    help = (
        "Import postcodes from the ONS Postcode Directory CSV (or its zip). Terminated postcodes and "
        "ones without a location are skipped; running it again updates what is there."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="ONSPD_<MONTH>_<YEAR>_UK.csv, or the ONSPD zip.")
        parser.add_argument(
            "--area",
            action="append",
            default=[],
            metavar="LETTERS",
            help='Only this postcode area, like "BL" or "M" (the whole letters). Repeat for more.',
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Postcodes saved per query.")
        parser.add_argument(
            "--progress-every", type=int, default=100_000, help="Report progress every this many rows."
        )

    def handle(self, *args, file, area, batch_size, progress_every, **options):
        areas = [a.strip().upper() for a in area]
        bad = [a for a in areas if not re.fullmatch(r"[A-Z]{1,2}", a)]
        if bad:
            raise CommandError(
                f'--area {bad[0]!r} is not a postcode area: give its letters, like "BL" for Bolton.'
            )
        if batch_size < 1 or progress_every < 1:
            raise CommandError("--batch-size and --progress-every must be 1 or more.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"Cannot read {file}: there is no such file.")

        started = time.monotonic()

        def progress(rows, report):
            self.stdout.write(
                f"{rows:,} rows read, {report.created + report.updated:,} postcodes saved "
                f"({time.monotonic() - started:.0f}s)"
            )

        try:
            with _open_text(path) as handle:
                report = import_postcodes_csv(
                    file=handle,
                    areas=areas,
                    batch_size=batch_size,
                    progress=progress,
                    progress_every=progress_every,
                )
        except ImportFailed as exc:
            raise CommandError(f"{file}: {exc}") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"{report} ({time.monotonic() - started:.0f}s)"))

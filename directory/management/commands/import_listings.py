"""manage.py import_listings FILE [--dry-run] [--publish]: load listings from a CSV spreadsheet."""

import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from directory.importers.listings import ImportFailed, import_listings_csv


class Command(BaseCommand):
    """Import listings from a CSV file; the columns are described in docs/importing.md."""

    help = (
        "Import directory listings from a CSV file (columns: docs/importing.md). Rows with problems "
        "are listed and skipped; the rest are imported as drafts unless --publish is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file, saved as UTF-8 (Excel: CSV UTF-8).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would change; save nothing."
        )
        parser.add_argument(
            "--publish", action="store_true", help="Publish the listings instead of leaving them as drafts."
        )

    def handle(self, *args, file, dry_run, publish, verbosity, **options):
        path = Path(file)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        # Decode the whole file here rather than while parsing: then a byte that is not UTF-8
        # can be reported with its exact line, before any row is imported. "utf-8-sig" drops
        # the byte-order mark Excel puts at the start of "CSV UTF-8" files.
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise CommandError(
                f"{file} is not saved as UTF-8 text: line {line} has a character that cannot be read "
                f'(byte 0x{raw[exc.start]:02X}). In Excel use "Save As" and choose '
                '"CSV UTF-8 (Comma delimited)", then import it again. Nothing was imported.'
            ) from exc

        try:
            report = import_listings_csv(file=io.StringIO(text, newline=""), dry_run=dry_run, publish=publish)
        except ImportFailed as exc:
            raise CommandError(f"{file}: {exc} Nothing was imported.") from exc

        for error in report.errors:
            self.stdout.write(self.style.ERROR(report.describe(error)))
        for warning in report.warnings:
            self.stdout.write(self.style.WARNING(report.describe(warning)))
        if dry_run or verbosity >= 2:
            would = "would be " if dry_run else ""
            for result in report.results:
                self.stdout.write(report.describe(result._replace(action=would + result.action)))
        style = self.style.SUCCESS if not report.errors else self.style.WARNING
        self.stdout.write(style(str(report)))

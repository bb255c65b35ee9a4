"""`manage.py import_oruk FILE_OR_URL [--publish] [--dry-run]`: import an Open Referral UK 3.0 feed.

See directory/oruk/importer.py for what is imported and docs/openreferral.md for how to use it.
"""

import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError

from directory.oruk.importer import FeedError, import_feed, read_source

# Wagtail logs every page created and published, and django-tasks every indexing task:
# hundreds of lines that would bury the report. Warnings and errors still show.
CHATTY_LOGGERS = ("wagtail", "django_tasks")


@contextmanager
def _quiet(names):
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


class Command(BaseCommand):
    help = (
        "Import an Open Referral UK 3.0 feed: a JSON file or an http(s) URL holding a list of services "
        "(as /services/{id} returns them), a paged /services response, service-at-locations or "
        "organisations with their services. Imported listings are unclaimed; they are saved as drafts "
        "for a coordinator to approve unless --publish is given. Importing the same feed again updates "
        "the listings instead of duplicating them. Invalid records are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="A path to a JSON file, or an http:// or https:// URL.")
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Publish new and changed listings at once instead of saving drafts for moderation.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the whole feed and report what would happen, then write nothing.",
        )

    def handle(self, *args, **options):
        try:
            with _quiet(CHATTY_LOGGERS if options["verbosity"] < 2 else ()):
                report = import_feed(
                    data=read_source(source=options["source"]),
                    publish=options["publish"],
                    dry_run=options["dry_run"],
                )
        except FeedError as exc:
            raise CommandError(str(exc)) from exc

        for problem in report.errors:
            self.stderr.write(self.style.ERROR(f"Not imported: {problem}"))
        for problem in report.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {problem}"))
        if options["verbosity"] >= 2:
            for result in report.results:
                self.stdout.write(f"  {result}")
        self.stdout.write(self.style.SUCCESS(str(report)) if not report.errors else str(report))
        handled = (
            report.imported
            + report.unchanged
            + report.skipped
            + report.unpublished
            + report.organizations_created
            + report.organizations_updated
        )
        if report.errors and not handled:
            raise CommandError(f"Nothing was imported: all {len(report.errors)} record(s) were invalid.")

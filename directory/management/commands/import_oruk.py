"""`manage.py import_oruk FILE_OR_URL [--publish] [--dry-run] [--all-pages [--resume]]`: import a feed.

See directory/oruk/importer.py for what is imported and docs/openreferral.md for how to use it.
"""

import logging
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError

from directory.models import Feed
from directory.oruk import feeds
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
        "Import an Open Referral UK feed (3.0, or the older 1.0 shape): a JSON file or an http(s) URL "
        "holding a list of services "
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

        parser.add_argument(
            "--all-pages",
            action="store_true",
            help="Follow a paged URL feed to its last page; services gone from it are then unpublished.",
        )
        parser.add_argument(
            "--resume", action="store_true", help="With --all-pages: carry on from the last page done."
        )
        parser.add_argument(
            "--delay",
            type=float,
            default=feeds.DEFAULT_DELAY_SECONDS,
            help="With --all-pages: seconds to wait between requests.",
        )
        parser.add_argument("--timeout", type=float, default=feeds.DEFAULT_TIMEOUT_SECONDS)
        parser.add_argument("--retries", type=int, default=feeds.DEFAULT_RETRIES)

    def handle(self, *args, **options):
        if options["all_pages"]:
            self._all_pages(options)
            return
        try:
            with _quiet(CHATTY_LOGGERS if options["verbosity"] < 2 else ()):
                report = import_feed(
                    data=read_source(source=options["source"], timeout=options["timeout"]),
                    source=options["source"],
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

    def _all_pages(self, options):
        url = options["source"]
        if "://" not in url or options["dry_run"]:
            raise CommandError(
                "--all-pages follows a feed's address (http:// or https://) and cannot be a dry run."
            )
        feed = Feed.objects.filter(url=url).first() or Feed.objects.create(name=url[:100], url=url)
        with _quiet(CHATTY_LOGGERS if options["verbosity"] < 2 else ()):
            run = feeds.import_pages(
                feed=feed,
                publish=options["publish"],
                resume=options["resume"],
                delay=options["delay"],
                timeout=options["timeout"],
                retries=options["retries"],
            )
        for problem in run.problems:
            self.stderr.write(problem)
        self.stdout.write(str(run))
        if not run.complete:
            raise CommandError(
                f"Stopped after {run.pages} page(s): {run.stopped} Run again with --resume to carry on."
            )

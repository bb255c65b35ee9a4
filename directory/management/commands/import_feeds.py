"""`manage.py import_feeds [--delay SECONDS]`: re-read every registered Open Referral feed (daily)."""

from django.core.management.base import BaseCommand

from directory.management.commands.import_oruk import CHATTY_LOGGERS, _quiet
from directory.oruk import feeds


class Command(BaseCommand):
    help = "Re-read every registered feed page by page; see each feed's last run in the admin (Feeds)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--delay", type=float, default=feeds.DEFAULT_DELAY_SECONDS, help="Seconds between requests."
        )

    def handle(self, *args, **options):
        with _quiet(CHATTY_LOGGERS if options["verbosity"] < 2 else ()):
            runs = feeds.import_registered_feeds(delay=options["delay"])
        for run in runs:
            self.stdout.write(str(run))
        if not runs:
            self.stdout.write("No feeds are registered (add one with manage.py add_feed NAME URL).")

"""Email people about new listings that match their saved searches.

Run by cron: `--frequency immediate` every 15 minutes, `--frequency weekly` once a week.
Running it again sends nothing twice.
"""

from django.core.management.base import BaseCommand

from signposting.models import SavedSearch
from signposting.services import send_alerts


class Command(BaseCommand):
    """The cron entry point for saved-search alerts."""

    help = "Email people about new listings that match their saved searches."

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=SavedSearch.Frequency.values,
            required=True,
            help="Which saved searches to send: immediate ones or the weekly digest.",
        )

    def handle(self, *args, frequency, **options):
        sent = send_alerts(frequency=frequency)
        self.stdout.write(f"Sent {sent} {frequency} alert email{'s' if sent != 1 else ''}.")

"""Email would-be providers whose demand alerts reached a new level.

Run by cron once a day. Running it again sends nothing twice.
"""

from django.core.management.base import BaseCommand

from signposting.needs.alerts import send_demand_alerts


class Command(BaseCommand):
    """The cron entry point for demand alerts."""

    help = "Email would-be providers when demand grows where they asked to hear about it."

    def handle(self, *args, **options):
        sent = send_demand_alerts()
        self.stdout.write(f"Sent {sent} demand alert{'s' if sent != 1 else ''}.")

"""Email providers about new needs their listings could meet.

Run by cron once a day. Running it again sends nothing twice.
"""

from django.core.management.base import BaseCommand

from signposting.needs.services import send_need_digests


class Command(BaseCommand):
    """The cron entry point for the daily needs digest."""

    help = "Email providers about new needs their listings could meet."

    def handle(self, *args, **options):
        sent = send_need_digests()
        self.stdout.write(f"Sent {sent} needs digest{'s' if sent != 1 else ''}.")

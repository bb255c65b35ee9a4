"""Send the directory's reminder emails. Run once a day, for example from cron:

    15 7 * * *  cd /srv/app && .venv/bin/python manage.py send_reminders

It is safe to run more often, or twice at once: each reminder is recorded and goes once.
"""

from django.core.management.base import BaseCommand

from cms.commands import date_option
from directory.reminders import send_all_reminders


class Command(BaseCommand):
    help = "Email providers about evidence that is expiring and listings to confirm (run daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="Act as if today were this date (YYYY-MM-DD), to catch up after an outage.",
        )

    def handle(self, *args, **options):
        today = date_option(options["date"])
        counts = send_all_reminders(today=today)
        self.stdout.write(
            f"Sent {counts['evidence']} evidence reminder email(s) and "
            f"{counts['confirmation']} confirmation request(s)."
        )

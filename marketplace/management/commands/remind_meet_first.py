"""`manage.py remind_meet_first`: remind both sides of meetings in the next day, and ask both
whether they want to go ahead once a meeting's time has come.

Run once a day, for example from cron:

    0 8 * * *  cd /srv/app && .venv/bin/python manage.py remind_meet_first

Safe to run more often, or after missed days: each reminder and each question is sent once
(`marketplace/services/meet_first.py`, `remind_due`).
"""

from datetime import datetime

from django.core.management.base import BaseCommand
from django.utils import timezone

from cms.commands import date_option
from marketplace.services.meet_first import remind_due


class Command(BaseCommand):
    help = (
        "Remind people and providers of meetings tomorrow, and ask both about meetings that happened (daily)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--date", help="Act as if today were this date (YYYY-MM-DD), at this time of day."
        )

    def handle(self, *args, **options):
        today = date_option(options["date"])
        now = None
        if today is not None:
            now = timezone.make_aware(datetime.combine(today, timezone.localtime().time()))
        counts = remind_due(now=now)
        self.stdout.write(
            f"Reminded {counts['reminded']} meeting(s); "
            f"asked about {counts['asked']} meeting(s) that happened."
        )

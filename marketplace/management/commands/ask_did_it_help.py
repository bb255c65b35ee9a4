"""`manage.py ask_did_it_help`: ask about paid support that is a few weeks in, or has ended.

Run once a day, for example from cron:

    0 9 * * *  cd /srv/app && .venv/bin/python manage.py ask_did_it_help

Safe to run more often, or after missed days: each question is made and emailed once
(`marketplace/services/outcome_checks.py`).
"""

from django.core.management.base import BaseCommand

from cms.commands import date_option
from marketplace.services.outcome_checks import ask_due


class Command(BaseCommand):
    help = "Ask holders whether paid support helped, a few weeks in and at its end (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Act as if today were this date (YYYY-MM-DD).")

    def handle(self, *args, **options):
        today = date_option(options["date"])
        sent = ask_due(today=today)
        self.stdout.write(f"Asked {sent} budget holder(s) whether their support helped.")

"""`manage.py settle_group_activities`: decide group activities whose last day to join has passed.

Run once a day, for example from cron:

    30 6 * * *  cd /srv/app && .venv/bin/python manage.py settle_group_activities

Safe to run more often, or twice at once: money moves once per share. A refund the payment
service cannot make now is left for the next run; the command then exits with status 1.
"""

from django.core.management.base import BaseCommand, CommandError

from cms.commands import date_option
from marketplace.services.pooling import settle_due_activities, summarise


class Command(BaseCommand):
    help = "Go ahead with, or call off, group activities past their last day to join (run daily)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--date",
            help="Act as if today were this date (YYYY-MM-DD), to catch up after an outage.",
        )

    def handle(self, *args, **options):
        today = date_option(options["date"])
        counts = summarise(settle_due_activities(today=today))
        self.stdout.write(
            f"{counts['going_ahead']} group(s) going ahead, {counts['called_off']} called off: "
            f"{counts['cancelled']} place(s) cancelled without charge, {counts['refunded']} refunded."
        )
        if counts["left_for_later"]:
            raise CommandError(
                f"{counts['left_for_later']} place(s) could not be refunded or cancelled now (the payment "
                "service may be down). Run the command again later; nothing was done twice."
            )

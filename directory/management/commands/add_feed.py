"""`manage.py add_feed NAME URL [--publish]`: register an Open Referral feed to re-read daily."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from directory.models import Feed


class Command(BaseCommand):
    help = (
        "Register an Open Referral feed (its /services address). `manage.py import_feeds` (run daily) "
        "reads every registered feed page by page and keeps the directory in step with it."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="A short name coordinators will recognise, e.g. “Bolton Council”.")
        parser.add_argument("url", help="The feed's address, e.g. https://example.org/api/services")
        parser.add_argument("--publish", action="store_true", help="Publish its listings without review.")

    def handle(self, *args, name, url, publish, **options):
        feed = Feed.objects.filter(name=name).first() or Feed(name=name)
        feed.url, feed.publish = url, publish
        try:
            feed.full_clean()
        except ValidationError as exc:
            raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from exc
        feed.save()
        self.stdout.write(self.style.SUCCESS(f"Feed “{feed.name}” registered: {feed.url}"))

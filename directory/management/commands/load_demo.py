"""`manage.py load_demo`: fill the site with demo pages, accounts, providers and listings.

Safe to run again: it updates what is there instead of adding duplicates.
"""

import logging
import time
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand

from directory.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

# Wagtail logs every page created and published, and django-tasks every search-index task:
# thousands of lines that bury the summary. Warnings and errors still show.
CHATTY_LOGGERS = ("wagtail", "django_tasks")


@contextmanager
def _quiet(loggers, level=logging.WARNING):
    saved = {name: logging.getLogger(name).level for name in loggers}
    for name in loggers:
        logging.getLogger(name).setLevel(level)
    try:
        yield
    finally:
        for name, old in saved.items():
            logging.getLogger(name).setLevel(old)


class Command(BaseCommand):
    help = (
        "Load the demo site: home page, guides, directory, about 150 providers and listings around "
        "Bolton and Bury, and demo logins. Running it again changes nothing."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with _quiet(CHATTY_LOGGERS if options["verbosity"] < 2 else ()):
            counts = load_demo()
            # A fresh search index, whatever state an older database's index was in (the demo
            # is small: this takes about a second).
            call_command("rebuild_search_index", stdout=StringIO())
        seconds = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(f"Demo loaded in {seconds:.1f} s."))
        for name, count in counts.items():
            self.stdout.write(f"  {name}: {count}")
        self.stdout.write(f"Demo logins use the password {DEMO_PASSWORD}:")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.email}")

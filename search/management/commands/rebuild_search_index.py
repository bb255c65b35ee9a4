"""manage.py rebuild_search_index: rebuild the search index from every live listing."""

import sys

from django.core.management.base import BaseCommand, CommandError

from search.backends import BACKENDS, get_search_backend


class Command(BaseCommand):
    help = "Rebuild the search index (the configured backend, or --backend) from every live listing."

    def add_arguments(self, parser):
        parser.add_argument("--backend", choices=sorted(BACKENDS), help="Default: SEARCH_BACKEND.")

    def handle(self, *args, backend=None, **options):
        if backend is None and get_search_backend().name != "database":
            # The database index is what searches fall back to when the cluster is down.
            self._rebuild(get_search_backend("database"))
        self._rebuild(get_search_backend(backend))

    def _rebuild(self, search_backend):
        show_bar = self.stdout.isatty() if hasattr(self.stdout, "isatty") else sys.stdout.isatty()

        def progress(done, total):
            width = 30
            filled = int(width * done / total) if total else width
            bar = "#" * filled + "-" * (width - filled)
            end = "\r" if show_bar and done < total else "\n"
            if show_bar or done == total:
                self.stdout.write(f"[{bar}] {done}/{total} listings", ending=end)

        try:
            count = search_backend.rebuild(progress=progress)
        except Exception as exc:
            raise CommandError(f"Could not rebuild the {search_backend.name} index: {exc}") from exc
        self.stdout.write(
            self.style.SUCCESS(f"Indexed {count} listings with the {search_backend.name} backend.")
        )

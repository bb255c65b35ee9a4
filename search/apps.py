from django.apps import AppConfig


class SearchConfig(AppConfig):
    """One search interface over the directory, with database and Elasticsearch backends."""

    name = "search"

    def ready(self):
        from . import checks, signals  # noqa: F401  (registers checks, connects handlers)

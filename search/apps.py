from django.apps import AppConfig


class SearchConfig(AppConfig):
    """One search interface over the directory, with database and Elasticsearch backends."""

    name = "search"

    def ready(self):
        from . import signals  # noqa: F401  (connects the indexing signal handlers)

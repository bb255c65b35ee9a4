"""Resolve the configured search backend lazily from settings.SEARCH_BACKEND."""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .base import BaseSearchBackend

BACKENDS = {
    "database": "search.backends.database.DatabaseSearchBackend",
    "elasticsearch": "search.backends.elasticsearch.ElasticsearchSearchBackend",
    "opensearch": "search.backends.opensearch.OpenSearchSearchBackend",
}


@lru_cache(maxsize=4)
def _load(name: str) -> BaseSearchBackend:
    try:
        path = BACKENDS[name]
    except KeyError:
        raise ImproperlyConfigured(
            f"SEARCH_BACKEND={name!r}: choose one of {', '.join(sorted(BACKENDS))}."
        ) from None
    return import_string(path)()


def get_search_backend(name: str | None = None) -> BaseSearchBackend:
    """The backend named by `name` or settings.SEARCH_BACKEND ("database" by default)."""
    return _load(name or getattr(settings, "SEARCH_BACKEND", "database") or "database")


def reset_backends() -> None:
    """Forget loaded backends (tests that change settings call this)."""
    _load.cache_clear()

"""System checks: a search misconfiguration is reported at start-up, not on the first search."""

from django.conf import settings
from django.core.checks import Error, register

from .backends import BACKENDS


@register()
def check_search_backend(app_configs, **kwargs):
    """SEARCH_BACKEND must name a backend, and Elasticsearch needs ELASTICSEARCH_URL."""
    name = getattr(settings, "SEARCH_BACKEND", "database")
    if name not in BACKENDS:
        return [
            Error(
                f"SEARCH_BACKEND={name!r} is not a search backend.",
                hint=f"Use one of: {', '.join(sorted(BACKENDS))}.",
                id="search.E001",
            )
        ]
    if name == "elasticsearch" and not getattr(settings, "ELASTICSEARCH_URL", ""):
        return [
            Error(
                "SEARCH_BACKEND is 'elasticsearch' but ELASTICSEARCH_URL is empty.",
                hint="Set ELASTICSEARCH_URL (e.g. http://127.0.0.1:9200) or use SEARCH_BACKEND=database.",
                id="search.E002",
            )
        ]
    return []

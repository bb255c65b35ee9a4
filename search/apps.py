from django.apps import AppConfig


class SearchConfig(AppConfig):
    """One search interface over the directory, with database and Elasticsearch backends."""

    name = "search"

    def ready(self):
        from cms.landing import register_landing, register_navigation

        from . import checks, onboarding, signals  # noqa: F401  (registers checks, connects handlers)

        register_landing("search.professional", onboarding.professional_landing, order=40)
        register_navigation("search.professional", onboarding.professional_navigation, order=40)

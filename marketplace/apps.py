from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    """Budgets, support plans, requests and orders, payments through Stripe Connect, and the ledger."""

    name = "marketplace"

    def ready(self):
        from cms.landing import register_landing, register_navigation

        from . import (
            checks,  # noqa: F401 (registers the system checks)
            paid_support,  # noqa: F401 (answers signposting's "which needs turned into paid support?")
            signals,  # noqa: F401 (answers cms.signals)
        )
        from .landing import budget_landing, budget_navigation, provider_navigation

        register_landing("marketplace.budget", budget_landing, order=20)
        register_navigation("marketplace.budget", budget_navigation, order=20)
        register_navigation("marketplace.provider", provider_navigation, order=31)

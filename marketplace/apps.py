from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    """Budgets, support plans, requests and orders, payments through Stripe Connect, and the ledger."""

    name = "marketplace"

    def ready(self):
        from . import checks  # noqa: F401 (registers the system checks)

from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    """Budgets, support plans, orders, payments and the ledger (filled by the payments issue)."""

    name = "marketplace"

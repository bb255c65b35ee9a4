from django.apps import AppConfig


class SignpostingConfig(AppConfig):
    """Professionals, shortlists, enquiries, saved searches and alerts, and the demand report."""

    name = "signposting"

    def ready(self):
        from . import signals  # noqa: F401  (connects the erasure handler)

from django.apps import AppConfig


class SignpostingConfig(AppConfig):
    """Professionals, shortlists, enquiries, saved searches and alerts, and the demand report."""

    name = "signposting"

    def ready(self):
        from cms.landing import register_landing, register_navigation

        from . import onboarding, signals  # noqa: F401  (connects the erasure and sign-up handlers)

        register_landing("signposting.professional", onboarding.professional_landing, order=40)
        register_navigation("signposting.professional", onboarding.professional_navigation, order=40)

from django.apps import AppConfig


class SignpostingConfig(AppConfig):
    """Professionals, shortlists, enquiries, saved searches and alerts, needs and offers, and the
    demand report."""

    name = "signposting"

    def ready(self):
        from cms.landing import register_landing, register_navigation

        from . import onboarding, signals  # noqa: F401  (connects the erasure and sign-up handlers)
        from .needs import (
            demo,  # noqa: F401  (posts the demo needs when load_demo runs)
            groups,  # noqa: F401  (records group activities set up from proposals)
            supply,  # noqa: F401  (makes waiting offers when a new listing goes live)
        )

        register_landing("signposting.professional", onboarding.professional_landing, order=40)
        register_navigation("signposting.professional", onboarding.professional_navigation, order=40)

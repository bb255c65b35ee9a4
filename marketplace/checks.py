"""System checks for the payment settings: a half-configured Stripe is found at start-up,
not when the first person tries to pay."""

from django.conf import settings
from django.core.checks import Warning, register


@register("marketplace")
def check_stripe_settings(app_configs=None, **kwargs):
    """Warn when Stripe keys are set without the webhook secret (orders would never be paid)."""
    problems = []
    secret_key = getattr(settings, "STRIPE_SECRET_KEY", "")
    if secret_key and not getattr(settings, "STRIPE_WEBHOOK_SECRET", ""):
        problems.append(
            Warning(
                "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not.",
                hint="Orders become paid only through signed webhooks: set the endpoint's signing secret.",
                id="marketplace.W001",
            )
        )
    if secret_key.startswith("sk_live_") and settings.DEBUG:
        problems.append(
            Warning(
                "A live Stripe key is configured with DEBUG on.",
                hint="Use a test key (sk_test_...) for development.",
                id="marketplace.W002",
            )
        )
    return problems


@register("marketplace")
def check_payments_set_up(app_configs=None, **kwargs):
    """Warn when no payment service is set up: a configuration state, not an outage. The site
    still works; holders are told to pay providers directly and record it as spending."""
    from .services.payments import payments_set_up

    if payments_set_up():
        return []
    return [
        Warning(
            "Payments are not set up: nobody can pay providers through this site.",
            hint=(
                "Set STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY and STRIPE_WEBHOOK_SECRET (see "
                "docs/payments.md). Until then holders are told to pay providers directly and "
                "record it as spending paid outside the site."
            ),
            id="marketplace.W003",
        )
    ]

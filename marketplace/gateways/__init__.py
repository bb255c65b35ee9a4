"""Payment gateways: one interface (`base.PaymentGateway`), backends chosen from settings.

`MARKETPLACE_PAYMENT_GATEWAY` is the dotted path of the backend class (default: Stripe).
The backend is built on first use, not at import, and rebuilt when its settings change,
so tests and deployments can point it elsewhere.
"""

import threading

from django.conf import settings
from django.utils.module_loading import import_string

from .base import (
    AccountStatus,
    AccountUpdated,
    CheckoutCompleted,
    CheckoutEnded,
    CheckoutSession,
    DisputeClosed,
    DisputeOpened,
    GatewayError,
    GatewayRejected,
    GatewayUnavailable,
    PaymentEvent,
    PaymentFailed,
    PaymentGateway,
    PaymentRefunded,
    PaymentSucceeded,
    ReceivedEvent,
    RefundResult,
    WebhookVerificationError,
)

DEFAULT_GATEWAY = "marketplace.gateways.stripe.StripeGateway"

__all__ = [
    "AccountStatus",
    "AccountUpdated",
    "CheckoutCompleted",
    "CheckoutEnded",
    "CheckoutSession",
    "DisputeClosed",
    "DisputeOpened",
    "GatewayError",
    "GatewayRejected",
    "GatewayUnavailable",
    "PaymentEvent",
    "PaymentFailed",
    "PaymentGateway",
    "PaymentRefunded",
    "PaymentSucceeded",
    "ReceivedEvent",
    "RefundResult",
    "WebhookVerificationError",
    "get_payment_gateway",
]

_lock = threading.Lock()
_cache: dict[tuple, PaymentGateway] = {}


def get_payment_gateway() -> PaymentGateway:
    """The configured payment gateway, built once per distinct configuration."""
    path = getattr(settings, "MARKETPLACE_PAYMENT_GATEWAY", DEFAULT_GATEWAY)
    backend = import_string(path)
    key = (path, *backend.settings_key())
    with _lock:
        gateway = _cache.get(key)
        if gateway is None:
            gateway = _cache[key] = backend.from_settings()
        return gateway

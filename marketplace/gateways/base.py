"""The payment gateway interface: what the marketplace needs from a payment service.

One interface, with the backend chosen lazily from settings (`marketplace.gateways.
get_payment_gateway`). Stripe Connect is the one implementation; tests point it at local
Stripe-compatible servers rather than replacing it. Values cross this boundary as small
frozen dataclasses of plain types, so nothing outside `gateways/` handles SDK objects.

Every money-moving call carries an idempotency key derived from the order, so a retry
(ours, the SDK's or a person's double click) can never take or return money twice.
"""

import abc
from dataclasses import dataclass, field
from datetime import datetime


class GatewayError(Exception):
    """The payment service could not do what was asked."""


class GatewayUnavailable(GatewayError):
    """The payment service could not be reached, timed out or failed on its side: try later."""


class GatewayRejected(GatewayError):
    """The payment service refused the request (bad parameters, a declined card, a rule)."""


class WebhookVerificationError(GatewayError):
    """A webhook's signature is missing, wrong or too old, or its body is not an event."""


@dataclass(frozen=True)
class AccountStatus:
    """A provider's connected account as the payment service sees it."""

    account_id: str
    charges_enabled: bool
    payouts_enabled: bool
    details_submitted: bool
    requirements_due: list[str] = field(default_factory=list)
    disabled_reason: str = ""


@dataclass(frozen=True)
class CheckoutSession:
    """A hosted checkout page for one order."""

    session_id: str
    url: str
    status: str  # "open", "complete" or "expired"
    payment_status: str  # "paid", "unpaid" or "no_payment_required"
    payment_intent_id: str = ""
    expires_at: datetime | None = None


@dataclass(frozen=True)
class RefundResult:
    """A refund the payment service has made (or started)."""

    refund_id: str
    amount_pence: int
    status: str  # "succeeded", "pending", "failed" or "canceled"


class PaymentGateway(abc.ABC):
    """What the marketplace asks of a payment service. Each hook raises `GatewayUnavailable`
    when the service cannot be reached and `GatewayRejected` when it says no."""

    @classmethod
    def settings_key(cls) -> tuple:
        """The settings this backend is built from (a change builds a new instance)."""
        return ()

    @classmethod
    def from_settings(cls) -> "PaymentGateway":
        """Build the backend from Django settings."""
        return cls()

    @abc.abstractmethod
    def create_account(self, *, provider) -> AccountStatus:
        """Create the provider's connected account (idempotent per provider)."""

    @abc.abstractmethod
    def retrieve_account(self, *, account_id: str) -> AccountStatus:
        """Fetch a connected account's current state: can it be paid, and what is missing."""

    @abc.abstractmethod
    def onboarding_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        """A short-lived address of the service's hosted onboarding for this account."""

    @abc.abstractmethod
    def create_checkout(
        self, *, order, destination: str, success_url: str, cancel_url: str
    ) -> CheckoutSession:
        """Start hosted checkout for an order as a destination charge to `destination`."""

    @abc.abstractmethod
    def expire_checkout(self, *, order, session_id: str) -> CheckoutSession:
        """Close an open checkout so it can no longer be paid; returns its final state."""

    @abc.abstractmethod
    def refund(self, *, order, payment, amount_pence: int) -> RefundResult:
        """Refund (part of) a payment and reverse the transfer to the provider."""

    @abc.abstractmethod
    def verify_webhook(self, *, payload: bytes, signature: str, endpoint: str) -> dict:
        """Check a webhook's signature and age; return the event as plain data."""

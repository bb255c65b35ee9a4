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
    failure_reason: str = ""  # why a failed refund failed, in the service's code


# --- Events: what the payment service tells us, in the marketplace's terms ---------------------
# The gateway verifies a webhook and turns it into one of these; the rest of the code never
# sees the service's own event names or fields. `order_ref` is the order's public id as the
# service echoes it back (the handler checks it is one of ours); `payment_ref` is the
# service's reference for the money taken, which refunds and disputes point at.


@dataclass(frozen=True)
class CheckoutCompleted:
    """A hosted checkout finished. `paid` is False while a delayed payment method is still
    clearing (a later `CheckoutCompleted` with `paid` True follows)."""

    order_ref: str
    session_id: str
    account_id: str  # the provider's account the money goes to ("" when not stated)
    amount_pence: int
    currency: str
    payment_ref: str
    paid: bool = True


@dataclass(frozen=True)
class CheckoutEnded:
    """A hosted checkout closed without taking money: it expired, or its delayed payment failed."""

    order_ref: str
    session_id: str
    payment_failed: bool = False


@dataclass(frozen=True)
class PaymentSucceeded:
    """Money was taken for an order (the same money a completed checkout reports; recorded once)."""

    order_ref: str
    payment_ref: str
    account_id: str
    amount_pence: int
    currency: str


@dataclass(frozen=True)
class PaymentFailed:
    """An attempt to pay for an order was declined; `message` says why, in the service's words."""

    order_ref: str
    payment_ref: str
    message: str = ""


@dataclass(frozen=True)
class PaymentRefunded:
    """Money was refunded from a payment, here or in the service's own dashboard.

    `amount_refunded_pence` is the payment's refunded total so far, or None when the event
    is about one refund and does not say the total; `refunds` lists individual refunds only
    when the service included them (it may not). `charge_ref` is the service's reference
    for the charge whose total it is, by which its refunds can be asked for
    (`PaymentGateway.refunds_of`); "" when the event does not say.
    """

    payment_ref: str
    amount_refunded_pence: int | None
    refunds: tuple[RefundResult, ...] = ()
    charge_ref: str = ""


@dataclass(frozen=True)
class DisputeOpened:
    """The card holder disputed a payment with their bank."""

    payment_ref: str
    reason: str = ""


@dataclass(frozen=True)
class DisputeClosed:
    """The card holder's bank decided a dispute. `lost` means the disputed amount went back to
    the card for good (the budget gets it back); a won dispute leaves the payment as it was."""

    payment_ref: str
    dispute_ref: str
    amount_pence: int
    lost: bool
    reason: str = ""


@dataclass(frozen=True)
class AccountUpdated:
    """A provider's connected account changed (what it can do, what is still needed)."""

    status: AccountStatus


PaymentEvent = (
    CheckoutCompleted
    | CheckoutEnded
    | PaymentSucceeded
    | PaymentFailed
    | PaymentRefunded
    | DisputeOpened
    | DisputeClosed
    | AccountUpdated
)


@dataclass(frozen=True)
class ReceivedEvent:
    """One verified webhook delivery: its identity, and what it means (`event` is None for
    events the marketplace does not act on). `payload` is the verified body, kept so an
    event that arrives before the payment it refers to can be read again later."""

    event_id: str
    type: str  # the service's own name for it, kept on record for people reading the log
    created: int
    payload: dict
    event: PaymentEvent | None


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

    def is_configured(self) -> bool:
        """False when the site has no credentials for the service, so nobody can pay through it:
        a configuration state, not an outage (see marketplace.checks)."""
        return True

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
    def refunds_of(self, *, charge_ref: str) -> tuple[RefundResult, ...]:
        """Every refund of a charge as the service holds it now (made, pending or failed),
        newest first: what a refunded total is made of."""

    @abc.abstractmethod
    def parse_event(self, *, payload: bytes, signature: str, endpoint: str) -> ReceivedEvent:
        """Check a webhook's signature and age and return what it means; raises
        `WebhookVerificationError` when it is not a genuine, fresh event."""

    @abc.abstractmethod
    def read_event(self, data: dict) -> ReceivedEvent:
        """What a stored event (`ReceivedEvent.payload`, verified when it arrived) means."""

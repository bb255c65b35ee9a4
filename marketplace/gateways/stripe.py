"""Stripe Connect through the official `stripe` SDK (a `StripeClient`, never the global state).

- Providers get Express-style connected accounts (Stripe hosts the dashboard and collects
  the requirements; the platform carries fees and losses), onboarded through account links.
- Holders pay through Stripe Checkout as a *destination charge*: the charge is on the
  platform, and the whole amount is transferred to the provider's account at once, so the
  platform never holds direct-payment money. Refunds reverse that transfer.
- The API version is pinned (`STRIPE_API_VERSION`), so Stripe's object shapes cannot
  change under us when the account's default version moves on.
- Money-moving calls carry idempotency keys derived from the order; the SDK retries
  network failures with the same key, so a retry can never charge or refund twice.
"""

import time
from datetime import UTC, datetime

import stripe
from django.conf import settings

from .base import (
    AccountStatus,
    AccountUpdated,
    CheckoutCompleted,
    CheckoutEnded,
    CheckoutSession,
    DisputeClosed,
    DisputeOpened,
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

# The version stripe==16.1.0's types were generated from; bump the two together.
STRIPE_API_VERSION = "2026-10-28.endive"
DEFAULT_TIMEOUT_SECONDS = 20
DEFAULT_MAX_RETRIES = 2
DEFAULT_WEBHOOK_TOLERANCE = 300
CURRENCY = "gbp"

# Stripe's business types for ours: sole traders are individuals; charities are non-profits.
BUSINESS_TYPES = {
    "sole_trader": "individual",
    "partnership": "company",
    "limited_company": "company",
    "cic": "company",
    "charity": "non_profit",
}


def checkout_idempotency_key(order) -> str:
    """One Checkout Session per order and attempt: a double click gets the same session."""
    return f"order-{order.public_id}-checkout-{order.checkout_attempt}"


def expire_idempotency_key(order) -> str:
    """Expiring the current attempt's session."""
    return f"order-{order.public_id}-expire-{order.checkout_attempt}"


def refund_idempotency_key(order, payment) -> str:
    """The n-th refund of an order's payment: a retry of the same refund reuses its key."""
    return f"order-{order.public_id}-refund-{payment.refunds.count() + 1}"


def account_idempotency_key(provider) -> str:
    """One connected account per provider, however often onboarding is started."""
    return f"provider-{provider.public_id}-account-v1"


class StripeGateway(PaymentGateway):
    """The payment gateway backed by Stripe Connect."""

    def __init__(
        self,
        *,
        api_key: str,
        api_base: str = "",
        webhook_secrets: dict[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_retries: int = DEFAULT_MAX_RETRIES,
        webhook_tolerance: int = DEFAULT_WEBHOOK_TOLERANCE,
    ):
        self.api_key = api_key
        self.webhook_secrets = webhook_secrets or {}
        self.webhook_tolerance = webhook_tolerance
        base = api_base.rstrip("/") if api_base else stripe.DEFAULT_API_BASE
        self.client = stripe.StripeClient(
            # The SDK refuses an empty key before any request; an unconfigured site should
            # fail when someone tries to pay (as "unavailable"), not when a page is built.
            api_key or "sk_unconfigured",
            stripe_version=STRIPE_API_VERSION,
            base_addresses={"api": base, "connect": base},
            max_network_retries=max_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    @classmethod
    def settings_key(cls) -> tuple:
        return tuple(_settings_values().items())

    @classmethod
    def from_settings(cls) -> "StripeGateway":
        values = _settings_values()
        return cls(
            api_key=values["api_key"],
            api_base=values["api_base"],
            webhook_secrets={"platform": values["platform_secret"], "connect": values["connect_secret"]},
            timeout=values["timeout"],
            max_retries=values["max_retries"],
            webhook_tolerance=values["tolerance"],
        )

    # --- Connect ---------------------------------------------------------------------

    def create_account(self, *, provider) -> AccountStatus:
        """Create the provider's connected account (idempotent per provider)."""
        params = {
            "country": "GB",
            "email": provider.email,
            "business_type": BUSINESS_TYPES.get(provider.business_type, "individual"),
            "business_profile": {"name": provider.name},
            # Express-style: Stripe's Express dashboard, Stripe collects the requirements,
            # the platform pays Stripe's fees and carries losses on its destination charges.
            "controller": {
                "stripe_dashboard": {"type": "express"},
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "requirement_collection": "stripe",
            },
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "metadata": {"provider_id": str(provider.public_id)},
        }
        account = self._call(
            self.client.v1.accounts.create, params, {"idempotency_key": account_idempotency_key(provider)}
        )
        return _account_status(account)

    def retrieve_account(self, *, account_id: str) -> AccountStatus:
        """Fetch a connected account's current state: can it be paid, and what is missing."""
        return _account_status(self._call(self.client.v1.accounts.retrieve, account_id))

    def onboarding_link(self, *, account_id: str, refresh_url: str, return_url: str) -> str:
        """A short-lived address of Stripe's hosted onboarding for this account."""
        params = {
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": refresh_url,
            "return_url": return_url,
            "collection_options": {"fields": "currently_due"},
        }
        # No idempotency key: each link is single-use and expires within minutes, so a
        # replayed (expired) link would be useless.
        return self._call(self.client.v1.account_links.create, params).to_dict()["url"]

    # --- Checkout --------------------------------------------------------------------

    def checkout_params(self, *, order, destination: str, success_url: str, cancel_url: str) -> dict:
        """The Checkout Session parameters for an order (public so tests can validate them)."""
        order_id = str(order.public_id)
        return {
            "mode": "payment",
            "client_reference_id": order_id,
            # Cards only: direct payments are spent with a prepaid card (this API version's name).
            "allowed_payment_method_types": ["card"],
            "locale": "en-GB",
            "submit_type": "pay",
            "line_items": [
                {
                    "quantity": order.quantity,
                    "price_data": {
                        "currency": CURRENCY,
                        "unit_amount": order.unit_price_pence,
                        "product_data": {
                            "name": f"{order.service_description} ({order.unit_label})"[:250],
                            "description": f"From {order.provider.name}, "
                            f"{order.starts_on:%d %B %Y} to {order.ends_on:%d %B %Y}"[:500],
                        },
                    },
                }
            ],
            # A destination charge: the whole amount goes to the provider's account.
            "payment_intent_data": {
                "transfer_data": {"destination": destination},
                "description": f"Order {order.reference}"[:1000],
                "metadata": {"order_id": order_id},
            },
            "metadata": {"order_id": order_id},
            "success_url": f"{success_url}?session_id={{CHECKOUT_SESSION_ID}}",
            "cancel_url": cancel_url,
        }

    def create_checkout(
        self, *, order, destination: str, success_url: str, cancel_url: str
    ) -> CheckoutSession:
        """Start hosted checkout for an order as a destination charge to `destination`."""
        params = self.checkout_params(
            order=order, destination=destination, success_url=success_url, cancel_url=cancel_url
        )
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params,
            {"idempotency_key": checkout_idempotency_key(order)},
        )
        if _replayed(session):
            # Stripe replays the first answer for a reused key, which says "open" even if the
            # session has since expired or been paid: ask for its state now.
            session = self._call(self.client.v1.checkout.sessions.retrieve, session.id)
        return _checkout_session(session)

    def expire_checkout(self, *, order, session_id: str) -> CheckoutSession:
        """Close an open checkout so it can no longer be paid; returns its final state."""
        try:
            session = self._call(
                self.client.v1.checkout.sessions.expire,
                session_id,
                None,
                {"idempotency_key": expire_idempotency_key(order)},
            )
        except GatewayRejected:
            # Stripe refuses to expire a session that is already complete or expired: say
            # which, so the caller knows whether money moved.
            session = self._call(self.client.v1.checkout.sessions.retrieve, session_id)
        return _checkout_session(session)

    # --- Refunds ---------------------------------------------------------------------

    def refund(self, *, order, payment, amount_pence: int) -> RefundResult:
        """Refund (part of) a payment and reverse the transfer to the provider."""
        params = {
            "payment_intent": payment.payment_intent_id,
            "amount": amount_pence,
            "metadata": {"order_id": str(order.public_id)},
        }
        if payment.destination_account:
            # Take the money back from the provider's account too; without this the platform
            # would refund the holder out of its own balance.
            params["reverse_transfer"] = True
        refund = self._call(
            self.client.v1.refunds.create, params, {"idempotency_key": refund_idempotency_key(order, payment)}
        )
        data = refund.to_dict()
        return RefundResult(
            refund_id=data["id"], amount_pence=int(data["amount"]), status=data.get("status") or ""
        )

    def refunds_of(self, *, charge_ref: str) -> tuple[RefundResult, ...]:
        """Every refund of a charge (`GET /v1/refunds?charge=…`), all pages, newest first."""

        def every_page():
            listed = self.client.v1.refunds.list(params={"charge": charge_ref, "limit": 100})
            return [_refund_result(item.to_dict()) for item in listed.auto_paging_iter()]

        # Later pages are fetched while iterating, so errors are caught around the whole walk.
        return tuple(self._call(every_page))

    # --- Webhooks --------------------------------------------------------------------

    def parse_event(self, *, payload: bytes, signature: str, endpoint: str) -> ReceivedEvent:
        """Check a webhook's signature and age and return what it means."""
        return self.read_event(self.verify_webhook(payload=payload, signature=signature, endpoint=endpoint))

    def read_event(self, data: dict) -> ReceivedEvent:
        """What a verified Stripe event means, as one of the marketplace's event types."""
        reader = EVENT_READERS.get(data.get("type") or "")
        obj = (data.get("data") or {}).get("object") or {}
        return ReceivedEvent(
            event_id=data.get("id") or "",
            type=data.get("type") or "",
            created=int(data.get("created") or 0),
            payload=data,
            event=reader(data, obj) if reader else None,
        )

    def verify_webhook(self, *, payload: bytes, signature: str, endpoint: str) -> dict:
        """Check a webhook's signature and age; return the event as plain data."""
        secret = self.webhook_secrets.get(endpoint) or self.webhook_secrets.get("platform")
        if not secret:
            raise WebhookVerificationError("No webhook signing secret is configured.")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, secret, tolerance=self.webhook_tolerance, api_key=self.api_key
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookVerificationError(str(exc.user_message or exc)) from exc
        except ValueError as exc:  # the body is not JSON
            raise WebhookVerificationError("The body is not a JSON event.") from exc
        # The SDK only rejects old timestamps; one from the future is as suspect.
        timestamp = _signature_timestamp(signature)
        if timestamp is not None and timestamp > time.time() + self.webhook_tolerance:
            raise WebhookVerificationError("The signature's timestamp is in the future.")
        data = event.to_dict(for_json=True)
        if not data.get("id") or not data.get("type"):
            raise WebhookVerificationError("The body is not an event.")
        return data

    def is_configured(self) -> bool:
        """Stripe is set up when the site has a secret key (STRIPE_SECRET_KEY)."""
        return bool(self.api_key)

    # --- plumbing --------------------------------------------------------------------

    def _call(self, method, *args):
        """Call the SDK, turning its errors into the gateway's two kinds."""
        try:
            return method(*args)
        except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
            raise GatewayUnavailable(str(exc.user_message or exc)) from exc
        except stripe.APIError as exc:
            # 5xx from Stripe (or a proxy in front of it): their problem, try again later.
            raise GatewayUnavailable(str(exc.user_message or exc)) from exc
        except stripe.AuthenticationError as exc:
            # A wrong or missing key is a misconfiguration the person paying cannot fix.
            raise GatewayUnavailable("The payment service is not set up correctly.") from exc
        except stripe.StripeError as exc:
            raise GatewayRejected(str(exc.user_message or exc)) from exc


def _settings_values() -> dict:
    platform_secret = getattr(settings, "STRIPE_WEBHOOK_SECRET", "")
    return {
        "api_key": getattr(settings, "STRIPE_SECRET_KEY", ""),
        "api_base": getattr(settings, "STRIPE_API_BASE", ""),
        "platform_secret": platform_secret,
        # Connect events come to their own endpoint, which Stripe signs with its own secret.
        "connect_secret": getattr(settings, "STRIPE_CONNECT_WEBHOOK_SECRET", "") or platform_secret,
        "timeout": float(getattr(settings, "STRIPE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS)),
        "max_retries": int(getattr(settings, "STRIPE_MAX_NETWORK_RETRIES", DEFAULT_MAX_RETRIES)),
        "tolerance": int(getattr(settings, "STRIPE_WEBHOOK_TOLERANCE", DEFAULT_WEBHOOK_TOLERANCE)),
    }


def _replayed(stripe_object) -> bool:
    response = stripe_object.last_response
    headers = {k.lower(): v for k, v in (response.headers if response else {}).items()}
    return headers.get("idempotent-replayed") == "true"


def _signature_timestamp(header: str) -> int | None:
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            return int(value)
    return None


def _account_status(account) -> AccountStatus:
    return _account_status_from(account.to_dict())


def _account_status_from(account: dict) -> AccountStatus:
    requirements = account.get("requirements") or {}
    return AccountStatus(
        account_id=account["id"],
        charges_enabled=bool(account.get("charges_enabled")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        details_submitted=bool(account.get("details_submitted")),
        requirements_due=list(requirements.get("currently_due") or []),
        disabled_reason=requirements.get("disabled_reason") or "",
    )


def _checkout_session(session) -> CheckoutSession:
    session = session.to_dict()
    expires_at = session.get("expires_at")
    payment_intent = session.get("payment_intent") or ""
    if not isinstance(payment_intent, str):  # expanded
        payment_intent = payment_intent.get("id", "")
    return CheckoutSession(
        session_id=session["id"],
        url=session.get("url") or "",
        status=session.get("status") or "",
        payment_status=session.get("payment_status") or "",
        payment_intent_id=payment_intent,
        expires_at=datetime.fromtimestamp(int(expires_at), tz=UTC) if expires_at else None,
    )


# --- Reading events --------------------------------------------------------------------
# Each reader takes the whole event and its `data.object` and returns the marketplace's event.


def _object_id(value) -> str:
    """An id from a field that is either the id or the expanded object."""
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _order_ref(obj: dict) -> str:
    return str((obj.get("metadata") or {}).get("order_id") or obj.get("client_reference_id") or "")


def _destination(payment_intent) -> str:
    if not isinstance(payment_intent, dict):
        return ""
    return _object_id((payment_intent.get("transfer_data") or {}).get("destination"))


def _checkout_completed(event: dict, session: dict) -> PaymentEvent:
    payment_intent = session.get("payment_intent")
    payment_ref = _object_id(payment_intent)
    return CheckoutCompleted(
        order_ref=_order_ref(session),
        session_id=session.get("id") or "",
        # A session does not name a destination charge's account unless its payment is
        # expanded; a direct charge's event names it at the top.
        account_id=_destination(payment_intent) or event.get("account") or "",
        amount_pence=int(session.get("amount_total") or 0),
        currency=(session.get("currency") or CURRENCY).lower(),
        payment_ref=payment_ref,
        paid=session.get("payment_status") == "paid" and bool(payment_ref),
    )


def _checkout_ended(event: dict, session: dict) -> PaymentEvent:
    return CheckoutEnded(
        order_ref=_order_ref(session),
        session_id=session.get("id") or "",
        payment_failed=event["type"] == "checkout.session.async_payment_failed",
    )


def _payment_succeeded(event: dict, intent: dict) -> PaymentEvent:
    return PaymentSucceeded(
        order_ref=_order_ref(intent),
        payment_ref=intent.get("id") or "",
        account_id=_destination(intent),
        amount_pence=int(intent.get("amount_received") or intent.get("amount") or 0),
        currency=(intent.get("currency") or CURRENCY).lower(),
    )


def _payment_failed(event: dict, intent: dict) -> PaymentEvent:
    return PaymentFailed(
        order_ref=_order_ref(intent),
        payment_ref=intent.get("id") or "",
        message=((intent.get("last_payment_error") or {}).get("message") or "").strip(),
    )


def _refund_result(refund: dict) -> RefundResult:
    return RefundResult(
        refund_id=refund.get("id") or "",
        amount_pence=int(refund.get("amount") or 0),
        status=refund.get("status") or "",
        failure_reason=refund.get("failure_reason") or "",
    )


def _charge_refunded(event: dict, charge: dict) -> PaymentEvent:
    # Since API version 2022-11-15 a charge in an event no longer embeds its refunds, so the
    # refunded total is what counts (the site asks for the refunds it cannot attribute by the
    # charge's id); individual refunds are passed on only when present.
    embedded = (charge.get("refunds") or {}).get("data") or []
    return PaymentRefunded(
        payment_ref=_object_id(charge.get("payment_intent")),
        amount_refunded_pence=int(charge.get("amount_refunded") or 0),
        refunds=tuple(_refund_result(item) for item in embedded if item.get("id")),
        charge_ref=charge.get("id") or "",
    )


def _refund(event: dict, refund: dict) -> PaymentEvent:
    # `refund.created`, `refund.updated`, `refund.failed` and `charge.refund.updated`: one
    # refund, however it was made (here or in the dashboard), without the charge's refunded
    # total. A refund that fails later (status "failed", with a `failure_reason`) is sent as
    # `refund.updated` and `refund.failed` (and `charge.refund.updated`).
    return PaymentRefunded(
        payment_ref=_object_id(refund.get("payment_intent")),
        amount_refunded_pence=None,
        refunds=(_refund_result(refund),) if refund.get("id") else (),
        charge_ref=_object_id(refund.get("charge")),
    )


def _dispute_closed(event: dict, dispute: dict) -> PaymentEvent:
    return DisputeClosed(
        payment_ref=_object_id(dispute.get("payment_intent")),
        dispute_ref=dispute.get("id") or "",
        amount_pence=int(dispute.get("amount") or 0),
        lost=dispute.get("status") == "lost",
        reason=dispute.get("reason") or "",
    )


def _dispute_created(event: dict, dispute: dict) -> PaymentEvent:
    return DisputeOpened(
        payment_ref=_object_id(dispute.get("payment_intent")), reason=dispute.get("reason") or ""
    )


def _account_updated(event: dict, account: dict) -> PaymentEvent:
    return AccountUpdated(status=_account_status_from({**account, "id": account.get("id") or ""}))


EVENT_READERS = {
    "checkout.session.completed": _checkout_completed,
    "checkout.session.async_payment_succeeded": _checkout_completed,
    "checkout.session.async_payment_failed": _checkout_ended,
    "checkout.session.expired": _checkout_ended,
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "charge.refunded": _charge_refunded,
    "refund.created": _refund,
    "refund.updated": _refund,
    "refund.failed": _refund,
    "charge.refund.updated": _refund,
    "charge.dispute.created": _dispute_created,
    # Withdrawn and reinstated funds move the platform's balance while the bank decides; the
    # budget is credited only when the dispute is closed as lost.
    "charge.dispute.closed": _dispute_closed,
    "account.updated": _account_updated,
}

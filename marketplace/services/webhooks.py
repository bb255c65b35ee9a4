"""Webhooks: the payment service's signed events, verified and parsed by the gateway, turned
into order, payment, refund and account state here, each event exactly once."""

import logging
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from ..gateways import WebhookVerificationError, get_payment_gateway
from ..models import (
    Budget,
    Order,
    Payment,
    ProviderPaymentAccount,
    RequestEvent,
    WebhookEvent,
)
from .common import (
    InvalidWebhook,
)
from .payments import apply_account_status, mark_cancelled, record_payment, record_refund

logger = logging.getLogger(__name__)


# --- Webhooks ----------------------------------------------------------------------------


def handle_webhook(*, payload: bytes, signature: str, endpoint: str = "platform") -> str:
    """Verify and act on one webhook delivery; return what happened.

    "duplicate" for an event id seen before (nothing changes), otherwise the stored status:
    "processed", "ignored" (not ours, or older than what we know) or "deferred" (it refers
    to a payment not recorded yet; it is replayed when that payment arrives). Raises
    `InvalidWebhook` for a bad signature, a stale timestamp or a body that is not an event.
    An unexpected error rolls everything back so the payment service delivers it again.
    """
    try:
        event = get_payment_gateway().verify_webhook(payload=payload, signature=signature, endpoint=endpoint)
    except WebhookVerificationError as exc:
        raise InvalidWebhook(str(exc)) from exc
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    event_id=event["id"],
                    type=event["type"],
                    endpoint=endpoint,
                    created=int(event.get("created") or 0),
                    status=WebhookEvent.Status.PROCESSED,
                    payload=event,
                )
        except IntegrityError:
            WebhookEvent.objects.filter(event_id=event["id"]).update(deliveries=F("deliveries") + 1)
            return "duplicate"
        status, related = _dispatch(event)
        record.status = status
        record.related_object = related or ""
        record.processed_at = timezone.now() if status != WebhookEvent.Status.DEFERRED else None
        record.save()
    return status


def _dispatch(event: dict) -> tuple[str, str]:
    handler = WEBHOOK_HANDLERS.get(event["type"])
    if handler is None:
        return WebhookEvent.Status.IGNORED, ""
    return handler(event)


def process_deferred(*, related_object: str) -> None:
    """Replay events that were waiting for `related_object` (a payment) to be recorded."""
    for record in WebhookEvent.objects.filter(
        status=WebhookEvent.Status.DEFERRED, related_object=related_object
    ):
        status, _ = _dispatch(record.payload)
        if status != WebhookEvent.Status.DEFERRED:
            WebhookEvent.objects.filter(pk=record.pk).update(status=status, processed_at=timezone.now())


def _order_for(object_data: dict) -> Order | None:
    order_id = (object_data.get("metadata") or {}).get("order_id") or object_data.get("client_reference_id")
    if not order_id:
        return None
    try:
        public_id = uuid.UUID(str(order_id))
    except ValueError:  # not a UUID: not one of ours
        return None
    return Order.objects.filter(public_id=public_id).first()


def _object_id(value) -> str:
    if isinstance(value, dict):
        return value.get("id") or ""
    return value or ""


def _on_checkout_paid(event: dict) -> tuple[str, str]:
    """checkout.session.completed / async_payment_succeeded: paid when the session says "paid"."""
    session = event["data"]["object"]
    order = _order_for(session)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    payment_intent = _object_id(session.get("payment_intent"))
    if session.get("payment_status") != "paid" or not payment_intent:
        # A delayed payment method (e.g. Bacs): async_payment_succeeded will follow.
        return WebhookEvent.Status.PROCESSED, payment_intent
    record_payment(
        order=order,
        payment_intent_id=payment_intent,
        amount_pence=int(session.get("amount_total") or 0),
        currency=session.get("currency") or "gbp",
        session_id=session.get("id", ""),
    )
    return WebhookEvent.Status.PROCESSED, payment_intent


def _on_payment_intent_succeeded(event: dict) -> tuple[str, str]:
    """payment_intent.succeeded: the same money as a completed checkout, recorded once."""
    intent = event["data"]["object"]
    order = _order_for(intent)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    destination = _object_id((intent.get("transfer_data") or {}).get("destination"))
    record_payment(
        order=order,
        payment_intent_id=intent["id"],
        amount_pence=int(intent.get("amount_received") or intent.get("amount") or 0),
        currency=intent.get("currency") or "gbp",
        destination=destination,
    )
    return WebhookEvent.Status.PROCESSED, intent["id"]


def _on_checkout_ended_unpaid(event: dict) -> tuple[str, str]:
    """checkout.session.expired / async_payment_failed: the order can be paid again later."""
    session = event["data"]["object"]
    order = _order_for(session)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    failed = event["type"] == "checkout.session.async_payment_failed"
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        # A late "expired" for a session already paid, or for an older attempt, changes nothing.
        if order.status != Order.Status.AWAITING_PAYMENT or order.checkout_session_id != session.get("id"):
            return WebhookEvent.Status.IGNORED, ""
        order.checkout_session_id = ""
        order.checkout_url = ""
        order.checkout_expires_at = None
        order.checkout_attempt += 1
        if failed:
            order.last_payment_error = (
                "Your payment did not go through. You have not been charged. Try again."
            )
            RequestEvent.objects.create(request_id=order.request_id, kind=RequestEvent.Kind.PAYMENT_FAILED)
        order.save()
    return WebhookEvent.Status.PROCESSED, session.get("id", "")


def _on_payment_intent_failed(event: dict) -> tuple[str, str]:
    """payment_intent.payment_failed: tell the holder; the checkout page lets them try again."""
    intent = event["data"]["object"]
    order = _order_for(intent)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    message = ((intent.get("last_payment_error") or {}).get("message") or "").strip()
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.AWAITING_PAYMENT:
            return WebhookEvent.Status.IGNORED, intent["id"]
        order.last_payment_error = (
            f"Your payment did not go through: {message} You have not been charged."
            if message
            else "Your payment did not go through. You have not been charged."
        )[:300]
        order.save(update_fields=["last_payment_error"])
        RequestEvent.objects.create(
            request_id=order.request_id, kind=RequestEvent.Kind.PAYMENT_FAILED, note=message
        )
    return WebhookEvent.Status.PROCESSED, intent["id"]


def _on_charge_refunded(event: dict) -> tuple[str, str]:
    """charge.refunded: record refunds made anywhere (here, or in Stripe's dashboard) once each."""
    charge = event["data"]["object"]
    payment_intent = _object_id(charge.get("payment_intent"))
    payment = Payment.objects.filter(payment_intent_id=payment_intent).select_related("order").first()
    if payment is None:
        if not payment_intent:
            return WebhookEvent.Status.IGNORED, ""
        return WebhookEvent.Status.DEFERRED, payment_intent
    with transaction.atomic():
        Budget.objects.select_for_update().get(pk=payment.order.budget_id)
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        for item in (charge.get("refunds") or {}).get("data") or []:
            if item.get("status") in ("succeeded", "pending"):
                record_refund(
                    payment=payment,
                    refund_id=item["id"],
                    amount_pence=int(item["amount"]),
                    status=item["status"],
                )
        recorded = payment.refunds.aggregate(total=Sum("amount_pence"))["total"] or 0
        missing = int(charge.get("amount_refunded") or 0) - recorded
        if missing > 0:
            record_refund(
                payment=payment,
                refund_id=None,
                amount_pence=missing,
                status="succeeded",
                reason="Refunded through the payment service",
            )
        refunded = payment.refunds.aggregate(total=Sum("amount_pence"))["total"] or 0
        if order.status == Order.Status.PAID and refunded >= payment.amount_pence:
            mark_cancelled(order, by=None, reason="Refunded", status=Order.Status.REFUNDED)
    return WebhookEvent.Status.PROCESSED, payment_intent


def _on_dispute_created(event: dict) -> tuple[str, str]:
    """charge.dispute.created: mark the payment disputed (money moves only if the dispute is lost)."""
    dispute = event["data"]["object"]
    payment_intent = _object_id(dispute.get("payment_intent"))
    payment = Payment.objects.filter(payment_intent_id=payment_intent).first() if payment_intent else None
    if payment is None:
        return (
            WebhookEvent.Status.DEFERRED if payment_intent else WebhookEvent.Status.IGNORED
        ), payment_intent
    if payment.status != Payment.Status.DISPUTED:
        Payment.objects.filter(pk=payment.pk).update(
            status=Payment.Status.DISPUTED, dispute_reason=(dispute.get("reason") or "")[:100]
        )
        RequestEvent.objects.create(
            request_id=payment.order.request_id,
            kind=RequestEvent.Kind.DISPUTED,
            note=dispute.get("reason") or "",
        )
        logger.warning("Payment %s for order %s is disputed", payment_intent, payment.order.public_id)
    return WebhookEvent.Status.PROCESSED, payment_intent


def _on_account_updated(event: dict) -> tuple[str, str]:
    """account.updated: keep the provider's payment status current, ignoring older news."""
    from ..gateways import AccountStatus

    data = event["data"]["object"]
    created = int(event.get("created") or 0)
    with transaction.atomic():
        account = ProviderPaymentAccount.objects.select_for_update().filter(account_id=data.get("id")).first()
        if account is None:
            return WebhookEvent.Status.IGNORED, ""
        if account.last_event_created is not None and created < account.last_event_created:
            return WebhookEvent.Status.IGNORED, account.account_id
        requirements = data.get("requirements") or {}
        status = AccountStatus(
            account_id=account.account_id,
            charges_enabled=bool(data.get("charges_enabled")),
            payouts_enabled=bool(data.get("payouts_enabled")),
            details_submitted=bool(data.get("details_submitted")),
            requirements_due=list(requirements.get("currently_due") or []),
            disabled_reason=requirements.get("disabled_reason") or "",
        )
        apply_account_status(account, status, event_created=created)
    return WebhookEvent.Status.PROCESSED, account.account_id


WEBHOOK_HANDLERS = {
    "checkout.session.completed": _on_checkout_paid,
    "checkout.session.async_payment_succeeded": _on_checkout_paid,
    "checkout.session.async_payment_failed": _on_checkout_ended_unpaid,
    "checkout.session.expired": _on_checkout_ended_unpaid,
    "payment_intent.succeeded": _on_payment_intent_succeeded,
    "payment_intent.payment_failed": _on_payment_intent_failed,
    "charge.refunded": _on_charge_refunded,
    "charge.dispute.created": _on_dispute_created,
    "account.updated": _on_account_updated,
}

"""Webhooks: the payment service's signed events, verified and read by the gateway into the
marketplace's own event types (`gateways.base`), turned into order, payment, refund and
account state here, each event exactly once. Nothing here knows the service's event names
or fields."""

import logging
import uuid
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from ..gateways import (
    AccountUpdated,
    CheckoutCompleted,
    CheckoutEnded,
    DisputeClosed,
    DisputeOpened,
    GatewayRejected,
    GatewayUnavailable,
    PaymentFailed,
    PaymentRefunded,
    PaymentSucceeded,
    ReceivedEvent,
    RefundResult,
    WebhookVerificationError,
    get_payment_gateway,
)
from ..models import (
    Order,
    Payment,
    ProviderPaymentAccount,
    Refund,
    RequestEvent,
    WebhookEvent,
)
from .common import InvalidWebhook, PaymentServiceUnavailable
from .payments import (
    apply_account_status,
    lock_budget_of,
    mark_cancelled,
    record_payment,
    record_refund,
    record_refund_failure,
    returned_pence,
)

logger = logging.getLogger(__name__)

# The one currency the marketplace takes (budgets are in pounds).
CURRENCY = "gbp"


def handle_webhook(*, payload: bytes, signature: str, endpoint: str = "platform") -> str:
    """Verify and act on one webhook delivery; return what happened.

    "duplicate" for an event id seen before (nothing changes), otherwise the stored status:
    "processed", "ignored" (not ours, or older than what we know) or "deferred" (it refers
    to a payment not recorded yet; it is replayed when that payment arrives). Raises
    `InvalidWebhook` for a bad signature, a stale timestamp or a body that is not an event.
    An unexpected error rolls everything back so the payment service delivers it again.
    """
    try:
        received = get_payment_gateway().parse_event(payload=payload, signature=signature, endpoint=endpoint)
    except WebhookVerificationError as exc:
        raise InvalidWebhook(str(exc)) from exc
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEvent.objects.create(
                    event_id=received.event_id,
                    type=received.type,
                    endpoint=endpoint,
                    created=received.created,
                    status=WebhookEvent.Status.PROCESSED,
                    payload=received.payload,
                )
        except IntegrityError:
            WebhookEvent.objects.filter(event_id=received.event_id).update(deliveries=F("deliveries") + 1)
            return "duplicate"
        status, related = _dispatch(received)
        record.status = status
        record.related_object = related or ""
        record.processed_at = timezone.now() if status != WebhookEvent.Status.DEFERRED else None
        record.save()
    return status


def _dispatch(received: ReceivedEvent) -> tuple[str, str]:
    handler = WEBHOOK_HANDLERS.get(type(received.event))
    if handler is None:
        return WebhookEvent.Status.IGNORED, ""
    return handler(received.event, created=received.created)


def _apply_stored(payload: dict) -> tuple[str, str]:
    """Act on an event body that was verified when it arrived (a deferred one, replayed)."""
    return _dispatch(get_payment_gateway().read_event(payload))


def process_deferred(*, related_object: str) -> None:
    """Replay events that were waiting for `related_object` (a payment) to be recorded."""
    for record in WebhookEvent.objects.filter(
        status=WebhookEvent.Status.DEFERRED, related_object=related_object
    ):
        status, _ = _apply_stored(record.payload)
        if status != WebhookEvent.Status.DEFERRED:
            WebhookEvent.objects.filter(pk=record.pk).update(status=status, processed_at=timezone.now())


def _order_for(order_ref: str) -> Order | None:
    if not order_ref:
        return None
    try:
        public_id = uuid.UUID(order_ref)
    except ValueError:  # not a UUID: not one of ours
        return None
    return Order.objects.filter(public_id=public_id).first()


def payment_mismatches(
    order: Order, *, session_id: str | None = None, account_id: str, amount_pence: int, currency: str
) -> list[str]:
    """What in a signed payment event does not match `order` (empty when it all matches).

    A signature proves the payment service sent the event, not that it pays for this order
    in full: the checkout session must be the order's own, the money must go to the account
    the order's checkout was made for, and the amount and currency must be the order's.
    `session_id` None means the event names no session (a payment event). An event that
    does not name the account ("") is checked on everything else.
    """
    problems = []
    if session_id is not None and session_id != order.checkout_session_id:
        problems.append(
            f"session {session_id} is not the order checkout {order.checkout_session_id or '(none)'}"
        )
    if account_id and account_id != order.destination_account:
        problems.append(
            f"account {account_id} is not the provider account {order.destination_account or '(none)'}"
        )
    if amount_pence != order.total_pence:
        problems.append(f"amount {amount_pence}p, expected {order.total_pence}p")
    if (currency or "").lower() != CURRENCY:
        problems.append(f"currency {(currency or '?').upper()}, expected {CURRENCY.upper()}")
    return problems


def _record_mismatch(order: Order, payment_ref: str, problems: list[str]) -> None:
    """Leave the order unpaid and tell a coordinator (the audit log) and the error log."""
    from .. import audit

    detail = f"Payment {payment_ref or '(no reference)'} not marked paid: " + "; ".join(problems)
    logger.error("Order %s: %s", order.public_id, detail)
    audit.record(
        actor=None,
        action="payment_mismatch",
        budget=order.budget,
        obj=order,
        detail=detail,
        role="the payment service",
    )


def _on_checkout_paid(event: CheckoutCompleted, *, created: int = 0) -> tuple[str, str]:
    """A checkout completed: the order is paid once the money has been taken."""
    order = _order_for(event.order_ref)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    if not event.paid:
        # A delayed payment method (e.g. Bacs): a paid CheckoutCompleted will follow.
        return WebhookEvent.Status.PROCESSED, event.payment_ref
    problems = payment_mismatches(
        order,
        session_id=event.session_id,
        account_id=event.account_id,
        amount_pence=event.amount_pence,
        currency=event.currency,
    )
    if problems:
        _record_mismatch(order, event.payment_ref, problems)
        return WebhookEvent.Status.IGNORED, event.payment_ref
    record_payment(
        order=order,
        payment_intent_id=event.payment_ref,
        amount_pence=event.amount_pence,
        currency=event.currency,
        session_id=event.session_id,
    )
    return WebhookEvent.Status.PROCESSED, event.payment_ref


def _on_payment_succeeded(event: PaymentSucceeded, *, created: int = 0) -> tuple[str, str]:
    """The same money as a completed checkout, recorded once."""
    order = _order_for(event.order_ref)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    problems = payment_mismatches(
        order, account_id=event.account_id, amount_pence=event.amount_pence, currency=event.currency
    )
    if problems:
        _record_mismatch(order, event.payment_ref, problems)
        return WebhookEvent.Status.IGNORED, event.payment_ref
    record_payment(
        order=order,
        payment_intent_id=event.payment_ref,
        amount_pence=event.amount_pence,
        currency=event.currency,
        destination=event.account_id,
    )
    return WebhookEvent.Status.PROCESSED, event.payment_ref


def _on_checkout_ended(event: CheckoutEnded, *, created: int = 0) -> tuple[str, str]:
    """A checkout expired or its delayed payment failed: the order can be paid again later."""
    order = _order_for(event.order_ref)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        # A late "expired" for a session already paid, or for an older attempt, changes nothing.
        if order.status != Order.Status.AWAITING_PAYMENT or order.checkout_session_id != event.session_id:
            return WebhookEvent.Status.IGNORED, ""
        order.checkout_session_id = ""
        order.checkout_url = ""
        order.checkout_expires_at = None
        order.checkout_attempt += 1
        if event.payment_failed:
            order.last_payment_error = (
                "Your payment did not go through. You have not been charged. Try again."
            )
            RequestEvent.objects.create(request_id=order.request_id, kind=RequestEvent.Kind.PAYMENT_FAILED)
        order.save()
    return WebhookEvent.Status.PROCESSED, event.session_id


def _on_payment_failed(event: PaymentFailed, *, created: int = 0) -> tuple[str, str]:
    """Tell the holder; the checkout page lets them try again."""
    order = _order_for(event.order_ref)
    if order is None:
        return WebhookEvent.Status.IGNORED, ""
    message = event.message
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if order.status != Order.Status.AWAITING_PAYMENT:
            return WebhookEvent.Status.IGNORED, event.payment_ref
        order.last_payment_error = (
            f"Your payment did not go through: {message} You have not been charged."
            if message
            else "Your payment did not go through. You have not been charged."
        )[:300]
        order.save(update_fields=["last_payment_error"])
        RequestEvent.objects.create(
            request_id=order.request_id, kind=RequestEvent.Kind.PAYMENT_FAILED, note=message
        )
    return WebhookEvent.Status.PROCESSED, event.payment_ref


def _on_refunded(event: PaymentRefunded, *, created: int = 0) -> tuple[str, str]:
    """Record refunds made anywhere (here, or in the service's dashboard) once each, by their
    own references, and take back the ones that fail.

    Two kinds of event say so, in any order: one per refund, with its reference, and one
    with the charge's refunded total (and no list of refunds, in the API version we pin).
    Refunds an event names are recorded by reference; a refund the event says failed has its
    credit taken back once (`record_refund_failure`). A total is only news when the refunds
    known here that still stand do not make it up: then nobody can tell from the total which
    refunds it is made of, so the service is asked for the charge's refunds and each is
    recorded by its own reference (made, or failed). That question is asked before the
    budget is locked (unless the event is a deferred one, replayed while the payment it
    waited for is being recorded). If the service cannot answer, nothing is recorded and the
    delivery fails (`PaymentServiceUnavailable`), so the service sends it again.
    """
    payment_ref = event.payment_ref
    payment = Payment.objects.filter(payment_intent_id=payment_ref).select_related("order").first()
    if payment is None:
        if not payment_ref:
            return WebhookEvent.Status.IGNORED, ""
        return WebhookEvent.Status.DEFERRED, payment_ref
    listed = _refunds_behind(event) if _total_unexplained(payment, event) else None
    with transaction.atomic():
        lock_budget_of(payment.order)
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        for item in event.refunds:
            _record_refund_item(payment, item, created=created)
        if _total_unexplained(payment, event):
            if listed is None:  # not asked above: a refund known here failed in between
                listed = _refunds_behind(event)
            for item in listed:
                _record_refund_item(payment, item)
            _check_total_explained(payment, event)
        order.refresh_from_db()
        refunded = returned_pence(payment)
        if order.status == Order.Status.PAID and refunded >= payment.amount_pence:
            mark_cancelled(order, by=None, reason="Refunded", status=Order.Status.REFUNDED)
        elif order.status == Order.Status.REFUND_FAILED and refunded >= payment.amount_pence:
            # Refunded again (in the service's dashboard) after a refund failed.
            Order.objects.filter(pk=order.pk).update(status=Order.Status.REFUNDED)
    return WebhookEvent.Status.PROCESSED, payment_ref


def _record_refund_item(payment: Payment, item: RefundResult, *, created: int = 0) -> None:
    """One refund the service named: recorded once by its reference, or taken back if it failed."""
    if item.status in ("succeeded", "pending"):
        record_refund(
            payment=payment, refund_id=item.refund_id, amount_pence=item.amount_pence, status=item.status
        )
    elif item.status in ("failed", "canceled"):
        record_refund_failure(
            payment=payment,
            refund_id=item.refund_id,
            amount_pence=item.amount_pence,
            failure_reason=item.failure_reason or ("canceled" if item.status == "canceled" else ""),
            failed_at=datetime.fromtimestamp(created, tz=UTC) if created else None,
        )


def _refund_total(payment: Payment, *, standing: bool) -> int:
    refunds = payment.refunds.filter(kind=Refund.Kind.REFUND)
    if standing:
        refunds = refunds.returned()
    return refunds.aggregate(total=Sum("amount_pence"))["total"] or 0


def _total_unexplained(payment: Payment, event: PaymentRefunded) -> bool:
    """Whether the event states a refunded total larger than the refunds known here that still
    stand: some refund in it is not known here (or one known to have failed is, in a total
    from before the failure) and only the service can say which."""
    if event.amount_refunded_pence is None:
        return False
    return event.amount_refunded_pence > _refund_total(payment, standing=True)


def _refunds_behind(event: PaymentRefunded) -> tuple[RefundResult, ...]:
    """The charge's refunds as the service holds them now; raises `PaymentServiceUnavailable`
    (so the delivery fails and is sent again) when the service cannot say."""
    try:
        if not event.charge_ref:
            raise GatewayRejected("the refunded total names no charge")
        return get_payment_gateway().refunds_of(charge_ref=event.charge_ref)
    except (GatewayUnavailable, GatewayRejected) as exc:
        logger.warning(
            "Could not ask the payment service for the refunds of charge %s (payment %s): %s",
            event.charge_ref or "(none)",
            event.payment_ref,
            exc,
        )
        raise PaymentServiceUnavailable(
            f"Could not ask the payment service which refunds make up charge "
            f"{event.charge_ref or '(none)'}'s refunded total."
        ) from exc


def _check_total_explained(payment: Payment, event: PaymentRefunded) -> None:
    """After recording the charge's refunds as the service listed them, every penny of the
    stated total is a refund known here by its reference (failed ones included: a total from
    before a failure counted them). If not, nothing is guessed: a coordinator is told."""
    from .. import audit

    known = _refund_total(payment, standing=False)
    if event.amount_refunded_pence <= known:
        return
    detail = (
        f"Charge {event.charge_ref} of payment {payment.payment_intent_id} says "
        f"{event.amount_refunded_pence}p was refunded, but the payment service lists refunds of only "
        f"{known}p: the rest was not credited. Check the payment in the payment service"
    )
    logger.error("Order %s: %s", payment.order.public_id, detail)
    audit.record(
        actor=None,
        action="refund_unexplained",
        budget=payment.order.budget,
        obj=payment.order,
        detail=detail,
        role="the payment service",
    )


def _on_dispute_opened(event: DisputeOpened, *, created: int = 0) -> tuple[str, str]:
    """Mark the payment disputed (money moves only if the dispute is lost)."""
    payment_ref = event.payment_ref
    payment = Payment.objects.filter(payment_intent_id=payment_ref).first() if payment_ref else None
    if payment is None:
        return (WebhookEvent.Status.DEFERRED if payment_ref else WebhookEvent.Status.IGNORED), payment_ref
    if payment.status != Payment.Status.DISPUTED:
        Payment.objects.filter(pk=payment.pk).update(
            status=Payment.Status.DISPUTED, dispute_reason=event.reason[:100]
        )
        RequestEvent.objects.create(
            request_id=payment.order.request_id,
            kind=RequestEvent.Kind.DISPUTED,
            note=event.reason,
        )
        logger.warning("Payment %s for order %s is disputed", payment_ref, payment.order.public_id)
    return WebhookEvent.Status.PROCESSED, payment_ref


def _on_dispute_closed(event: DisputeClosed, *, created: int = 0) -> tuple[str, str]:
    """A lost dispute returns the disputed amount to the card: credit the budget once (by the
    dispute's reference). A won one leaves the money with the provider, and the payment can
    be cancelled and refunded here again."""
    payment_ref = event.payment_ref
    payment = Payment.objects.filter(payment_intent_id=payment_ref).select_related("order").first()
    if payment is None:
        return (WebhookEvent.Status.DEFERRED if payment_ref else WebhookEvent.Status.IGNORED), payment_ref
    with transaction.atomic():
        lock_budget_of(payment.order)
        order = Order.objects.select_for_update().get(pk=payment.order_id)
        if not event.lost:
            Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.SUCCEEDED, dispute_reason="")
            logger.info("Dispute %s on payment %s was won", event.dispute_ref, payment_ref)
            return WebhookEvent.Status.PROCESSED, payment_ref
        Payment.objects.filter(pk=payment.pk).update(
            status=Payment.Status.DISPUTED, dispute_reason=(event.reason or payment.dispute_reason)[:100]
        )
        if not Refund.objects.filter(refund_id=event.dispute_ref).exists():
            returned = returned_pence(payment)
            amount = min(event.amount_pence, payment.amount_pence - returned)
            if amount > 0:
                record_refund(
                    payment=payment,
                    refund_id=event.dispute_ref,
                    amount_pence=amount,
                    kind=Refund.Kind.DISPUTE,
                    reason="The card issuer decided the dispute for the card holder",
                )
        returned = returned_pence(payment)
        if order.status == Order.Status.PAID and returned >= payment.amount_pence:
            mark_cancelled(order, by=None, reason="Dispute lost", status=Order.Status.REFUNDED)
    return WebhookEvent.Status.PROCESSED, payment_ref


def _on_account_updated(event: AccountUpdated, *, created: int = 0) -> tuple[str, str]:
    """Keep the provider's payment status current, ignoring older news."""
    with transaction.atomic():
        account = (
            ProviderPaymentAccount.objects.select_for_update()
            .filter(account_id=event.status.account_id)
            .first()
        )
        if account is None:
            return WebhookEvent.Status.IGNORED, ""
        if account.last_event_created is not None and created < account.last_event_created:
            return WebhookEvent.Status.IGNORED, account.account_id
        apply_account_status(account, event.status, event_created=created)
    return WebhookEvent.Status.PROCESSED, account.account_id


WEBHOOK_HANDLERS = {
    CheckoutCompleted: _on_checkout_paid,
    CheckoutEnded: _on_checkout_ended,
    PaymentSucceeded: _on_payment_succeeded,
    PaymentFailed: _on_payment_failed,
    PaymentRefunded: _on_refunded,
    DisputeOpened: _on_dispute_opened,
    DisputeClosed: _on_dispute_closed,
    AccountUpdated: _on_account_updated,
}

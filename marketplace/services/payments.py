"""Payments and refunds: whether a provider can be paid, their connected account, paying for an
order through hosted checkout, recording the money taken, and cancelling and refunding.

Calls to the payment service happen outside database transactions (a slow network must not
hold a lock) and before anything is recorded: if the service is unreachable, nothing
changes here. Recording money locks the budget's row first, then the order.
"""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from directory.models import Provider

from ..acting import PAY, REQUEST, buyer_may, is_provider_member
from ..gateways import GatewayRejected, GatewayUnavailable, get_payment_gateway
from ..models import (
    Budget,
    LedgerEntry,
    Order,
    Payment,
    ProviderPaymentAccount,
    Refund,
    RequestEvent,
)
from .budgets import ledger_period
from .common import (
    NOT_SET_UP_MESSAGE,
    UNAVAILABLE_MESSAGE,
    CancellationNotAllowed,
    InvalidState,
    NotPermitted,
    PaymentRejected,
    PaymentServiceUnavailable,
    PaymentsNotSetUp,
    ProviderNotReadyForPayments,
    audit_holder_side,
    notify_on_commit,
    pounds,
    refuse_self_dealing_on,
)

logger = logging.getLogger(__name__)


# A Checkout page about to expire is not worth sending someone to.
CHECKOUT_REUSE_MARGIN = timedelta(minutes=10)


# --- Whether a provider can be paid ------------------------------------------------------


def payments_set_up() -> bool:
    """True when this site has a payment service set up, so people can pay through it."""
    return get_payment_gateway().is_configured()


@dataclass(frozen=True)
class PaymentRoute:
    """How a holder would pay this provider, said before they send a request."""

    through_site: bool
    # "ready": pay through the site; "provider": the provider has not set up payments yet;
    # "site": this site takes no payments at all.
    reason: str


def payment_route(provider: Provider) -> PaymentRoute:
    """Whether `provider` can be paid through the site, and if not, why."""
    if not payments_set_up():
        return PaymentRoute(False, "site")
    account = ProviderPaymentAccount.objects.filter(provider=provider).first()
    if payment_readiness(account):
        return PaymentRoute(False, "provider")
    return PaymentRoute(True, "ready")


def payment_readiness(account: ProviderPaymentAccount | None) -> list[str]:
    """Why a provider cannot accept paid work yet, in plain English (empty when they can)."""
    if account is None:
        return ["You have not set up payments yet. Set them up with Stripe, our payment service."]
    reasons = []
    if not account.details_submitted:
        reasons.append("You have not finished setting up with Stripe.")
    needed = _friendly_requirements(account.requirements_due)
    if needed:
        reasons.append("Stripe still needs: " + ", ".join(needed) + ".")
    if account.disabled_reason:
        reasons.append(_friendly_disabled_reason(account.disabled_reason))
    if not account.charges_enabled:
        reasons.append("Stripe has not turned on card payments for you yet.")
    if not account.payouts_enabled:
        reasons.append("Stripe has not turned on payouts to your bank account yet.")
    return reasons


REQUIREMENT_NAMES = [
    ("external_account", "your bank account details"),
    ("tos_acceptance", "you to accept Stripe's terms"),
    ("individual.verification", "proof of your identity"),
    ("individual", "your personal details"),
    ("representative", "details of the person who runs the business"),
    ("company", "your company details"),
    ("business_profile", "a description of your business"),
    ("owners", "details of the business's owners"),
    ("directors", "details of the company's directors"),
]


def _friendly_requirements(fields: list[str]) -> list[str]:
    names = []
    for field_name in fields or []:
        name = next((label for prefix, label in REQUIREMENT_NAMES if field_name.startswith(prefix)), None)
        name = name or "some more information"
        if name not in names:
            names.append(name)
    return names


def _friendly_disabled_reason(reason: str) -> str:
    if reason.startswith("requirements."):
        return "Stripe has paused payments until it gets the information it needs."
    if "review" in reason:
        return "Stripe is reviewing your account."
    if reason.startswith("rejected"):
        return "Stripe has closed your account. Contact Stripe to find out why."
    return "Stripe has paused payments for your account."


def require_payment_ready(provider: Provider, *, for_holder: bool = False) -> ProviderPaymentAccount:
    account = ProviderPaymentAccount.objects.filter(provider=provider).first()
    reasons = payment_readiness(account)
    if reasons:
        if for_holder:
            raise ProviderNotReadyForPayments(
                f"{provider.name} cannot take payments at the moment. Try again later or contact them.",
                reasons=[],
            )
        raise ProviderNotReadyForPayments(
            "You cannot accept paid work until your payments are set up.", reasons=reasons
        )
    return account


# --- Providers' payment accounts ---------------------------------------------------------


def apply_account_status(
    account: ProviderPaymentAccount, status, *, event_created: int | None = None
) -> None:
    account.charges_enabled = status.charges_enabled
    account.payouts_enabled = status.payouts_enabled
    account.details_submitted = status.details_submitted
    account.requirements_due = list(status.requirements_due)
    account.disabled_reason = status.disabled_reason
    if event_created is not None:
        account.last_event_created = event_created
    account.save()


def start_onboarding(*, provider: Provider, by, refresh_url: str, return_url: str) -> str:
    """Create the provider's connected account if needed; return the hosted onboarding address."""
    if not is_provider_member(by, provider):
        raise NotPermitted("You cannot set up payments for this provider.")
    gateway = get_payment_gateway()
    if not gateway.is_configured():
        raise PaymentsNotSetUp(
            "Taking payments through this site is not available here yet. People can still contact "
            "you and pay you directly; ask the site's coordinators when payments will be set up."
        )
    try:
        account = ProviderPaymentAccount.objects.filter(provider=provider).first()
        if account is None:
            status = gateway.create_account(provider=provider)
            account, created = ProviderPaymentAccount.objects.get_or_create(
                provider=provider, defaults={"account_id": status.account_id}
            )
            if created:
                apply_account_status(account, status)
        return gateway.onboarding_link(
            account_id=account.account_id, refresh_url=refresh_url, return_url=return_url
        )
    except GatewayUnavailable as exc:
        raise PaymentServiceUnavailable(
            "We could not reach Stripe, our payment service. Try again in a few minutes."
        ) from exc
    except GatewayRejected as exc:
        logger.warning("Stripe refused onboarding for provider %s: %s", provider.public_id, exc)
        raise PaymentRejected(
            "Stripe could not start setting up your payments. Contact us for help."
        ) from exc


def refresh_payment_account(*, provider: Provider, by) -> ProviderPaymentAccount | None:
    """Ask the payment service for the account's state now (the return from onboarding)."""
    if not is_provider_member(by, provider):
        raise NotPermitted("You cannot see payments for this provider.")
    account = ProviderPaymentAccount.objects.filter(provider=provider).first()
    if account is None:
        return None
    try:
        status = get_payment_gateway().retrieve_account(account_id=account.account_id)
    except (GatewayUnavailable, GatewayRejected) as exc:
        raise PaymentServiceUnavailable(
            "We could not check with Stripe just now, so this may be out of date. Try again in a few minutes."
        ) from exc
    apply_account_status(account, status)
    return account


# --- Paying ------------------------------------------------------------------------------


def start_checkout(*, order: Order, by, success_url: str, cancel_url: str) -> str:
    """Start (or resume) paying for an order through hosted checkout; return its address.

    The order becomes paid only when the payment service's signed webhook says so.
    """
    if not buyer_may(by, order, PAY):
        raise NotPermitted("You cannot pay for this order.")
    if order.status == Order.Status.PAID:
        raise InvalidState("This order is already paid.")
    if order.status != Order.Status.AWAITING_PAYMENT:
        raise InvalidState("This order was cancelled, so it cannot be paid.")
    refuse_self_dealing_on(order.request, by=by, step="pay", obj=order)
    if not payments_set_up():
        raise PaymentsNotSetUp(NOT_SET_UP_MESSAGE)
    account = require_payment_ready(order.provider, for_holder=True)
    if (
        order.checkout_url
        and order.checkout_expires_at
        and order.checkout_expires_at > timezone.now() + CHECKOUT_REUSE_MARGIN
        and order.destination_account == account.account_id
    ):
        return order.checkout_url
    gateway = get_payment_gateway()
    try:
        session = gateway.create_checkout(
            order=order, destination=account.account_id, success_url=success_url, cancel_url=cancel_url
        )
        if session.status == "expired" or (session.expires_at and session.expires_at <= timezone.now()):
            # The idempotency key replayed a session that has since expired: a new attempt
            # gets a new key and so a new session.
            Order.objects.filter(pk=order.pk, checkout_attempt=order.checkout_attempt).update(
                checkout_attempt=F("checkout_attempt") + 1
            )
            order.refresh_from_db()
            session = gateway.create_checkout(
                order=order, destination=account.account_id, success_url=success_url, cancel_url=cancel_url
            )
    except GatewayUnavailable as exc:
        logger.warning("Payment service unavailable starting checkout for order %s: %s", order.public_id, exc)
        raise PaymentServiceUnavailable(UNAVAILABLE_MESSAGE) from exc
    except GatewayRejected as exc:
        logger.error("Payment service refused checkout for order %s: %s", order.public_id, exc)
        raise PaymentRejected(
            "The payment service could not start this payment. You have not been charged. "
            "Contact us for help."
        ) from exc
    if session.status == "complete":
        raise InvalidState(
            "You have already paid for this. We will confirm it as soon as the payment goes through."
        )
    with transaction.atomic():
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status != Order.Status.AWAITING_PAYMENT:
            raise InvalidState("This order is no longer waiting for payment.")
        new_session = locked.checkout_session_id != session.session_id
        locked.checkout_session_id = session.session_id
        locked.checkout_url = session.url
        locked.checkout_expires_at = session.expires_at
        locked.destination_account = account.account_id
        locked.save()
        if new_session:
            RequestEvent.objects.create(
                request_id=locked.request_id, kind=RequestEvent.Kind.PAYMENT_STARTED, actor=by
            )
    audit_holder_side(by=by, budget=order.budget, action="paid", obj=order)
    return session.url


def record_payment(
    *,
    order: Order,
    payment_intent_id: str,
    amount_pence: int,
    currency: str,
    session_id: str = "",
    destination: str = "",
) -> Payment:
    """Record money taken for an order (idempotent per payment reference): ledger, order, receipt.

    A budget purchase is written to the budget's ledger (with any top-up from the person's own
    money as their contribution); a person paying with their own money has no ledger.
    """
    with transaction.atomic():
        budget = lock_budget_of(order)
        order = Order.objects.select_for_update().select_related("provider").get(pk=order.pk)
        existing = Payment.objects.filter(payment_intent_id=payment_intent_id).first()
        if existing:
            if session_id and not existing.checkout_session_id:
                Payment.objects.filter(pk=existing.pk).update(checkout_session_id=session_id)
            return existing
        if amount_pence != order.total_pence or currency.lower() != "gbp":
            # Money moved, so it is recorded as it moved; a person must look at why.
            logger.error(
                "Payment %s for order %s was %s %s, expected %s gbp",
                payment_intent_id,
                order.public_id,
                amount_pence,
                currency,
                order.total_pence,
            )
        now = timezone.now()
        payment = Payment.objects.create(
            order=order,
            payment_intent_id=payment_intent_id,
            checkout_session_id=session_id,
            amount_pence=amount_pence,
            currency=currency.lower(),
            destination_account=destination or order.destination_account,
            paid_at=now,
        )
        if budget is not None:
            _book_payment(budget=budget, order=order, payment=payment, amount_pence=amount_pence)
        if order.status != Order.Status.AWAITING_PAYMENT:
            # Paid after it was cancelled (the payment raced the cancellation): it is paid
            # now, and the person can cancel it again for a refund.
            logger.warning(
                "Order %s was %s when payment %s arrived", order.public_id, order.status, payment_intent_id
            )
        order.status = Order.Status.PAID
        order.paid_at = now
        order.last_payment_error = ""
        order.save()
        RequestEvent.objects.create(request_id=order.request_id, kind=RequestEvent.Kind.PAID)
        notify_on_commit("paid", order.request_id)
        # Events that arrived before this payment (a refund, a dispute) can be applied now.
        from .webhooks import process_deferred

        process_deferred(related_object=payment_intent_id)
    return payment


def lock_budget_of(order: Order) -> Budget | None:
    """Lock the row of the order's budget (None, locking nothing, for a person paying themselves)."""
    if order.budget_id is None:
        return None
    return Budget.objects.select_for_update().get(pk=order.budget_id)


def _book_payment(*, budget: Budget, order: Order, payment: Payment, amount_pence: int) -> None:
    """Write a paid order to its budget's ledger: the payment out, and the top-up in.

    A top-up is the person's own money towards this order, so it is their contribution (money
    in, on the statement as "Your contribution"), tied to this payment so it is written once.
    """
    today = timezone.localdate()
    period = ledger_period(budget, today)
    common = {
        "budget": budget,
        "period": period,
        "occurred_on": today,
        "payee": order.provider.name,
        "plan_outcome_id": order.plan_outcome_id,
        "outcome_id": order.outcome_id,
        "order": order,
        "payment": payment,
    }
    LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.PAYMENT,
        amount_pence=-amount_pence,
        description=f"{order.service_description} from {order.provider.name}"[:200],
        **common,
    )
    if order.top_up_pence:
        LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.CONTRIBUTION,
            amount_pence=min(order.top_up_pence, amount_pence),
            description=f"Top-up from your own money towards order {order.reference}",
            **common,
        )


# --- Cancelling and refunding ------------------------------------------------------------


@dataclass(frozen=True)
class CancellationTerms:
    """Whether a person may cancel an order now, and what happens to the money."""

    allowed: bool
    refund_pence: int = 0
    explanation: str = ""


def cancellation_terms(*, order: Order, user, today: date | None = None) -> CancellationTerms:
    """The cancellation rules (docs/payments.md), applied to this order, person and day.

    - Agreed, not paid: the holder or the provider may cancel; nothing is charged.
    - Paid: the holder may cancel for a full refund until the day before the first date;
      the provider may cancel for a full refund until the last date.
    - Otherwise, or while the payment is disputed, cancelling here is not possible.
    """
    today = today or timezone.localdate()
    as_holder = buyer_may(user, order, REQUEST)
    as_provider = is_provider_member(user, order.provider)
    if not (as_holder or as_provider):
        return CancellationTerms(False, explanation="You cannot cancel this order.")
    if order.status == Order.Status.AWAITING_PAYMENT:
        return CancellationTerms(True, 0, "Nothing has been paid, so nothing will be charged.")
    if order.status != Order.Status.PAID:
        return CancellationTerms(False, explanation="This order is already cancelled.")
    payment = order.payment
    if payment is None:
        return CancellationTerms(False, explanation="We are still confirming the payment. Try again shortly.")
    if payment.status == Payment.Status.DISPUTED:
        return CancellationTerms(
            False, explanation="The payment is disputed with the card issuer, so it cannot be refunded here."
        )
    refundable = payment.amount_pence - returned_pence(payment)
    if as_holder and today < order.starts_on:
        return CancellationTerms(True, refundable, f"You will get a full refund of {pounds(refundable)}.")
    if as_provider and today <= order.ends_on:
        return CancellationTerms(
            True, refundable, f"The person will get a full refund of {pounds(refundable)} from your account."
        )
    if as_holder:
        return CancellationTerms(
            False,
            explanation="The support has started, so you cannot cancel it here. Talk to the provider: they "
            "can cancel and refund you.",
        )
    return CancellationTerms(False, explanation="The support has ended, so it cannot be cancelled.")


def cancel_order(*, order: Order, by, reason: str = "", today: date | None = None) -> Order:
    """Cancel an order under the rules in `cancellation_terms`, refunding it if it was paid.

    The payment service is asked first; only when it agrees is anything recorded here.
    """
    terms = cancellation_terms(order=order, user=by, today=today)
    if not terms.allowed:
        raise CancellationNotAllowed(terms.explanation)
    order = _cancel_allowed(order=order, by=by, reason=reason, terms=terms)
    if not is_provider_member(by, order.provider):
        audit_holder_side(by=by, budget=order.budget, action="cancelled_order", obj=order)
    return order


def _cancel_allowed(*, order: Order, by, reason: str, terms: CancellationTerms) -> Order:
    """Cancel (and refund) an order the rules allow: the payment service first, then here."""
    gateway = get_payment_gateway()
    if order.status == Order.Status.AWAITING_PAYMENT:
        if order.checkout_session_id:
            try:
                session = gateway.expire_checkout(order=order, session_id=order.checkout_session_id)
            except (GatewayUnavailable, GatewayRejected) as exc:
                raise PaymentServiceUnavailable(UNAVAILABLE_MESSAGE) from exc
            if session.status == "complete":
                raise CancellationNotAllowed(
                    "The payment for this order is going through. Once it is confirmed, you can cancel it "
                    "for a refund."
                )
        with transaction.atomic():
            lock_budget_of(order)
            order = Order.objects.select_for_update().get(pk=order.pk)
            if order.status != Order.Status.AWAITING_PAYMENT:
                raise InvalidState("This order has changed. Check it and try again.")
            mark_cancelled(order, by=by, reason=reason, status=Order.Status.CANCELLED)
        return order

    payment = order.payment
    try:
        result = gateway.refund(order=order, payment=payment, amount_pence=terms.refund_pence)
    except GatewayUnavailable as exc:
        raise PaymentServiceUnavailable(UNAVAILABLE_MESSAGE) from exc
    except GatewayRejected as exc:
        logger.error("Refund refused for order %s: %s", order.public_id, exc)
        raise PaymentRejected(
            "The payment service would not make this refund, so nothing has changed. Contact us for help."
        ) from exc
    if result.status in ("failed", "canceled"):
        raise PaymentRejected("The refund did not go through, so nothing has changed. Contact us for help.")
    return _refunded(order=order, payment=payment, result=result, by=by, reason=reason)


def _refunded(*, order: Order, payment: Payment, result, by, reason: str) -> Order:
    """Record a refund the payment service made (`result`, or None if it was already recorded)
    and mark the paid order refunded, under the budget's lock."""
    with transaction.atomic():
        lock_budget_of(order)
        order = Order.objects.select_for_update().get(pk=order.pk)
        if result is not None:
            record_refund(
                payment=payment,
                refund_id=result.refund_id,
                amount_pence=result.amount_pence,
                status=result.status,
                by=by,
                reason=reason,
            )
        if order.status == Order.Status.PAID:
            mark_cancelled(order, by=by, reason=reason, status=Order.Status.REFUNDED)
    return order


def mark_cancelled(order: Order, *, by, reason: str, status) -> None:
    order.status = status
    order.cancelled_at = timezone.now()
    order.cancelled_by = by
    order.cancel_reason = (reason or "").strip()[:300]
    order.checkout_url = ""
    order.save()
    RequestEvent.objects.create(
        request_id=order.request_id, kind=RequestEvent.Kind.CANCELLED, actor=by, note=reason
    )
    notify_on_commit("cancelled", order.request_id)


def cancel_and_refund_in_full(*, order: Order, reason: str, by=None) -> Order:
    """Cancel an order on the site's own authority, refunding all of it if it was paid.

    For what the cancellation rules do not cover because no person chose it, such as a
    group activity called off for lack of people (`marketplace.services.pooling`); the caller
    decides that it may. A held or unpaid order is cancelled with nothing charged (an open
    checkout is expired first, as in `cancel_order`). A paid one is refunded through the
    payment service with the order's idempotency key, then recorded exactly as
    `cancel_order` records a refund, so running this twice moves the money once. Raises
    `PaymentServiceUnavailable` or `PaymentRejected` with nothing recorded, and
    `InvalidState` while a payment is still going through or is disputed.
    """
    gateway = get_payment_gateway()
    if order.status in Order.COMMITTED:
        if order.status == Order.Status.AWAITING_PAYMENT and order.checkout_session_id:
            try:
                session = gateway.expire_checkout(order=order, session_id=order.checkout_session_id)
            except (GatewayUnavailable, GatewayRejected) as exc:
                raise PaymentServiceUnavailable(UNAVAILABLE_MESSAGE) from exc
            if session.status == "complete":
                raise InvalidState("The payment for this order is going through: refund it once it arrives.")
        with transaction.atomic():
            lock_budget_of(order)
            order = Order.objects.select_for_update().get(pk=order.pk)
            if order.status in Order.COMMITTED:
                mark_cancelled(order, by=by, reason=reason, status=Order.Status.CANCELLED)
                return order
        if order.status != Order.Status.PAID:
            return order
        # Paid while we were cancelling it: refund it below.
    if order.status != Order.Status.PAID:
        return order
    payment = order.payment
    if payment is None:
        raise InvalidState("The payment for this order is still being confirmed.")
    if payment.status == Payment.Status.DISPUTED:
        raise InvalidState("The payment is disputed with the card issuer, so it cannot be refunded here.")
    refundable = payment.amount_pence - returned_pence(payment)
    result = None
    if refundable > 0:
        try:
            result = gateway.refund(order=order, payment=payment, amount_pence=refundable)
        except GatewayUnavailable as exc:
            raise PaymentServiceUnavailable(UNAVAILABLE_MESSAGE) from exc
        except GatewayRejected as exc:
            logger.error("Refund refused for order %s: %s", order.public_id, exc)
            raise PaymentRejected("The payment service would not make this refund.") from exc
        if result.status in ("failed", "canceled"):
            raise PaymentRejected("The refund did not go through.")
    return _refunded(order=order, payment=payment, result=result, by=by, reason=reason)


def returned_pence(payment: Payment) -> int:
    """What a payment's refunds (and lost disputes) gave back to the card: refunds that failed
    later gave nothing."""
    return payment.refunds.returned().aggregate(total=Sum("amount_pence"))["total"] or 0


def _refund_entry_fields(*, order: Order, payment: Payment, refund: Refund) -> dict:
    """What every ledger entry about a refund (made or failed) shares: today, its order and outcome."""
    today = timezone.localdate()
    return {
        "budget_id": order.budget_id,
        "period": ledger_period(order.budget, today),
        "occurred_on": today,
        "payee": order.provider.name,
        "plan_outcome_id": order.plan_outcome_id,
        "outcome_id": order.outcome_id,
        "order": order,
        "payment": payment,
        "refund": refund,
    }


def _own_money_returned(order: Order) -> int:
    """How much of the person's own top-up refunds have handed back to them so far (pence)."""
    adjustments = LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.ADJUSTMENT)
    return -(adjustments.aggregate(total=Sum("amount_pence"))["total"] or 0)


def _book_refund(*, order: Order, payment: Payment, refund: Refund, amount_pence: int) -> None:
    """Write a refund to the budget's ledger. The card gets all of it back, so the part that
    was the person's own top-up is taken out again (an adjustment): that money is theirs, not
    the budget's. Their own money is returned first."""
    common = _refund_entry_fields(order=order, payment=payment, refund=refund)
    LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.REFUND,
        amount_pence=amount_pence,
        description=(
            f"{'Disputed payment returned' if refund.kind == Refund.Kind.DISPUTE else 'Refund'}: "
            f"{order.service_description} from {order.provider.name}"
        )[:200],
        **common,
    )
    returned = _own_money_returned(order)
    own_part = min(amount_pence, max(order.top_up_pence - returned, 0))
    if own_part:
        LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.ADJUSTMENT,
            amount_pence=-own_part,
            description=f"Your top-up towards order {order.reference}, refunded to your card",
            **common,
        )


def record_refund(
    *,
    payment: Payment,
    refund_id: str | None,
    amount_pence: int,
    status: str = "succeeded",
    by=None,
    reason: str = "",
    kind: str = Refund.Kind.REFUND,
) -> Refund | None:
    """Record a refund once (by its reference) with its ledger entry. Call with the budget locked.

    Refunds are recorded by their references: a refunded total that the refunds known here
    do not make up is attributed by asking the payment service for the charge's refunds
    (`webhooks._on_refunded`). Placeholders (no reference) are what earlier versions
    recorded for such a total instead; a refund arriving with its reference still claims
    one by amount rather than being counted twice (wholly, or taking its share out of a
    total that covered two partial refunds). A lost dispute is recorded the same way (kind
    `dispute`), by the dispute's reference; it never claims a placeholder.
    """
    if refund_id:
        existing = Refund.objects.filter(refund_id=refund_id).first()
        if existing:
            return existing
    placeholders = (
        list(
            payment.refunds.filter(refund_id__isnull=True, kind=Refund.Kind.REFUND, amount_pence__gt=0)
            .returned()
            .order_by("amount_pence", "pk")
        )
        if refund_id and kind == Refund.Kind.REFUND
        else []
    )
    exact = next((p for p in placeholders if p.amount_pence == amount_pence), None)
    if exact:
        Refund.objects.filter(pk=exact.pk).update(refund_id=refund_id, status=status)
        return exact
    larger = next((p for p in placeholders if p.amount_pence > amount_pence), None)
    if larger:
        Refund.objects.filter(pk=larger.pk).update(amount_pence=F("amount_pence") - amount_pence)
        return Refund.objects.create(
            payment=payment,
            kind=kind,
            refund_id=refund_id,
            amount_pence=amount_pence,
            status=status,
            reason=reason[:300],
            requested_by=by,
        )
    # Smaller placeholders (a total that counted only part of this refund, because refunds
    # that failed still count against totals) are taken over; only the rest is new money.
    absorbed = 0
    for placeholder in placeholders:
        take = min(placeholder.amount_pence, amount_pence - absorbed)
        if take <= 0:
            break
        Refund.objects.filter(pk=placeholder.pk).update(amount_pence=F("amount_pence") - take)
        absorbed += take
    order = payment.order
    refund = Refund.objects.create(
        payment=payment,
        kind=kind,
        refund_id=refund_id,
        amount_pence=amount_pence,
        status=status,
        reason=reason[:300],
        requested_by=by,
    )
    if order.budget_id is not None and amount_pence > absorbed:  # a person paying themselves has no ledger
        _book_refund(order=order, payment=payment, refund=refund, amount_pence=amount_pence - absorbed)
    RequestEvent.objects.create(
        request_id=order.request_id, kind=RequestEvent.Kind.REFUNDED, actor=by, note=pounds(amount_pence)
    )
    return refund


def record_refund_failure(
    *,
    payment: Payment,
    refund_id: str,
    amount_pence: int,
    failure_reason: str = "",
    failed_at=None,
) -> Refund:
    """A refund the payment service reported made has failed: take its money back out of the
    budget once. Call with the budget locked.

    The refund is marked failed and a `refund_failed` ledger entry takes back exactly what it
    credited (and the person's own top-up it had handed back to them is put back, so the
    budget ends where it was before the refund). However often and in whatever order the
    service says so, it happens once: a refund already failed changes nothing, and the
    ledger allows one reversal per refund. A failure for a refund known only as a refunded
    total (a placeholder) claims the placeholder first. A failure for a refund never seen
    here credited nothing, so nothing is taken back: it is recorded as failed (so its late
    "created" event cannot credit it), logged and put in the audit log.
    """
    from .. import audit

    failed_at = failed_at or timezone.now()
    order = payment.order
    refund = Refund.objects.select_for_update().filter(refund_id=refund_id).first() if refund_id else None
    if refund is None and _placeholder_for(payment, amount_pence) is not None:
        record_refund(payment=payment, refund_id=refund_id, amount_pence=amount_pence)
        refund = Refund.objects.select_for_update().get(refund_id=refund_id)
    taken_back = 0
    if refund is None:
        refund = Refund.objects.create(
            payment=payment,
            refund_id=refund_id or None,
            amount_pence=amount_pence,
            status=Refund.FAILED,
            failed_at=failed_at,
            failure_reason=(failure_reason or "unknown")[:60],
            reason="Failed before this site heard it was made, so nothing was credited",
        )
        detail = (
            "it failed before this site heard it was made: nothing was credited, so nothing was taken back"
        )
    elif refund.failed or refund.kind != Refund.Kind.REFUND:
        return refund  # already taken back (a repeated or second failure event); disputes do not fail
    else:
        refund.status = Refund.FAILED
        refund.failed_at = failed_at
        refund.failure_reason = (failure_reason or "unknown")[:60]
        refund.save(update_fields=["status", "failed_at", "failure_reason"])
        if order.budget_id is not None:  # a person paying themselves has no ledger
            taken_back = _book_refund_failure(order=order, payment=payment, refund=refund)
        detail = f"{taken_back}p taken back out of the budget"
    note = f"The refund of {pounds(refund.amount_pence)} did not reach the card: {refund.failure_words}."
    if taken_back:
        note += f" {pounds(taken_back)} was taken back out of the budget."
    RequestEvent.objects.create(request_id=order.request_id, kind=RequestEvent.Kind.REFUND_FAILED, note=note)
    _order_after_refund_failure(order, payment)
    logger.warning(
        "Refund %s of %sp for order %s failed (%s): %s",
        refund.refund_id,
        refund.amount_pence,
        order.public_id,
        refund.failure_reason,
        detail,
    )
    audit.record(
        actor=None,
        action="refund_failed",
        budget=order.budget,
        obj=order,
        detail=f"Refund {refund.refund_id or '(no reference)'} of {refund.amount_pence}p on payment "
        f"{payment.payment_intent_id} failed ({refund.failure_reason}); {detail}. The money is back with "
        "the payment service: return it to the person another way",
        role="the payment service",
    )
    return refund


def _order_after_refund_failure(order: Order, payment: Payment) -> None:
    """An order whose refunds were meant to return the whole payment, but one failed, is
    "Cancelled: refund failed" (whichever came first: the refund, or news of its failure)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    returned = returned_pence(payment)
    failed = (
        payment.refunds.filter(status=Refund.FAILED, kind=Refund.Kind.REFUND).aggregate(
            total=Sum("amount_pence")
        )["total"]
        or 0
    )
    if returned >= payment.amount_pence or returned + failed < payment.amount_pence:
        return
    if order.status == Order.Status.REFUNDED:
        order.status = Order.Status.REFUND_FAILED
        order.save(update_fields=["status"])
    elif order.status == Order.Status.PAID:
        mark_cancelled(order, by=None, reason="Refunded", status=Order.Status.REFUND_FAILED)


def _placeholder_for(payment: Payment, amount_pence: int) -> Refund | None:
    """A refund recorded from a refunded total (no reference) that a refund of this amount
    would claim (`record_refund`)."""
    return (
        payment.refunds.filter(refund_id__isnull=True, kind=Refund.Kind.REFUND)
        .filter(amount_pence__gte=amount_pence)
        .returned()
        .order_by("amount_pence", "pk")
        .first()
    )


def _book_refund_failure(*, order: Order, payment: Payment, refund: Refund) -> int:
    """Take a failed refund's money back out of the ledger; return what the budget lost.

    The mirror of `_book_refund`: the refund's whole amount comes out (`refund_failed`), and
    the part of the person's own top-up that the refund had handed back to them goes back in
    (their own money is returned first, so after the failure they are owed back only what
    the refunds still standing cover)."""
    common = _refund_entry_fields(order=order, payment=payment, refund=refund)
    LedgerEntry.objects.create(
        kind=LedgerEntry.Kind.REFUND_FAILED,
        amount_pence=-refund.amount_pence,
        description=(
            f"Refund failed: {pounds(refund.amount_pence)} taken back: "
            f"{order.service_description} from {order.provider.name}"
        )[:200],
        **common,
    )
    own_returned = _own_money_returned(order)
    still_returned = returned_pence(payment)
    own_back = max(own_returned - min(order.top_up_pence, still_returned), 0)
    if own_back:
        LedgerEntry.objects.create(
            kind=LedgerEntry.Kind.ADJUSTMENT,
            amount_pence=own_back,
            description=f"Your top-up towards order {order.reference}: the refund failed, so it was not "
            "returned to your card",
            **common,
        )
    return refund.amount_pence - own_back

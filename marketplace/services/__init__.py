"""The marketplace's domain operations: the only code that writes orders, payments, refunds
and ledger entries. Each is a keyword-only function; the exceptions each raises sit here
with it, carrying a message fit to show the person.

Money rules (see docs/payments.md):
- The ledger is append-only; a budget's *balance* is the sum of its entries: council
  payments and the person's contributions in, payments to providers and spending outside
  the site out, refunds back in.
- An order that is agreed but not yet paid is *committed*. What is *left* is the balance
  less what is committed. Agreeing to an order never takes what is left below zero.
- Every change that could spend money locks the budget's row first
  (`select_for_update` inside `transaction.atomic`), so concurrent requests queue on
  that lock and each one sees what the one before it committed. Locks are always taken
  budget first, then request or order, so two operations cannot deadlock.
- Calls to the payment service happen outside those transactions (a slow network must
  not hold a lock), before anything is recorded: if the service is unreachable, nothing
  changes here.
"""

import logging
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from cms.models import Role
from directory.evidence import display_name
from directory.models import ListingPage, ListingPrice, Outcome, Provider

from ..gateways import GatewayRejected, GatewayUnavailable, WebhookVerificationError, get_payment_gateway
from ..models import (
    Budget,
    BudgetPeriod,
    Delegate,
    LedgerEntry,
    Order,
    Payment,
    PlanOutcome,
    ProviderPaymentAccount,
    Refund,
    RequestEvent,
    SupportPlan,
    SupportRequest,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

# Limits on what can be asked for at once: generous for real support, small enough that a
# typing slip ("1000 hours") is caught.
MAX_QUANTITY = 500
MAX_DAYS_AHEAD = 366
# A Checkout page about to expire is not worth sending someone to.
CHECKOUT_REUSE_MARGIN = timedelta(minutes=10)


# --- Exceptions --------------------------------------------------------------------------


class MarketplaceError(Exception):
    """Something the person asked for cannot be done; `str(error)` says why, in plain English."""


class NotPermitted(MarketplaceError):
    """The person may not do this to this budget, request or order."""


class InvalidState(MarketplaceError):
    """The request or order has moved on (already answered, paid or cancelled)."""


class BudgetExceeded(MarketplaceError):
    """Agreeing to this would spend more than is left in the budget."""

    def __init__(self, message, *, needed_pence: int, left_pence: int):
        super().__init__(message)
        self.needed_pence = needed_pence
        self.left_pence = left_pence


class ProviderNotReadyForPayments(MarketplaceError):
    """The provider cannot take payments yet (no connected account, or not enabled)."""

    def __init__(self, message, *, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons


class PaymentServiceUnavailable(MarketplaceError):
    """The payment service could not be reached; nothing was charged or recorded."""


class PaymentRejected(MarketplaceError):
    """The payment service refused the request."""


class CancellationNotAllowed(MarketplaceError):
    """The cancellation rules do not allow this cancellation."""


class InvalidWebhook(MarketplaceError):
    """A webhook failed signature or freshness checks."""


UNAVAILABLE_MESSAGE = (
    "We could not reach the payment service, so nothing has changed and you have not been "
    "charged. Try again in a few minutes."
)


def _pounds(pence: int) -> str:
    from cms.templatetags.money import pounds

    return pounds(pence)


# --- Who may do what ---------------------------------------------------------------------


# What a person may do with a budget. The holder may do everything; a delegate may always
# view, and more as the holder chose (`Delegate.can_request`, `can_pay`,
# `can_download_statements`); only the holder manages delegates and sharing.
VIEW = "view"
REQUEST = "request"
PAY = "pay"
STATEMENTS = "statements"
MANAGE = "manage"
ALL_PERMISSIONS = frozenset({VIEW, REQUEST, PAY, STATEMENTS, MANAGE})


def _active_delegations(user):
    return Delegate.objects.filter(user=user, status=Delegate.Status.ACTIVE)


def budgets_for(user):
    """Budgets `user` may see: their own, and those they are an active delegate for."""
    if not user.is_authenticated:
        return Budget.objects.none()
    return Budget.objects.filter(
        Q(holder=user) | Q(delegates__user=user, delegates__status=Delegate.Status.ACTIVE)
    ).distinct()


def permissions_for(user, budget) -> frozenset[str]:
    """What `user` may do with `budget`: a subset of VIEW, REQUEST, PAY, STATEMENTS, MANAGE.

    Read from the database on every call, so withdrawing a delegate takes effect at once.
    """
    if not user.is_authenticated or budget is None:
        return frozenset()
    if budget.holder_id == user.pk:
        return ALL_PERMISSIONS
    delegation = _active_delegations(user).filter(budget=budget).first()
    if delegation is None:
        return frozenset()
    allowed = {VIEW}
    if delegation.can_request:
        allowed.add(REQUEST)
    if delegation.can_pay:
        allowed.add(PAY)
    if delegation.can_download_statements:
        allowed.add(STATEMENTS)
    return frozenset(allowed)


def can(user, budget, permission: str) -> bool:
    """True when `user` may do `permission` (VIEW, REQUEST, PAY, STATEMENTS, MANAGE) with `budget`."""
    return permission in permissions_for(user, budget)


def acting_budget(user, chosen: str | None = None) -> Budget | None:
    """The budget `user` is working on now.

    `chosen` is the public id of the budget they picked (kept in their session by the
    "switch person" page). Without a valid choice: their own budget, else their only
    delegated one; a delegate for several people with no choice gets None and is asked
    to choose.
    """
    if not user.is_authenticated:
        return None
    visible = budgets_for(user)
    if chosen:
        picked = visible.filter(public_id=chosen).first() if _is_uuid(chosen) else None
        if picked:
            return picked
    own = Budget.objects.filter(holder=user).first()
    if own:
        return own
    delegated = list(visible[:2])
    return delegated[0] if len(delegated) == 1 else None


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def can_act_for(user, budget) -> bool:
    """True when `user` is the holder, or a delegate allowed to request support for them."""
    return can(user, budget, REQUEST)


def is_provider_member(user, provider) -> bool:
    """True when `user` is in the provider's team."""
    return user.is_authenticated and provider.members.filter(pk=user.pk).exists()


def requests_visible_to(user):
    """Support requests `user` may see: as holder or active delegate, or as the provider's team."""
    if not user.is_authenticated:
        return SupportRequest.objects.none()
    return SupportRequest.objects.filter(
        Q(budget__in=budgets_for(user)) | Q(provider__members=user)
    ).distinct()


def orders_visible_to(user):
    """Orders `user` may see: as holder or active delegate, or as the provider's team."""
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(Q(budget__in=budgets_for(user)) | Q(provider__members=user)).distinct()


# --- Budgets and plans -------------------------------------------------------------------


def set_up_budget(
    *,
    holder,
    amount_pence: int,
    period: str,
    first_period_starts_on: date,
    client_contribution_pence: int = 0,
    contingency_weeks: int = 0,
) -> Budget:
    """Create or update the holder's budget (and an empty support plan).

    Changed amounts apply from the next period; the period length and start date are fixed
    once a period has begun, because past periods and their ledger entries depend on them.
    """
    if amount_pence < 0 or client_contribution_pence < 0:
        raise MarketplaceError("Amounts cannot be negative.")
    with transaction.atomic():
        budget = Budget.objects.select_for_update().filter(holder=holder).first()
        if budget is None:
            budget = Budget(holder=holder, period=period, first_period_starts_on=first_period_starts_on)
        elif budget.periods.exists() and (
            budget.period != period or budget.first_period_starts_on != first_period_starts_on
        ):
            raise InvalidState(
                "Your budget periods have started, so how often the money comes and the start date "
                "cannot change here. Ask your council to update them."
            )
        budget.period = period
        budget.first_period_starts_on = first_period_starts_on
        budget.amount_pence = amount_pence
        budget.client_contribution_pence = client_contribution_pence
        budget.contingency_weeks = contingency_weeks
        budget.save()
        SupportPlan.objects.get_or_create(budget=budget)
        holder.groups.add(Group.objects.get_or_create(name=Role.BUDGET_HOLDER.value)[0])
    return budget


def open_periods(*, budget, today: date | None = None) -> BudgetPeriod | None:
    """Make sure every period up to today has begun; return today's period (None before the first).

    Beginning a period writes its council payment and the person's contribution to the
    ledger, once (a unique constraint backs that up). Money from before the budget was set up
    here is not credited: the first period is the one the set-up date falls in.
    """
    today = today or timezone.localdate()
    if today < budget.first_period_starts_on:
        return None
    current_start, _ = budget.period_containing(today)
    existing = BudgetPeriod.objects.filter(budget=budget, starts_on=current_start).first()
    if existing:
        return existing
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        last = budget.periods.order_by("-starts_on").first()
        if last:
            start = last.ends_on + timedelta(days=1)
        else:
            set_up_on = timezone.localdate(budget.created_at) if budget.created_at else today
            start, _ = budget.period_containing(max(budget.first_period_starts_on, min(set_up_on, today)))
        period = None
        while start <= current_start:
            start, end = budget.period_containing(start)
            period = BudgetPeriod.objects.create(
                budget=budget,
                starts_on=start,
                ends_on=end,
                amount_pence=budget.amount_pence,
                client_contribution_pence=budget.client_contribution_pence,
            )
            for kind, amount, label in (
                (LedgerEntry.Kind.ALLOCATION, budget.amount_pence, "Direct payment from the council"),
                (LedgerEntry.Kind.CONTRIBUTION, budget.client_contribution_pence, "Your contribution"),
            ):
                if amount:
                    LedgerEntry.objects.create(
                        budget=budget,
                        period=period,
                        kind=kind,
                        amount_pence=amount,
                        occurred_on=start,
                        description=label,
                    )
            start = end + timedelta(days=1)
        return period or BudgetPeriod.objects.get(budget=budget, starts_on=current_start)


def _ledger_period(budget, day: date) -> BudgetPeriod:
    """The period to book money that moves on `day` to (beginning periods as needed)."""
    period = BudgetPeriod.objects.filter(budget=budget, starts_on__lte=day, ends_on__gte=day).first()
    if period:
        return period
    period = open_periods(budget=budget, today=max(day, budget.first_period_starts_on))
    if period is None or day < period.starts_on:
        # Money moved before the budget's first period (rare: a payment agreed at £0 left
        # cannot happen, so this is a late webhook or an early set-up): book it to the first.
        period = open_periods(budget=budget, today=budget.first_period_starts_on)
    return period


def balance_pence(*, budget) -> int:
    """Money in the budget: the sum of its ledger (one SQL aggregate over an indexed column)."""
    return LedgerEntry.objects.filter(budget=budget).aggregate(total=Sum("amount_pence"))["total"] or 0


def committed_pence(*, budget) -> int:
    """Money promised to orders that are agreed but not yet paid."""
    return (
        Order.objects.filter(budget=budget, status__in=Order.COMMITTED).aggregate(total=Sum("total_pence"))[
            "total"
        ]
        or 0
    )


def left_pence(*, budget) -> int:
    """What can still be spent: the balance less what is committed."""
    return balance_pence(budget=budget) - committed_pence(budget=budget)


@dataclass(frozen=True)
class OutcomeSpending:
    """Spending and commitments against one outcome of the plan in a period."""

    plan_outcome: PlanOutcome
    spent_pence: int
    committed_pence: int


@dataclass(frozen=True)
class BudgetSummary:
    """What the dashboard shows for the current period."""

    budget: Budget
    period: BudgetPeriod | None
    period_in_pence: int
    carried_over_pence: int
    spent_pence: int
    committed_pence: int
    balance_pence: int
    left_pence: int
    contingency_pence: int
    surplus_pence: int
    by_outcome: list[OutcomeSpending] = field(default_factory=list)


SPENDING_KINDS = (LedgerEntry.Kind.PAYMENT, LedgerEntry.Kind.OUTSIDE, LedgerEntry.Kind.REFUND)


def budget_summary(*, budget, today: date | None = None) -> BudgetSummary:
    """The budget for the current period: money in, spent, committed, left, and by outcome."""
    period = open_periods(budget=budget, today=today)
    balance = balance_pence(budget=budget)
    committed = committed_pence(budget=budget)
    period_in = spent = 0
    spent_by_outcome: dict[int, int] = {}
    if period:
        in_period = LedgerEntry.objects.filter(budget=budget, period=period)
        period_in = (
            in_period.filter(kind__in=[LedgerEntry.Kind.ALLOCATION, LedgerEntry.Kind.CONTRIBUTION]).aggregate(
                total=Sum("amount_pence")
            )["total"]
            or 0
        )
        spending = in_period.filter(kind__in=SPENDING_KINDS)
        spent = -(spending.aggregate(total=Sum("amount_pence"))["total"] or 0)
        for row in spending.values("plan_outcome").annotate(total=Sum("amount_pence")):
            spent_by_outcome[row["plan_outcome"]] = -row["total"]
        period_total = in_period.aggregate(total=Sum("amount_pence"))["total"] or 0
        carried_over = balance - period_total
    else:
        carried_over = balance
    committed_by_outcome = {
        row["plan_outcome"]: row["total"]
        for row in Order.objects.filter(budget=budget, status__in=Order.COMMITTED)
        .values("plan_outcome")
        .annotate(total=Sum("total_pence"))
    }
    by_outcome = [
        OutcomeSpending(
            plan_outcome=plan_outcome,
            spent_pence=spent_by_outcome.get(plan_outcome.pk, 0),
            committed_pence=committed_by_outcome.get(plan_outcome.pk, 0),
        )
        for plan_outcome in PlanOutcome.objects.filter(plan__budget=budget).select_related("outcome")
        if not plan_outcome.archived
        or plan_outcome.pk in spent_by_outcome
        or plan_outcome.pk in committed_by_outcome
    ]
    left = balance - committed
    return BudgetSummary(
        budget=budget,
        period=period,
        period_in_pence=period_in,
        carried_over_pence=carried_over,
        spent_pence=spent,
        committed_pence=committed,
        balance_pence=balance,
        left_pence=left,
        contingency_pence=budget.contingency_pence,
        surplus_pence=max(0, left - budget.contingency_pence),
        by_outcome=by_outcome,
    )


def add_plan_outcome(*, budget, by, own_words: str, outcome: Outcome) -> PlanOutcome:
    """Add an outcome to the support plan, in the person's own words."""
    if not can_act_for(by, budget):
        raise NotPermitted("You cannot change this support plan.")
    plan, _ = SupportPlan.objects.get_or_create(budget=budget)
    return PlanOutcome.objects.create(plan=plan, own_words=own_words.strip(), outcome=outcome)


def remove_plan_outcome(*, plan_outcome, by) -> None:
    """Take an outcome off the plan: archived if anything was bought for it, else deleted."""
    if not can_act_for(by, plan_outcome.plan.budget):
        raise NotPermitted("You cannot change this support plan.")
    used = (
        plan_outcome.requests.exists() or plan_outcome.orders.exists() or plan_outcome.ledger_entries.exists()
    )
    if used:
        PlanOutcome.objects.filter(pk=plan_outcome.pk).update(archived=True)
    else:
        plan_outcome.delete()


# --- Requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CostPreview:
    """What a request would cost and what would be left of the budget."""

    total_pence: int
    left_now_pence: int

    @property
    def left_after_pence(self) -> int:
        """What would be left once this is agreed."""
        return self.left_now_pence - self.total_pence

    @property
    def affordable(self) -> bool:
        """True when the budget covers it."""
        return self.left_after_pence >= 0


def preview_cost(*, budget, unit_price_pence: int, quantity: int) -> CostPreview:
    """The cost of `quantity` units at `unit_price_pence` against what is left now."""
    open_periods(budget=budget)
    return CostPreview(total_pence=unit_price_pence * quantity, left_now_pence=left_pence(budget=budget))


def unit_price_for(price: ListingPrice, rate: str) -> int:
    """The listing's price per unit at the chosen rate ("weekday" or "evening")."""
    if rate == "evening" and price.evening_weekend_pence is not None:
        return price.evening_weekend_pence
    return price.weekday_pence


def _check_terms(
    *, quantity: int, starts_on: date, ends_on: date, unit_price_pence: int, today: date
) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise MarketplaceError(f"Ask for between 1 and {MAX_QUANTITY}.")
    if starts_on < today:
        raise MarketplaceError("The start date must be today or in the future.")
    if ends_on < starts_on:
        raise MarketplaceError("The end date must be the same as or after the start date.")
    if ends_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise MarketplaceError("The end date must be within a year from today.")
    if unit_price_pence <= 0:
        raise MarketplaceError("This price is free or not set: contact the provider directly.")


def request_support(
    *,
    budget,
    by,
    listing: ListingPage,
    price: ListingPrice,
    rate: str = "weekday",
    quantity: int,
    starts_on: date,
    ends_on: date,
    plan_outcome: PlanOutcome,
    message: str = "",
) -> SupportRequest:
    """Send a provider a request for support, at the listing's price, for one plan outcome.

    Raises `BudgetExceeded` when what is left already cannot cover it (it is checked again,
    under the budget's lock, when the request is agreed).
    """
    if not can_act_for(by, budget):
        raise NotPermitted("You cannot request support for this budget.")
    if not listing.live or price.listing_id != listing.pk:
        raise InvalidState("This listing or price is no longer available.")
    if plan_outcome.plan.budget_id != budget.pk or plan_outcome.archived:
        raise MarketplaceError("Choose an outcome from your support plan.")
    unit_price = unit_price_for(price, rate)
    _check_terms(
        quantity=quantity,
        starts_on=starts_on,
        ends_on=ends_on,
        unit_price_pence=unit_price,
        today=timezone.localdate(),
    )
    preview = preview_cost(budget=budget, unit_price_pence=unit_price, quantity=quantity)
    if not preview.affordable:
        raise BudgetExceeded(
            f"This would cost {_pounds(preview.total_pence)} but you have {_pounds(preview.left_now_pence)} "
            "left. Ask for less, or choose a different price.",
            needed_pence=preview.total_pence,
            left_pence=preview.left_now_pence,
        )
    description = price.description
    if rate == "evening" and price.evening_weekend_pence is not None:
        description = f"{description} (evenings and weekends)"
    with transaction.atomic():
        support_request = SupportRequest.objects.create(
            budget=budget,
            requested_by=by,
            listing=listing,
            provider=listing.provider,
            service_description=description[:120],
            unit=price.unit,
            unit_price_pence=unit_price,
            quantity=quantity,
            starts_on=starts_on,
            ends_on=ends_on,
            plan_outcome=plan_outcome,
            message=message.strip(),
        )
        RequestEvent.objects.create(request=support_request, kind=RequestEvent.Kind.REQUESTED, actor=by)
        _notify_on_commit("request_received", support_request.pk)
    return support_request


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


def _require_payment_ready(provider: Provider, *, for_holder: bool = False) -> ProviderPaymentAccount:
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


def accept_request(*, support_request: SupportRequest, by) -> Order:
    """The provider agrees to the request as asked: it becomes an order, committed against the budget.

    Raises `ProviderNotReadyForPayments` until the provider's payouts are enabled, and
    `BudgetExceeded` if the budget no longer covers it.
    """
    if not is_provider_member(by, support_request.provider):
        raise NotPermitted("Only the provider can accept this request.")
    _require_payment_ready(support_request.provider)
    return _agree(
        support_request=support_request,
        by=by,
        expected=SupportRequest.Status.REQUESTED,
        use_proposed=False,
        kind=RequestEvent.Kind.ACCEPTED,
    )


def accept_change(*, support_request: SupportRequest, by) -> Order:
    """The holder agrees to the provider's suggested change: it becomes an order."""
    if not can_act_for(by, support_request.budget):
        raise NotPermitted("You cannot accept this change.")
    _require_payment_ready(support_request.provider, for_holder=True)
    return _agree(
        support_request=support_request,
        by=by,
        expected=SupportRequest.Status.CHANGE_PROPOSED,
        use_proposed=True,
        kind=RequestEvent.Kind.CHANGE_ACCEPTED,
    )


def _agree(*, support_request, by, expected, use_proposed, kind) -> Order:
    with transaction.atomic():
        # The budget's row lock is what makes overspending impossible: every agreement
        # waits here for the one before it, then sees its order in `committed`.
        budget = Budget.objects.select_for_update().get(pk=support_request.budget_id)
        support_request = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
        if support_request.status != expected:
            raise InvalidState("This request has already been answered.")
        if use_proposed:
            quantity = support_request.proposed_quantity
            unit_price = support_request.proposed_unit_price_pence
            starts_on = support_request.proposed_starts_on or support_request.starts_on
            ends_on = support_request.proposed_ends_on or support_request.ends_on
        else:
            quantity, unit_price = support_request.quantity, support_request.unit_price_pence
            starts_on, ends_on = support_request.starts_on, support_request.ends_on
        total = quantity * unit_price
        open_periods(budget=budget)
        left = left_pence(budget=budget)
        if total > left:
            raise BudgetExceeded(
                f"This costs {_pounds(total)} but only {_pounds(max(left, 0))} is left in the budget, "
                "so it cannot be agreed.",
                needed_pence=total,
                left_pence=left,
            )
        support_request.status = SupportRequest.Status.ACCEPTED
        support_request.save(update_fields=["status", "updated_at"])
        plan_outcome = support_request.plan_outcome
        order = Order.objects.create(
            request=support_request,
            budget=budget,
            provider=support_request.provider,
            listing=support_request.listing,
            plan_outcome=plan_outcome,
            outcome=plan_outcome.outcome,
            service_description=support_request.service_description,
            unit=support_request.unit,
            quantity=quantity,
            unit_price_pence=unit_price,
            total_pence=total,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        RequestEvent.objects.create(request=support_request, kind=kind, actor=by)
        _notify_on_commit("request_agreed", support_request.pk)
    return order


def decline_request(*, support_request: SupportRequest, by, note: str = "") -> SupportRequest:
    """The provider says no (with an optional note to the holder)."""
    if not is_provider_member(by, support_request.provider):
        raise NotPermitted("Only the provider can decline this request.")
    return _close_request(
        support_request=support_request,
        by=by,
        allowed=SupportRequest.OPEN,
        status=SupportRequest.Status.DECLINED,
        kind=RequestEvent.Kind.DECLINED,
        note=note,
    )


def withdraw_request(*, support_request: SupportRequest, by) -> SupportRequest:
    """The holder withdraws a request (or turns down a suggested change) before it is agreed."""
    if not can_act_for(by, support_request.budget):
        raise NotPermitted("You cannot withdraw this request.")
    return _close_request(
        support_request=support_request,
        by=by,
        allowed=SupportRequest.OPEN,
        status=SupportRequest.Status.WITHDRAWN,
        kind=RequestEvent.Kind.WITHDRAWN,
        note="",
    )


def _close_request(*, support_request, by, allowed, status, kind, note) -> SupportRequest:
    with transaction.atomic():
        support_request = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
        if support_request.status not in allowed:
            raise InvalidState("This request has already been answered.")
        support_request.status = status
        if note:
            support_request.provider_note = note.strip()
        support_request.save()
        RequestEvent.objects.create(request=support_request, kind=kind, actor=by, note=note.strip())
        _notify_on_commit("request_closed", support_request.pk)
    return support_request


def propose_change(
    *,
    support_request: SupportRequest,
    by,
    quantity: int,
    unit_price_pence: int,
    starts_on: date,
    ends_on: date,
    note: str = "",
) -> SupportRequest:
    """The provider suggests different terms (quantity, dates or price) for the holder to accept."""
    if not is_provider_member(by, support_request.provider):
        raise NotPermitted("Only the provider can suggest a change.")
    _check_terms(
        quantity=quantity,
        starts_on=starts_on,
        ends_on=ends_on,
        unit_price_pence=unit_price_pence,
        today=timezone.localdate(),
    )
    with transaction.atomic():
        support_request = SupportRequest.objects.select_for_update().get(pk=support_request.pk)
        if support_request.status not in SupportRequest.OPEN:
            raise InvalidState("This request has already been answered.")
        unchanged = (
            quantity == support_request.quantity
            and unit_price_pence == support_request.unit_price_pence
            and starts_on == support_request.starts_on
            and ends_on == support_request.ends_on
        )
        if unchanged:
            raise MarketplaceError("Change at least one thing, or accept the request as it is.")
        support_request.proposed_quantity = quantity
        support_request.proposed_unit_price_pence = unit_price_pence
        support_request.proposed_starts_on = starts_on
        support_request.proposed_ends_on = ends_on
        support_request.provider_note = note.strip()
        support_request.status = SupportRequest.Status.CHANGE_PROPOSED
        support_request.save()
        RequestEvent.objects.create(
            request=support_request, kind=RequestEvent.Kind.CHANGE_PROPOSED, actor=by, note=note.strip()
        )
        _notify_on_commit("change_proposed", support_request.pk)
    return support_request


# --- Providers' payment accounts ---------------------------------------------------------


def _apply_account_status(
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
    try:
        account = ProviderPaymentAccount.objects.filter(provider=provider).first()
        if account is None:
            status = gateway.create_account(provider=provider)
            account, created = ProviderPaymentAccount.objects.get_or_create(
                provider=provider, defaults={"account_id": status.account_id}
            )
            if created:
                _apply_account_status(account, status)
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
    _apply_account_status(account, status)
    return account


# --- Paying ------------------------------------------------------------------------------


def start_checkout(*, order: Order, by, success_url: str, cancel_url: str) -> str:
    """Start (or resume) paying for an order through hosted checkout; return its address.

    The order becomes paid only when the payment service's signed webhook says so.
    """
    if not can(by, order.budget, PAY):
        raise NotPermitted("You cannot pay for this order.")
    if order.status == Order.Status.PAID:
        raise InvalidState("This order is already paid.")
    if order.status != Order.Status.AWAITING_PAYMENT:
        raise InvalidState("This order was cancelled, so it cannot be paid.")
    account = _require_payment_ready(order.provider, for_holder=True)
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
    return session.url


def _record_payment(
    *,
    order: Order,
    payment_intent_id: str,
    amount_pence: int,
    currency: str,
    session_id: str = "",
    destination: str = "",
) -> Payment:
    """Record money taken for an order (idempotent per payment reference): ledger, order, receipt."""
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=order.budget_id)
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
        today = timezone.localdate()
        LedgerEntry.objects.create(
            budget=budget,
            period=_ledger_period(budget, today),
            kind=LedgerEntry.Kind.PAYMENT,
            amount_pence=-amount_pence,
            occurred_on=today,
            description=f"{order.service_description} from {order.provider.name}"[:200],
            payee=order.provider.name,
            plan_outcome_id=order.plan_outcome_id,
            outcome_id=order.outcome_id,
            order=order,
            payment=payment,
        )
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
        _notify_on_commit("paid", order.request_id)
        _process_deferred(related_object=payment_intent_id)
    return payment


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
    as_holder = can_act_for(user, order.budget)
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
    refundable = payment.amount_pence - (payment.refunds.aggregate(total=Sum("amount_pence"))["total"] or 0)
    if as_holder and today < order.starts_on:
        return CancellationTerms(True, refundable, f"You will get a full refund of {_pounds(refundable)}.")
    if as_provider and today <= order.ends_on:
        return CancellationTerms(
            True, refundable, f"The person will get a full refund of {_pounds(refundable)} from your account."
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
            Budget.objects.select_for_update().get(pk=order.budget_id)
            order = Order.objects.select_for_update().get(pk=order.pk)
            if order.status != Order.Status.AWAITING_PAYMENT:
                raise InvalidState("This order has changed. Check it and try again.")
            _mark_cancelled(order, by=by, reason=reason, status=Order.Status.CANCELLED)
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
        Budget.objects.select_for_update().get(pk=order.budget_id)
        order = Order.objects.select_for_update().get(pk=order.pk)
        if result is not None:
            _record_refund(
                payment=payment,
                refund_id=result.refund_id,
                amount_pence=result.amount_pence,
                status=result.status,
                by=by,
                reason=reason,
            )
        if order.status == Order.Status.PAID:
            _mark_cancelled(order, by=by, reason=reason, status=Order.Status.REFUNDED)
    return order


def _mark_cancelled(order: Order, *, by, reason: str, status) -> None:
    order.status = status
    order.cancelled_at = timezone.now()
    order.cancelled_by = by
    order.cancel_reason = (reason or "").strip()[:300]
    order.checkout_url = ""
    order.save()
    RequestEvent.objects.create(
        request_id=order.request_id, kind=RequestEvent.Kind.CANCELLED, actor=by, note=reason
    )
    _notify_on_commit("cancelled", order.request_id)


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
            Budget.objects.select_for_update().get(pk=order.budget_id)
            order = Order.objects.select_for_update().get(pk=order.pk)
            if order.status in Order.COMMITTED:
                _mark_cancelled(order, by=by, reason=reason, status=Order.Status.CANCELLED)
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
    refundable = payment.amount_pence - (payment.refunds.aggregate(total=Sum("amount_pence"))["total"] or 0)
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


def _record_refund(
    *,
    payment: Payment,
    refund_id: str | None,
    amount_pence: int,
    status: str = "succeeded",
    by=None,
    reason: str = "",
) -> Refund | None:
    """Record a refund once (by its reference) with its ledger entry. Call with the budget locked.

    A refund first learnt of as a charge's refunded total (no reference) is recorded as a
    placeholder; when the same refund later arrives with its reference, it claims the
    placeholder instead of being counted twice.
    """
    if refund_id:
        existing = Refund.objects.filter(refund_id=refund_id).first()
        if existing:
            return existing
        placeholder = payment.refunds.filter(refund_id__isnull=True, amount_pence=amount_pence).first()
        if placeholder:
            Refund.objects.filter(pk=placeholder.pk).update(refund_id=refund_id, status=status)
            return placeholder
    order = payment.order
    refund = Refund.objects.create(
        payment=payment,
        refund_id=refund_id,
        amount_pence=amount_pence,
        status=status,
        reason=reason[:300],
        requested_by=by,
    )
    today = timezone.localdate()
    LedgerEntry.objects.create(
        budget_id=order.budget_id,
        period=_ledger_period(order.budget, today),
        kind=LedgerEntry.Kind.REFUND,
        amount_pence=amount_pence,
        occurred_on=today,
        description=f"Refund: {order.service_description} from {order.provider.name}"[:200],
        payee=order.provider.name,
        plan_outcome_id=order.plan_outcome_id,
        outcome_id=order.outcome_id,
        order=order,
        payment=payment,
        refund=refund,
    )
    RequestEvent.objects.create(
        request_id=order.request_id, kind=RequestEvent.Kind.REFUNDED, actor=by, note=_pounds(amount_pence)
    )
    return refund


# --- Spending outside the site -----------------------------------------------------------


def record_outside_spending(
    *,
    budget,
    by,
    amount_pence: int,
    spent_on: date,
    description: str,
    payee: str = "",
    plan_outcome: PlanOutcome,
    receipt=None,
) -> LedgerEntry:
    """Record money the holder spent outside the site (a personal assistant, a bus pass…).

    It has already been spent, so it is recorded even if it takes the balance below zero
    (the dashboard then shows the overspend); an upload must already be checked by the form.
    """
    if not can(by, budget, PAY):
        raise NotPermitted("You cannot record spending for this budget.")
    if amount_pence <= 0:
        raise MarketplaceError("Enter an amount more than £0.")
    if spent_on > timezone.localdate():
        raise MarketplaceError("The date must be today or in the past.")
    if plan_outcome.plan.budget_id != budget.pk:
        raise MarketplaceError("Choose an outcome from your support plan.")
    with transaction.atomic():
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        open_periods(budget=budget)
        period = BudgetPeriod.objects.filter(
            budget=budget, starts_on__lte=spent_on, ends_on__gte=spent_on
        ).first()
        entry = LedgerEntry(
            budget=budget,
            period=period or _ledger_period(budget, timezone.localdate()),
            kind=LedgerEntry.Kind.OUTSIDE,
            amount_pence=-amount_pence,
            occurred_on=spent_on,
            description=description.strip()[:200],
            payee=payee.strip()[:200],
            plan_outcome=plan_outcome,
            outcome_id=plan_outcome.outcome_id,
            recorded_by=by,
        )
        if receipt is not None:
            entry.receipt_name = display_name(receipt.name)
            entry.receipt.save(receipt.name, receipt, save=False)
        entry.save()
    return entry


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


def _process_deferred(*, related_object: str) -> None:
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
    _record_payment(
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
    _record_payment(
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
                _record_refund(
                    payment=payment,
                    refund_id=item["id"],
                    amount_pence=int(item["amount"]),
                    status=item["status"],
                )
        recorded = payment.refunds.aggregate(total=Sum("amount_pence"))["total"] or 0
        missing = int(charge.get("amount_refunded") or 0) - recorded
        if missing > 0:
            _record_refund(
                payment=payment,
                refund_id=None,
                amount_pence=missing,
                status="succeeded",
                reason="Refunded through the payment service",
            )
        refunded = payment.refunds.aggregate(total=Sum("amount_pence"))["total"] or 0
        if order.status == Order.Status.PAID and refunded >= payment.amount_pence:
            _mark_cancelled(order, by=None, reason="Refunded", status=Order.Status.REFUNDED)
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
        _apply_account_status(account, status, event_created=created)
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


# --- Notifications -----------------------------------------------------------------------


def _notify_on_commit(what: str, request_pk: int) -> None:
    """Queue the email for this step once the transaction has committed (never for a rollback)."""
    from ..tasks import send_notification_task

    transaction.on_commit(lambda: send_notification_task.enqueue(what, request_pk))

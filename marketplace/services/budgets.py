"""Budgets and support plans: setting a budget up, its periods and ledger, what is spent,
committed and left, the plan's outcomes, and spending recorded from outside the site.

Money rules (docs/payments.md): the ledger is append-only and a budget's *balance* is the
sum of its entries; an order agreed but not yet paid is *committed*; what is *left* is the
balance less what is committed. Every change that could spend money locks the budget's
row first (`select_for_update` inside `transaction.atomic`).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from cms.models import Role
from directory.evidence import display_name
from directory.models import Outcome

from ..acting import PAY, can, can_act_for
from ..models import (
    Budget,
    BudgetPeriod,
    LedgerEntry,
    Order,
    PlanOutcome,
    SupportPlan,
)
from .common import (
    InvalidState,
    MarketplaceError,
    NotPermitted,
    audit_holder_side,
)

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


def ledger_period(budget, day: date) -> BudgetPeriod:
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


# What an order takes from its budget: the total less the person's own top-up.
FROM_BUDGET = F("total_pence") - F("top_up_pence")


def committed_pence(*, budget) -> int:
    """Money promised to orders that are agreed but not yet paid (less any top-up the person
    pays from their own money)."""
    return (
        Order.objects.filter(budget=budget, status__in=Order.COMMITTED).aggregate(total=Sum(FROM_BUDGET))[
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


# What counts as spending against an outcome: payments, spending outside the site, refunds
# (less), and refunds that failed (their credit taken back, so spending again).
SPENDING_KINDS = (
    LedgerEntry.Kind.PAYMENT,
    LedgerEntry.Kind.OUTSIDE,
    LedgerEntry.Kind.REFUND,
    LedgerEntry.Kind.REFUND_FAILED,
)


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
        .annotate(total=Sum(FROM_BUDGET))
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
    plan_outcome = PlanOutcome.objects.create(plan=plan, own_words=own_words.strip(), outcome=outcome)
    audit_holder_side(by=by, budget=budget, action="changed_plan", detail="added an outcome")
    return plan_outcome


def remove_plan_outcome(*, plan_outcome, by) -> None:
    """Take an outcome off the plan: archived if anything was bought for it, else deleted."""
    if not can_act_for(by, plan_outcome.plan.budget):
        raise NotPermitted("You cannot change this support plan.")
    used = (
        plan_outcome.requests.exists() or plan_outcome.orders.exists() or plan_outcome.ledger_entries.exists()
    )
    budget = plan_outcome.plan.budget
    if used:
        PlanOutcome.objects.filter(pk=plan_outcome.pk).update(archived=True)
    else:
        plan_outcome.delete()
    audit_holder_side(
        by=by, budget=budget, action="changed_plan", obj=plan_outcome, detail="removed an outcome"
    )


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
            period=period or ledger_period(budget, timezone.localdate()),
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
    audit_holder_side(by=by, budget=budget, action="recorded_spending", obj=entry)
    return entry

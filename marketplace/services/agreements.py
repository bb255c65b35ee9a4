"""Requests and orders: a holder asks a provider for support, the provider accepts, declines
or suggests a change, and an agreed request becomes an order committed against the budget.

A person without a direct payment (a self-funder, or a family member paying) asks through the
same steps with `request_support_paying_myself`: no budget or plan, only what it is for in
their own words; the agreed order is paid by their card through the same checkout. A holder
may pay part of a budget purchase from their own money (`top_up_pence`): the budget is
checked for the rest only, and the top-up is recorded as their contribution when paid.

Agreeing locks the budget's row, then the request (always in that order, so two
agreements cannot deadlock), and never takes what is left below zero.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from directory.models import ListingPage, ListingPrice

from ..acting import REQUEST, buyer_may, can_act_for, is_provider_member
from ..models import (
    Budget,
    Order,
    PlanOutcome,
    RequestEvent,
    SupportRequest,
)
from .budgets import left_pence, open_periods
from .common import (
    BudgetExceeded,
    InvalidState,
    MarketplaceError,
    NotPermitted,
    audit_holder_side,
    notify_on_commit,
    pounds,
    refuse_own_provider,
    refuse_self_dealing,
    refuse_self_dealing_on,
)
from .common import SelfDealing as SelfDealing  # raised by request, accept and (in payments) pay
from .payments import require_payment_ready

# Limits on what can be asked for at once: generous for real support, small enough that a
# typing slip ("1000 hours") is caught.
MAX_QUANTITY = 500
MAX_DAYS_AHEAD = 366


# --- Requests ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CostPreview:
    """What a request would cost and what would be left of the budget."""

    total_pence: int
    left_now_pence: int
    top_up_pence: int = 0

    @property
    def from_budget_pence(self) -> int:
        """What the budget pays: the cost less the person's own top-up."""
        return self.total_pence - self.top_up_pence

    @property
    def left_after_pence(self) -> int:
        """What would be left once this is agreed."""
        return self.left_now_pence - self.from_budget_pence

    @property
    def affordable(self) -> bool:
        """True when the budget covers it."""
        return self.left_after_pence >= 0


def preview_cost(*, budget, unit_price_pence: int, quantity: int, top_up_pence: int = 0) -> CostPreview:
    """The cost of `quantity` units at `unit_price_pence` against what is left now (less any
    top-up the person pays from their own money)."""
    open_periods(budget=budget)
    return CostPreview(
        total_pence=unit_price_pence * quantity,
        left_now_pence=left_pence(budget=budget),
        top_up_pence=top_up_pence,
    )


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
    top_up_pence: int = 0,
) -> SupportRequest:
    """Send a provider a request for support, at the listing's price, for one plan outcome.

    `top_up_pence` is what the person will pay from their own money towards it. Raises
    `BudgetExceeded` when what is left already cannot cover the rest (it is checked again,
    under the budget's lock, when the request is agreed).
    """
    if not can_act_for(by, budget):
        raise NotPermitted("You cannot request support for this budget.")
    if not listing.live or price.listing_id != listing.pk:
        raise InvalidState("This listing or price is no longer available.")
    if plan_outcome.plan.budget_id != budget.pk or plan_outcome.archived:
        raise MarketplaceError("Choose an outcome from your support plan.")
    refuse_self_dealing(by=by, budget=budget, provider=listing.provider, step="ask for support", obj=listing)
    unit_price = unit_price_for(price, rate)
    _check_terms(
        quantity=quantity,
        starts_on=starts_on,
        ends_on=ends_on,
        unit_price_pence=unit_price,
        today=timezone.localdate(),
    )
    if not 0 <= top_up_pence <= unit_price * quantity:
        raise MarketplaceError("Your own money towards it must be between £0 and what it costs.")
    preview = preview_cost(
        budget=budget, unit_price_pence=unit_price, quantity=quantity, top_up_pence=top_up_pence
    )
    if not preview.affordable:
        message = (
            f"This would cost {pounds(preview.total_pence)} but you have {pounds(preview.left_now_pence)} "
            "left. Ask for less, or choose a different price."
        )
        if top_up_pence:
            message = (
                f"This would take {pounds(preview.from_budget_pence)} from your budget but you have "
                f"{pounds(preview.left_now_pence)} left. Ask for less, choose a different price, or pay "
                "more of it from your own money."
            )
        raise BudgetExceeded(
            message,
            needed_pence=preview.from_budget_pence,
            left_pence=preview.left_now_pence,
        )
    with transaction.atomic():
        support_request = _create_request(
            by=by,
            listing=listing,
            price=price,
            rate=rate,
            terms={"quantity": quantity, "starts_on": starts_on, "ends_on": ends_on, "message": message},
            budget=budget,
            plan_outcome=plan_outcome,
            top_up_pence=top_up_pence,
        )
    audit_holder_side(by=by, budget=budget, action="requested_support", obj=support_request)
    return support_request


def request_support_paying_myself(
    *,
    by,
    listing: ListingPage,
    price: ListingPrice,
    rate: str = "weekday",
    quantity: int,
    starts_on: date,
    ends_on: date,
    purpose: str = "",
    message: str = "",
) -> SupportRequest:
    """Ask a provider for support that `by` will pay for with their own money, by card.

    No budget or plan is needed; `purpose` is what it is for in their own words (optional).
    The provider answers it exactly as a budget request; once agreed, `by` pays through the
    same checkout (`payments.start_checkout`) and gets the same receipt.
    """
    if not by.is_authenticated:
        raise NotPermitted("Sign in to ask for support.")
    if not listing.live or price.listing_id != listing.pk:
        raise InvalidState("This listing or price is no longer available.")
    if is_provider_member(by, listing.provider):
        refuse_own_provider(by=by, provider=listing.provider, step="ask for support", obj=listing)
    _check_terms(
        quantity=quantity,
        starts_on=starts_on,
        ends_on=ends_on,
        unit_price_pence=unit_price_for(price, rate),
        today=timezone.localdate(),
    )
    with transaction.atomic():
        support_request = _create_request(
            by=by,
            listing=listing,
            price=price,
            rate=rate,
            terms={"quantity": quantity, "starts_on": starts_on, "ends_on": ends_on, "message": message},
            payer=by,
            purpose=purpose.strip()[:200],
        )
    audit_holder_side(by=by, budget=None, action="requested_support", obj=support_request)
    return support_request


def _create_request(*, by, listing, price, rate, terms, **paid_by) -> SupportRequest:
    """Write a request at the listing's price, its first step and the provider's email."""
    description = price.description
    if rate == "evening" and price.evening_weekend_pence is not None:
        description = f"{description} (evenings and weekends)"
    support_request = SupportRequest.objects.create(
        requested_by=by,
        listing=listing,
        provider=listing.provider,
        service_description=description[:120],
        unit=price.unit,
        unit_price_pence=unit_price_for(price, rate),
        quantity=terms["quantity"],
        starts_on=terms["starts_on"],
        ends_on=terms["ends_on"],
        message=terms["message"].strip(),
        **paid_by,
    )
    RequestEvent.objects.create(request=support_request, kind=RequestEvent.Kind.REQUESTED, actor=by)
    notify_on_commit("request_received", support_request.pk)
    return support_request


def accept_request(*, support_request: SupportRequest, by) -> Order:
    """The provider agrees to the request as asked: it becomes an order, committed against the budget.

    Raises `ProviderNotReadyForPayments` until the provider's payouts are enabled, and
    `BudgetExceeded` if the budget no longer covers it.
    """
    if not is_provider_member(by, support_request.provider):
        raise NotPermitted("Only the provider can accept this request.")
    refuse_self_dealing_on(support_request, by=by, step="agree a request", obj=support_request)
    require_payment_ready(support_request.provider)
    return _agree(
        support_request=support_request,
        by=by,
        expected=SupportRequest.Status.REQUESTED,
        use_proposed=False,
        kind=RequestEvent.Kind.ACCEPTED,
    )


def accept_change(*, support_request: SupportRequest, by) -> Order:
    """The holder agrees to the provider's suggested change: it becomes an order."""
    if not buyer_may(by, support_request, REQUEST):
        raise NotPermitted("You cannot accept this change.")
    refuse_self_dealing_on(support_request, by=by, step="agree a change", obj=support_request)
    require_payment_ready(support_request.provider, for_holder=True)
    order = _agree(
        support_request=support_request,
        by=by,
        expected=SupportRequest.Status.CHANGE_PROPOSED,
        use_proposed=True,
        kind=RequestEvent.Kind.CHANGE_ACCEPTED,
    )
    audit_holder_side(
        by=by,
        budget=support_request.budget,
        action="changed_request",
        obj=support_request,
        detail="accepted a change",
    )
    return order


def _agree(*, support_request, by, expected, use_proposed, kind) -> Order:
    with transaction.atomic():
        # The budget's row lock is what makes overspending impossible: every agreement
        # waits here for the one before it, then sees its order in `committed`. A person
        # paying with their own money has no budget to lock or to check.
        budget = None
        if support_request.budget_id is not None:
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
        # A top-up larger than a changed (smaller) total is capped: the budget pays nothing.
        top_up = min(support_request.top_up_pence, total)
        if budget is not None:
            open_periods(budget=budget)
            left = left_pence(budget=budget)
            if total - top_up > left:
                what = f"costs {pounds(total)}"
                if top_up:
                    what = f"takes {pounds(total - top_up)} from the budget"
                raise BudgetExceeded(
                    f"This {what} but only {pounds(max(left, 0))} is left in the budget, "
                    "so it cannot be agreed.",
                    needed_pence=total - top_up,
                    left_pence=left,
                )
        support_request.status = SupportRequest.Status.ACCEPTED
        support_request.save(update_fields=["status", "updated_at"])
        plan_outcome = support_request.plan_outcome
        order = Order.objects.create(
            request=support_request,
            budget=budget,
            payer_id=support_request.payer_id,
            provider=support_request.provider,
            listing=support_request.listing,
            plan_outcome=plan_outcome,
            outcome=plan_outcome.outcome if plan_outcome else None,
            purpose=support_request.purpose,
            top_up_pence=top_up,
            service_description=support_request.service_description,
            unit=support_request.unit,
            quantity=quantity,
            unit_price_pence=unit_price,
            total_pence=total,
            starts_on=starts_on,
            ends_on=ends_on,
        )
        RequestEvent.objects.create(request=support_request, kind=kind, actor=by)
        notify_on_commit("request_agreed", support_request.pk)
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
    if not buyer_may(by, support_request, REQUEST):
        raise NotPermitted("You cannot withdraw this request.")
    support_request = _close_request(
        support_request=support_request,
        by=by,
        allowed=SupportRequest.OPEN,
        status=SupportRequest.Status.WITHDRAWN,
        kind=RequestEvent.Kind.WITHDRAWN,
        note="",
    )
    audit_holder_side(
        by=by,
        budget=support_request.budget,
        action="changed_request",
        obj=support_request,
        detail="withdrew it",
    )
    return support_request


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
        notify_on_commit("request_closed", support_request.pk)
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
        notify_on_commit("change_proposed", support_request.pk)
    return support_request

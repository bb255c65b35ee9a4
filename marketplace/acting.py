"""Whose budget is this person acting for, and what may they do with it.

A budget's holder may do everything; a helper (delegate) may view it and do what the holder
chose. Everything that asks "which budget" or "may they" asks here: services for their
permission checks, views and the `acting` context processor for the budget a person works on
now (`current_acting`): the one they chose on the switch page (kept in their session), if
they may still see it, else their own, else the only one they help with. A choice that is
no longer valid (access withdrawn, or an id that was never theirs) is forgotten, never obeyed.
"""

import uuid
from dataclasses import dataclass

from django.db.models import Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .models import (
    Budget,
    Delegate,
    Order,
    SupportRequest,
)

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

# What each permission lets a helper do, in the words the holder and the helper read.
ABILITY_WORDS = {
    VIEW: "see the budget, support plan, orders and receipts",
    REQUEST: "ask providers for support and change the support plan",
    PAY: "pay for agreed support and record spending",
    STATEMENTS: "download statements",
    MANAGE: "choose who helps and what they may do",
}


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


# What a person may download, as one rule (docs/payments.md, "What helpers may download"): a
# single receipt belongs to a purchase they may already see, so VIEW is enough; a statement, or
# every receipt of a period at once, is the council's paperwork, so it needs STATEMENTS.
DOWNLOAD_NEEDS = {"receipt": VIEW, "statement": STATEMENTS, "receipts_zip": STATEMENTS}


def can_download(user, budget, what: str) -> bool:
    """True when `user` may download `what` ("receipt", "statement", "receipts_zip") for `budget`."""
    return can(user, budget, DOWNLOAD_NEEDS[what])


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
    """Support requests `user` may see: as holder or active delegate, as the person paying
    with their own money, or as the provider's team."""
    if not user.is_authenticated:
        return SupportRequest.objects.none()
    return SupportRequest.objects.filter(
        Q(budget__in=budgets_for(user)) | Q(payer=user) | Q(provider__members=user)
    ).distinct()


def orders_visible_to(user):
    """Orders `user` may see: as holder or active delegate, as the person paying with their
    own money, or as the provider's team."""
    if not user.is_authenticated:
        return Order.objects.none()
    return Order.objects.filter(
        Q(budget__in=budgets_for(user)) | Q(payer=user) | Q(provider__members=user)
    ).distinct()


def buyer_may(user, obj, permission: str) -> bool:
    """True when `user` may do `permission` on the buying side of a request or order: with
    the budget's permissions (`can`), or as the person paying with their own money, who may
    do everything with what they pay for."""
    if obj.budget_id is None:
        return user.is_authenticated and obj.payer_id == user.pk
    return can(user, obj.budget, permission)


def permission_words(permissions) -> list[str]:
    """Plain words for a set of permissions, in a fixed order (for the "acting for" banner)."""
    order = (VIEW, REQUEST, PAY, STATEMENTS)
    return [ABILITY_WORDS[p] for p in order if p in permissions]


def holder_name(budget: Budget) -> str:
    """The holder's name, or their email address when they have not given a name."""
    return str(budget.holder)


# --- Who is being acted for --------------------------------------------------------------


@dataclass(frozen=True)
class Acting:
    """The budget someone is working on, and what they may do with it (for pages and banners)."""

    budget: Budget
    permissions: frozenset
    several: bool

    @property
    def is_own(self) -> bool:
        """True when it is the person's own budget."""
        return MANAGE in self.permissions

    @property
    def holder_name(self) -> str:
        return holder_name(self.budget)

    @property
    def may_request(self) -> bool:
        return REQUEST in self.permissions

    @property
    def may_pay(self) -> bool:
        return PAY in self.permissions

    @property
    def may_download_statements(self) -> bool:
        return STATEMENTS in self.permissions

    @property
    def may_manage(self) -> bool:
        return MANAGE in self.permissions

    @property
    def ability_words(self) -> list[str]:
        return permission_words(self.permissions)


def acting_for(user, budget: Budget | None) -> Acting | None:
    """`user`'s standing with `budget` (None when they may not see it)."""
    if budget is None:
        return None
    permissions = permissions_for(user, budget)
    if VIEW not in permissions:
        return None
    several = budgets_for(user)[:2].count() > 1
    return Acting(budget=budget, permissions=permissions, several=several)


# --- The person's choice, kept in their session ------------------------------------------

SESSION_KEY = "acting_budget"


def chosen_budget(request) -> Budget | None:
    """The budget `request.user` is working on now (their choice kept in the session), or None.

    Every holder-side page finds its budget here, so a stale choice is forgotten everywhere.
    """
    chosen = request.session.get(SESSION_KEY)
    budget = acting_budget(request.user, chosen)
    if chosen and (budget is None or str(budget.public_id) != str(chosen)):
        # Withdrawn, or never theirs: forget it so it cannot come back to life.
        del request.session[SESSION_KEY]
    return budget


def current_acting(request) -> Acting | None:
    """The budget `request.user` is working on now and what they may do with it, or None."""
    return acting_for(request.user, chosen_budget(request))


def choose(request, budget_public_id) -> None:
    """Remember in the session that the person now works on this budget (checked on every use)."""
    request.session[SESSION_KEY] = str(budget_public_id)


def forget(request, budget) -> None:
    """Forget the person's choice if it was `budget` (they no longer help that person)."""
    if request.session.get(SESSION_KEY) == str(budget.public_id):
        del request.session[SESSION_KEY]


def choose_person(request):
    """Send someone who helps several people to choose one, then back to where they were."""
    return redirect(f"{reverse('marketplace:switch_budget')}?{urlencode({'next': request.get_full_path()})}")

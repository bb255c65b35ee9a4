"""Whose budget is this person acting for, and what may they do with it.

A budget's holder may do everything; a helper (delegate) may view it and do what the holder
chose. Everything that asks "which budget" or "may they" asks here.
"""

import uuid

from django.db.models import Q

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

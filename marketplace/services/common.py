"""What every marketplace service shares: the exceptions they raise (each with a message fit
to show the person), the "payment service unreachable" message, money in words, the audit
line for what the holder's side did, and the email sent once a step has committed."""

from django.db import transaction

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


class SelfDealing(MarketplaceError):
    """The person acting for the buyer is also in the selling provider's team: one person
    cannot be both sides of a sale."""


class InvalidWebhook(MarketplaceError):
    """A webhook failed signature or freshness checks."""


class PaymentsNotSetUp(MarketplaceError):
    """This site has no payment service set up (no Stripe keys): nobody can pay through it.
    A configuration state the operator is warned about (marketplace.checks), not an outage."""


NOT_SET_UP_MESSAGE = (
    "Paying through this site is not available here. Pay the provider the way you agree with "
    "them, then record it in your budget as spending paid outside the site."
)

UNAVAILABLE_MESSAGE = (
    "We could not reach the payment service, so nothing has changed and you have not been "
    "charged. Try again in a few minutes."
)


def pounds(pence: int) -> str:
    """An amount of pence as the site writes money ("£1,234.50")."""
    from cms.templatetags import money

    return money.pounds(pence)


# --- Notifications -----------------------------------------------------------------------


def audit_holder_side(*, by, budget, action: str, obj=None, detail: str = "") -> None:
    """Write the audit line for something `by` did with `budget`'s data as its holder or a
    helper (`marketplace.audit`). A provider's team acting on their own orders is not on the
    holder's side, so it is not recorded about the holder.

    Without a budget (`obj` is a request or order paid with someone's own money) the line is
    written when `by` is the person paying: about them, with no budget."""
    from .. import audit
    from ..acting import VIEW, can

    if budget is None:
        payer_id = getattr(obj, "payer_id", None)
        if payer_id is not None and getattr(by, "is_authenticated", False) and by.pk == payer_id:
            audit.record(
                actor=by, role="the person paying", action=action, subject=by, obj=obj, detail=detail
            )
        return
    if can(by, budget, VIEW):
        audit.record(actor=by, action=action, budget=budget, obj=obj, detail=detail)


def refuse_self_dealing(*, by, budget, provider, step: str, obj=None, also=()) -> None:
    """Raise `SelfDealing` (after writing an audit line a coordinator sees) when someone on the
    buyer's side of this sale is in `provider`'s team.

    The buyer's side is `by` when they may act for `budget`, the budget's holder, and `also`
    (e.g. who sent the request). `step` says what was refused ("ask for support").
    """
    from .. import audit
    from ..acting import can_act_for, is_provider_member

    buyers = [budget.holder, *also]
    if by is not None and (by.pk == budget.holder_id or can_act_for(by, budget)):
        buyers.append(by)
    if not any(person is not None and is_provider_member(person, provider) for person in buyers):
        return
    audit.record(
        actor=by,
        action="refused_self_dealing",
        budget=budget,
        obj=obj,
        detail=f"Refused to {step}: the buyer side is also in the team of {provider.name} "
        "(one person cannot be both sides of a sale)",
    )
    raise SelfDealing(
        f"This cannot go ahead: someone acting for this budget is also in {provider.name}'s team, and "
        "one person cannot be on both sides of a sale. Ask a coordinator if this support is needed."
    )


def refuse_own_provider(*, by, provider, step: str, obj) -> None:
    """A person paying themselves cannot buy from a provider whose team they are in."""
    from .. import audit

    audit.record(
        actor=by,
        role="the person paying",
        action="refused_self_dealing",
        subject=by,
        obj=obj,
        detail=f"Refused to {step}: the person paying is also in the team of {provider.name} "
        "(one person cannot be both sides of a sale)",
    )
    raise SelfDealing(
        f"This cannot go ahead: you are in {provider.name}'s team, and one person cannot be on both "
        "sides of a sale."
    )


def refuse_self_dealing_on(support_request, *, by, step: str, obj) -> None:
    """`refuse_self_dealing` for either kind of request: budget, or a person paying themselves."""
    if support_request.budget_id is not None:
        refuse_self_dealing(
            by=by,
            budget=support_request.budget,
            provider=support_request.provider,
            step=step,
            obj=obj,
            also=[support_request.requested_by],
        )
        return
    buyers = {support_request.payer_id, support_request.requested_by_id}
    if support_request.provider.members.filter(pk__in=buyers).exists():
        refuse_own_provider(by=by, provider=support_request.provider, step=step, obj=obj)


def notify_on_commit(what: str, request_pk: int) -> None:
    """Queue the email for this step once the transaction has committed (never for a rollback)."""
    from ..tasks import send_notification_task

    transaction.on_commit(lambda: send_notification_task.enqueue(what, request_pk))

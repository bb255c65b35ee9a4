"""Pooled purchases: several holders share the cost of one group activity.

A provider offers a `GroupActivity` with places at a price per place (or one service
shared: one personal assistant for three people is 3 places at a third of the price), a
minimum number of people and a last day to join. Each holder who joins gets their own
`Order` (a *share*) against their own plan outcome, paid from their own budget, so every
ledger entry says what that person's money was for.

What happens to the money depends on what the provider chose (`if_not_filled`):
- `hold` (nobody charged): a share starts as *reserved*, a place held that counts against
  the budget (`Order.COMMITTED`) but cannot be paid yet. When the minimum is reached the
  held shares become payable at once and their holders are emailed to pay.
- `refund` (refund everyone): a share is payable as soon as the holder joins.
Once the last day to join has passed, `settle_activity` decides: enough people, and the
group goes ahead; too few, and it is called off: held and unpaid shares are cancelled
(nobody is charged) and paid shares are refunded in full through the payment service.

Locks follow `marketplace.services`: the budget's row first, then the activity's, then an
order's, so concurrent joins queue and can neither overfill the places nor overspend a
budget. Settling never locks a budget while it holds the activity, and calls the payment
service outside any transaction; each share is refunded with its order's idempotency key
and recorded once, so settling can be re-run safely after a failure.
"""

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from cms.mail import send
from cms.signals import group_activity_created
from cms.site import site_url
from directory.models import ListingPrice

from .. import audit
from ..acting import REQUEST, budgets_for, can, is_provider_member
from ..models import Budget, GroupActivity, Order, PlanOutcome, RequestEvent, SupportRequest
from .agreements import MAX_DAYS_AHEAD, MAX_QUANTITY
from .budgets import left_pence, open_periods
from .common import (
    BudgetExceeded,
    CancellationNotAllowed,
    InvalidState,
    MarketplaceError,
    NotPermitted,
    PaymentRejected,
    PaymentServiceUnavailable,
    pounds,
)
from .payments import cancel_and_refund_in_full, cancel_order, mark_cancelled, require_payment_ready

logger = logging.getLogger(__name__)

# A share in one of these states takes a place in the group.
TAKEN = (Order.Status.RESERVED, Order.Status.AWAITING_PAYMENT, Order.Status.PAID)
# Activities people may still join (before the last day to join, with places left).
JOINABLE = (GroupActivity.Status.OPEN, GroupActivity.Status.GOING_AHEAD)
MAX_PLACES = 500


class ActivityFull(InvalidState):
    """Every place in the group is taken."""


class AlreadyJoined(InvalidState):
    """This budget already has a place in the group."""


# --- Reading ------------------------------------------------------------------------------


def with_places_taken(queryset: QuerySet) -> QuerySet:
    """Activities annotated with `taken`: how many places their shares hold now."""
    return queryset.annotate(taken=Count("shares", filter=Q(shares__status__in=TAKEN), distinct=True))


def places_taken(activity: GroupActivity) -> int:
    """How many places are taken in the activity now."""
    return activity.shares.filter(status__in=TAKEN).count()


def joinable_activities(*, today: date | None = None) -> QuerySet:
    """Activities anyone may look at and join: open or going ahead, before their last day to
    join, on a live listing. Annotated with `taken`; full ones are included (say so)."""
    today = today or timezone.localdate()
    return with_places_taken(
        GroupActivity.objects.filter(status__in=JOINABLE, join_by__gte=today, listing__live=True)
    ).select_related("provider", "listing")


def activities_visible_to(user) -> QuerySet:
    """Activities `user` may open: any on a live listing, ones their budgets have a share in,
    and their own provider's."""
    if not user.is_authenticated:
        return GroupActivity.objects.filter(listing__live=True)
    return GroupActivity.objects.filter(
        Q(listing__live=True) | Q(shares__budget__in=budgets_for(user)) | Q(provider__members=user)
    ).distinct()


def share_for(activity: GroupActivity, budget: Budget | None) -> Order | None:
    """The budget's current share in the activity (a place taken), if any."""
    if budget is None:
        return None
    return activity.shares.filter(budget=budget, status__in=TAKEN).first()


def not_filled_wording(activity: GroupActivity) -> str:
    """What happens to a holder's money if the group does not fill, in plain English."""
    if activity.if_not_filled == GroupActivity.IfNotFilled.NOBODY_CHARGED:
        return (
            f"Your place is held and you pay only once {activity.min_places} people have joined. "
            f"If fewer than {activity.min_places} join by {activity.join_by:%-d %B %Y}, "
            "the group is called off and nobody is charged."
        )
    return (
        "You pay for your place when you join. "
        f"If fewer than {activity.min_places} people join by {activity.join_by:%-d %B %Y}, "
        "the group is called off and everyone who paid gets all their money back."
    )


# --- Offering an activity -------------------------------------------------------------------


def create_activity(
    *,
    provider,
    by,
    listing,
    title: str,
    when: str,
    starts_on: date,
    ends_on: date,
    unit_price_pence: int,
    places: int,
    min_places: int,
    join_by: date,
    if_not_filled: str,
    unit: str = "session",
    units_per_place: int = 1,
    description: str = "",
    today: date | None = None,
    proposal: str = "",
) -> GroupActivity:
    """A provider offers a group activity from one of their live listings.

    Only the provider's team may, and only once their payments are set up (raises
    `ProviderNotReadyForPayments` with the reasons), because holders pay them directly.
    `proposal` is the public id of a group proposal the activity answers (signposting's, by
    address): it is announced with `cms.signals.group_activity_created` and not kept here.
    """
    today = today or timezone.localdate()
    if not is_provider_member(by, provider):
        raise NotPermitted("Only the provider's team can offer a group activity.")
    if listing.provider_id != provider.pk or not listing.live:
        raise MarketplaceError("Choose one of your listings that is published.")
    require_payment_ready(provider)
    title, when = (title or "").strip(), (when or "").strip()
    if not title:
        raise MarketplaceError("Enter a name for the activity.")
    if not when:
        raise MarketplaceError("Enter when it happens, for example “Tuesdays 10am to 12 noon”.")
    if unit not in ListingPrice.Unit.values:
        raise MarketplaceError("Choose what each place is counted in: hours, sessions or days.")
    if not 1 <= units_per_place <= MAX_QUANTITY:
        raise MarketplaceError(f"Each place can include between 1 and {MAX_QUANTITY}.")
    if unit_price_pence <= 0:
        raise MarketplaceError("Enter a price more than £0.")
    if not 1 <= places <= MAX_PLACES:
        raise MarketplaceError(f"Offer between 1 and {MAX_PLACES} places.")
    if not 1 <= min_places <= places:
        raise MarketplaceError("The smallest group must be at least 1 and no more than the places.")
    if join_by < today:
        raise MarketplaceError("The last day to join must be today or in the future.")
    if starts_on < join_by:
        raise MarketplaceError("The last day to join must be on or before the first day.")
    if ends_on < starts_on:
        raise MarketplaceError("The last day must be the same as or after the first day.")
    if ends_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise MarketplaceError("The last day must be within a year from today.")
    if if_not_filled not in GroupActivity.IfNotFilled.values:
        raise MarketplaceError("Choose what happens if not enough people join.")
    activity = GroupActivity.objects.create(
        provider=provider,
        listing=listing,
        title=title[:120],
        description=(description or "").strip(),
        when=when[:200],
        starts_on=starts_on,
        ends_on=ends_on,
        unit=unit,
        units_per_place=units_per_place,
        unit_price_pence=unit_price_pence,
        places=places,
        min_places=min_places,
        join_by=join_by,
        if_not_filled=if_not_filled,
        created_by=by,
    )
    if proposal:
        # The hand-over from a group proposal: signposting checks the listing is the one whose
        # offer was chosen, records the activity and tells the people who joined.
        group_activity_created.send(
            sender=GroupActivity,
            proposal=str(proposal)[:64],
            listing_id=listing.public_id,
            activity_id=activity.public_id,
            url=site_url(reverse("marketplace:group_activity", args=[activity.public_id])),
            join_by=activity.join_by,
        )
    return activity


# --- Joining and leaving --------------------------------------------------------------------


def join_activity(
    *, activity: GroupActivity, budget: Budget, by, plan_outcome: PlanOutcome, today: date | None = None
) -> Order:
    """Take a place in the group for `budget`, against one of its plan outcomes.

    The share is *reserved* (held, not payable yet) under `hold`, or waiting for payment
    under `refund` or once the group is going ahead. Raises `NotPermitted` for someone who
    may not ask for support for this budget, `InvalidState` when joining has closed,
    `AlreadyJoined`, `ActivityFull`, and `BudgetExceeded` when what is left cannot cover
    the place.
    """
    today = today or timezone.localdate()
    if not can(by, budget, REQUEST):
        raise NotPermitted("You cannot join group activities for this budget.")
    if plan_outcome.plan.budget_id != budget.pk or plan_outcome.archived:
        raise MarketplaceError("Choose an outcome from your support plan.")
    require_payment_ready(activity.provider, for_holder=True)
    with transaction.atomic():
        # Budget first, then the activity (as in services): joins from one budget queue on
        # the first lock, joins to one activity on the second, so the checks below see
        # every place and every penny committed before them.
        budget = Budget.objects.select_for_update().get(pk=budget.pk)
        activity = GroupActivity.objects.select_for_update().get(pk=activity.pk)
        if activity.status not in JOINABLE or today > activity.join_by:
            raise InvalidState("Joining this group has closed.")
        if activity.starts_on < today or not activity.listing.live:
            raise InvalidState("Joining this group has closed.")
        if activity.shares.filter(budget=budget, status__in=TAKEN).exists():
            raise AlreadyJoined("You have already joined this group.")
        taken = places_taken(activity)
        if taken >= activity.places:
            raise ActivityFull("Every place in this group has been taken.")
        price = activity.price_per_place_pence
        open_periods(budget=budget, today=today)
        left = left_pence(budget=budget)
        if price > left:
            raise BudgetExceeded(
                f"A place costs {pounds(price)} but you have {pounds(max(left, 0))} left in your budget.",
                needed_pence=price,
                left_pence=left,
            )
        reaches_minimum = activity.status == GroupActivity.Status.OPEN and taken + 1 >= activity.min_places
        held = (
            activity.if_not_filled == GroupActivity.IfNotFilled.NOBODY_CHARGED
            and activity.status == GroupActivity.Status.OPEN
            and not reaches_minimum
        )
        support_request = SupportRequest.objects.create(
            budget=budget,
            requested_by=by,
            listing=activity.listing,
            provider=activity.provider,
            service_description=activity.title[:120],
            unit=activity.unit,
            unit_price_pence=activity.unit_price_pence,
            quantity=activity.units_per_place,
            starts_on=activity.starts_on,
            ends_on=activity.ends_on,
            plan_outcome=plan_outcome,
            status=SupportRequest.Status.ACCEPTED,
        )
        order = Order.objects.create(
            request=support_request,
            budget=budget,
            provider=activity.provider,
            listing=activity.listing,
            plan_outcome=plan_outcome,
            outcome=plan_outcome.outcome,
            activity=activity,
            service_description=support_request.service_description,
            unit=activity.unit,
            quantity=activity.units_per_place,
            unit_price_pence=activity.unit_price_pence,
            total_pence=price,
            starts_on=activity.starts_on,
            ends_on=activity.ends_on,
            status=Order.Status.RESERVED if held else Order.Status.AWAITING_PAYMENT,
        )
        RequestEvent.objects.create(
            request=support_request,
            kind=RequestEvent.Kind.REQUESTED,
            actor=by,
            note=f"Joined the group activity “{activity.title}”.",
        )
        RequestEvent.objects.create(
            request=support_request,
            kind=RequestEvent.Kind.ACCEPTED,
            note=(
                f"Place held. You pay once {activity.min_places} people have joined."
                if held
                else "Place agreed: it can be paid now."
            ),
        )
        # The holder reads this line on "Who has seen my information": the order's reference.
        audit.record(
            actor=by, action="joined_group", budget=budget, obj=activity, detail=f"order {order.reference}"
        )
        if reaches_minimum:
            _go_ahead(activity)
    return order


def _go_ahead(activity: GroupActivity) -> None:
    """The minimum is reached: the group is on, held shares become payable, people are told.

    Call with the activity locked. Only order rows are locked here (never a budget), and
    their money was committed when the places were held, so what is left does not change.
    """
    activity.status = GroupActivity.Status.GOING_AHEAD
    activity.save(update_fields=["status"])
    held = list(Order.objects.select_for_update().filter(activity=activity, status=Order.Status.RESERVED))
    for share in held:
        share.status = Order.Status.AWAITING_PAYMENT
        share.save(update_fields=["status"])
        RequestEvent.objects.create(
            request_id=share.request_id,
            kind=RequestEvent.Kind.ACCEPTED,
            note=f"The group is going ahead: {activity.min_places} people have joined. You can pay now.",
        )
    _email_on_commit("going_ahead", activity.pk)


def leave_activity(*, order: Order, by, today: date | None = None) -> Order:
    """Give up a place before the last day to join.

    A held or unpaid share is cancelled (nothing charged); a paid one goes through the
    ordinary cancellation and refund (`cancel_order`), so its rules apply.
    """
    today = today or timezone.localdate()
    activity = order.activity
    if activity is None:
        raise InvalidState("This is not a place in a group activity.")
    if not can(by, order.budget, REQUEST):
        raise NotPermitted("You cannot leave this group for this budget.")
    if activity.status == GroupActivity.Status.CALLED_OFF:
        raise InvalidState("This group was called off, so your place has already been given up.")
    if today > activity.join_by:
        raise CancellationNotAllowed(
            f"The last day to leave was {activity.join_by:%-d %B %Y}. Talk to {activity.provider.name}."
        )
    reason = "Left the group."
    if order.status == Order.Status.RESERVED:
        with transaction.atomic():
            Budget.objects.select_for_update().get(pk=order.budget_id)
            GroupActivity.objects.select_for_update().get(pk=activity.pk)
            locked = Order.objects.select_for_update().get(pk=order.pk)
            if locked.status == Order.Status.RESERVED:
                mark_cancelled(locked, by=by, reason=reason, status=Order.Status.CANCELLED)
            order = locked
    elif order.status in TAKEN:
        order = cancel_order(order=order, by=by, reason=reason, today=today)
    else:
        raise InvalidState("You have already left this group.")
    audit.record(actor=by, action="cancelled_order", budget=order.budget, obj=order, detail="left a group")
    with transaction.atomic():
        activity = GroupActivity.objects.select_for_update().get(pk=activity.pk)
        below_minimum = places_taken(activity) < activity.min_places
        if activity.status == GroupActivity.Status.GOING_AHEAD and below_minimum:
            # Below the minimum again: it goes ahead only if it fills again by the last day.
            activity.status = GroupActivity.Status.OPEN
            activity.save(update_fields=["status"])
    return order


# --- Settling -------------------------------------------------------------------------------


@dataclass
class Settlement:
    """What settling one activity did."""

    activity: GroupActivity
    outcome: str  # "not_due", "already_settled", "going_ahead" or "called_off"
    cancelled: int = 0
    refunded: int = 0
    left_for_later: int = 0


def settle_activity(*, activity: GroupActivity, today: date | None = None) -> Settlement:
    """Decide an activity once its last day to join has passed, and move the money once.

    Enough people: it goes ahead (held shares become payable). Too few: it is called off;
    held and unpaid shares are cancelled and paid ones refunded in full. A share the
    payment service cannot refund now is left for the next run (and logged); the activity
    counts as settled only when no share is left to undo. Running it again does nothing.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        activity = GroupActivity.objects.select_for_update().get(pk=activity.pk)
        called_off = activity.status == GroupActivity.Status.CALLED_OFF
        if not called_off:
            if activity.settled_at is not None:
                return Settlement(activity, "already_settled")
            if today <= activity.join_by:
                return Settlement(activity, "not_due")
            if places_taken(activity) >= activity.min_places:
                if activity.status == GroupActivity.Status.OPEN:
                    _go_ahead(activity)
                activity.settled_at = timezone.now()
                activity.save(update_fields=["settled_at"])
                return Settlement(activity, "going_ahead")
            activity.status = GroupActivity.Status.CALLED_OFF
            activity.save(update_fields=["status"])
            # Tell the provider once, when it is called off (holders hear about their own share).
            _email_on_commit("called_off", activity.pk)
    # Called off. Undo each share outside the activity's lock: the refund is a call to the
    # payment service, and recording it locks that holder's budget first, as everywhere.
    result = Settlement(activity, "called_off")
    for share in Order.objects.filter(activity=activity, status__in=TAKEN).select_related("budget"):
        was_paid = share.status == Order.Status.PAID
        reason = "The group was called off: not enough people joined. " + (
            "Your payment is refunded in full." if was_paid else "You have not been charged."
        )
        try:
            share = cancel_and_refund_in_full(order=share, reason=reason)
        except (PaymentServiceUnavailable, PaymentRejected, InvalidState) as exc:
            logger.warning(
                "Could not undo share %s of called-off group activity %s; will try again next run: %s",
                share.public_id,
                activity.public_id,
                exc,
            )
            result.left_for_later += 1
            continue
        if share.status == Order.Status.REFUNDED:
            result.refunded += 1
        elif share.status == Order.Status.CANCELLED:
            result.cancelled += 1
        audit.record(
            actor=None,
            action="cancelled_order",
            budget=share.budget,
            obj=share,
            detail="group called off" + (": refunded" if was_paid else ""),
            role="the site",
        )
    if not result.left_for_later:
        GroupActivity.objects.filter(pk=activity.pk, settled_at__isnull=True).update(
            settled_at=timezone.now()
        )
    return result


def due_activities(*, today: date | None = None) -> QuerySet:
    """Activities settling would act on: past their last day to join and not settled, or
    called off with a share still paid (a refund that failed, or a payment that arrived late)."""
    today = today or timezone.localdate()
    return GroupActivity.objects.filter(
        Q(settled_at__isnull=True, join_by__lt=today)
        | Q(status=GroupActivity.Status.CALLED_OFF, shares__status__in=TAKEN)
    ).distinct()


def settle_due_activities(*, today: date | None = None) -> list[Settlement]:
    """Settle every activity that is due (run daily: `manage.py settle_group_activities`)."""
    today = today or timezone.localdate()
    return [settle_activity(activity=activity, today=today) for activity in due_activities(today=today)]


def summarise(settlements: list[Settlement]) -> dict[str, int]:
    """Counts for a run of `settle_due_activities` (JSON-friendly, for the task and command)."""
    return {
        "going_ahead": sum(s.outcome == "going_ahead" for s in settlements),
        "called_off": sum(s.outcome == "called_off" for s in settlements),
        "cancelled": sum(s.cancelled for s in settlements),
        "refunded": sum(s.refunded for s in settlements),
        "left_for_later": sum(s.left_for_later for s in settlements),
    }


# --- Emails -----------------------------------------------------------------------------------


def _email_on_commit(what: str, activity_pk: int) -> None:
    from ..tasks import send_group_email_task

    transaction.on_commit(lambda: send_group_email_task.enqueue(what, activity_pk))


def send_group_emails(what: str, activity_pk: int) -> int:
    """Email the people a step in a group activity concerns; returns how many were sent.

    "going_ahead": each holder with a share (to pay, if they have not) and the provider;
    "called_off": the provider (each holder is told about their own share when it is
    cancelled). A failed send is logged, never raised.
    """
    activity = GroupActivity.objects.select_related("provider").filter(pk=activity_pk).first()
    if activity is None:
        return 0
    provider = activity.provider
    provider_emails = list(
        dict.fromkeys(e for e in [provider.email, *provider.members.values_list("email", flat=True)] if e)
    )
    group_link = site_url(reverse("marketplace:group_activity", args=[activity.public_id]))
    provider_link = site_url(reverse("marketplace:provider_group_detail", args=[activity.public_id]))
    messages = []
    if what == "going_ahead":
        shares = Order.objects.filter(activity=activity, status__in=TAKEN).select_related(
            "budget__holder", "request__requested_by"
        )
        for share in shares:
            recipients = list(dict.fromkeys([share.budget.holder.email, share.request.requested_by.email]))
            if share.status == Order.Status.PAID:
                body = (
                    f"Good news: “{activity.title}” is going ahead. Your place is paid for.\n\n{group_link}\n"
                )
            else:
                pay_link = site_url(reverse("marketplace:order_detail", args=[share.public_id]))
                body = (
                    f"Good news: “{activity.title}” is going ahead, so you can now pay "
                    f"{pounds(share.total_pence)} for your place.\n\nPay here: {pay_link}\n"
                )
            messages.append((recipients, f"{activity.title} is going ahead", body))
        messages.append(
            (
                provider_emails,
                f"{activity.title} is going ahead",
                f"Enough people have joined “{activity.title}”, so it is going ahead.\n\n{provider_link}\n",
            )
        )
    elif what == "called_off":
        money = (
            "Nobody was charged."
            if activity.if_not_filled == GroupActivity.IfNotFilled.NOBODY_CHARGED
            else "Everyone who paid is refunded in full from your account."
        )
        messages.append(
            (
                provider_emails,
                f"{activity.title} is called off",
                f"Fewer than {activity.min_places} people joined “{activity.title}” by "
                f"{activity.join_by:%-d %B %Y}, so it is called off. {money}\n\n{provider_link}\n",
            )
        )
    sent = 0
    for recipients, subject, body in messages:
        if not recipients:
            continue
        try:
            sent += send(EmailMessage(subject, body, None, recipients))
        except (smtplib.SMTPException, OSError):
            logger.exception("Could not send the %r email for group activity %s", what, activity.public_id)
    return sent

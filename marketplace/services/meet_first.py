"""Meet first, then agree: a short visit, phone or video call before any request for support.

The steps (docs/meet-first.md):
1. `ask`: the person (or a helper who may ask for support, `acting.REQUEST`) asks a provider.
2. `offer_times`: someone in the provider's team offers one to three times (and where, or how
   to join). They may offer again until one is chosen.
3. `choose_time`: the person's side picks one of them.
4. `remind_due` (daily, `manage.py remind_meet_first`): both sides are reminded the day before,
   and asked "do you want to go ahead?" once the time has come.
5. `decide`: afterwards, each side says yes or no, once. A side may write a private reason
   (read only by its own side) and a message to the other side (read by both).
6. The request step (the existing request form, pre-filled for the listing) opens only when
   both said yes (`request_step_open`). Either side may call the meet off while it is open.

Only the holder's side (`acting.budgets_for`) and the listing provider's team see a meet;
everyone else gets "not found". What the person's side did is in the holder's audit log.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cms import mail
from cms.site import site_url

from ..acting import REQUEST, VIEW, budgets_for, can, holder_name, is_provider_member
from ..models import Budget, Delegate, MeetFirst
from .common import InvalidState, MarketplaceError, NotPermitted, audit_holder_side, refuse_self_dealing

logger = logging.getLogger(__name__)

MAX_TIMES = 3
# How far ahead a time may be offered, and how soon before it the reminder goes.
MAX_DAYS_AHEAD = 90
REMIND_BEFORE = timedelta(hours=24)
PERSON, PROVIDER = "person", "provider"


class MeetFirstError(MarketplaceError):
    """What was asked cannot be done; `field` names the form field it is about, if any."""

    def __init__(self, message, *, field: str | None = None):
        super().__init__(message)
        self.field = field


# --- Who may see and do what ---------------------------------------------------------------


def meets_visible_to(user):
    """Meets `user` may see: as the holder or an active helper, or in the provider's team."""
    if not user.is_authenticated:
        return MeetFirst.objects.none()
    return MeetFirst.objects.filter(Q(budget__in=budgets_for(user)) | Q(provider__members=user)).distinct()


def side_of(user, meet: MeetFirst) -> str | None:
    """PROVIDER for the provider's team, PERSON for the holder's side (who may see it), or None."""
    if is_provider_member(user, meet.provider):
        return PROVIDER
    if can(user, meet.budget, VIEW):
        return PERSON
    return None


def may_act_for_person(user, meet: MeetFirst) -> bool:
    """True for the holder, and helpers who may ask for support."""
    return can(user, meet.budget, REQUEST)


def request_step_open(meet: MeetFirst) -> bool:
    """The request step opens only when both sides said yes."""
    return meet.both_agreed


# --- The steps ---------------------------------------------------------------------------------


def ask(*, budget, by, listing, kind: str, message: str = "", plan_outcome=None) -> MeetFirst:
    """Ask the listing's provider for a meet first. One open meet per person and listing."""
    if not can(by, budget, REQUEST):
        raise NotPermitted("Only the person, or someone helping them with their requests, can ask for this.")
    if kind not in MeetFirst.Kind.values:
        raise MeetFirstError("Select how you would like to meet", field="kind")
    if plan_outcome is not None and plan_outcome.plan.budget_id != budget.pk:
        raise MeetFirstError("Select one of the outcomes in the support plan", field="plan_outcome")
    refuse_self_dealing(by=by, budget=budget, provider=listing.provider, step="ask to meet first")
    with transaction.atomic():
        # The budget's row is the lock (as for every marketplace change), so two requests at
        # the same moment cannot both find nothing open and both ask.
        Budget.objects.select_for_update().filter(pk=budget.pk).first()
        waiting = MeetFirst.objects.filter(budget=budget, listing=listing, status__in=MeetFirst.OPEN)
        if waiting.exists():
            raise InvalidState(
                f"You have already asked {listing.provider.name} to meet first. "
                "You can see where it has got to on your list of meetings."
            )
        meet = MeetFirst.objects.create(
            budget=budget,
            requested_by=by,
            listing=listing,
            provider=listing.provider,
            kind=kind,
            plan_outcome=plan_outcome,
            message=message.strip()[:1000],
            price_pence=listing.meet_first_price_pence or 0,
        )
        audit_holder_side(by=by, budget=budget, action="asked_meet_first", obj=meet)
        _email_on_commit(meet, "asked")
    return meet


def _check_times(times: list[datetime], now: datetime) -> list[datetime]:
    times = [t for t in times if t is not None]
    if not times:
        raise MeetFirstError("Offer at least one time", field="time_1")
    if len(times) > MAX_TIMES:
        raise MeetFirstError(f"Offer up to {MAX_TIMES} times", field="time_1")
    for number, when in enumerate(times, start=1):
        if when <= now:
            raise MeetFirstError("Offer a time in the future", field=f"time_{number}")
        if when > now + timedelta(days=MAX_DAYS_AHEAD):
            raise MeetFirstError(f"Offer a time in the next {MAX_DAYS_AHEAD} days", field=f"time_{number}")
    if len(set(times)) != len(times):
        raise MeetFirstError("Offer different times", field="time_2")
    return sorted(times)


def offer_times(*, meet: MeetFirst, by, times: list[datetime], where: str = "") -> MeetFirst:
    """The provider offers one to three start times (again, if none was chosen yet)."""
    if not is_provider_member(by, meet.provider):
        raise NotPermitted("Only the provider's team can offer times.")
    times = _check_times(times, timezone.now())
    with transaction.atomic():
        locked = MeetFirst.objects.select_for_update().get(pk=meet.pk)
        if locked.status not in (MeetFirst.Status.ASKED, MeetFirst.Status.OFFERED):
            raise InvalidState("A time has already been chosen, or this meeting was called off.")
        padded = [*times, None, None][:MAX_TIMES]
        locked.time_1, locked.time_2, locked.time_3 = padded
        locked.where = where.strip()[:300]
        locked.offered_by = by
        locked.status = MeetFirst.Status.OFFERED
        locked.save()
        _email_on_commit(locked, "offered")
    return locked


def choose_time(*, meet: MeetFirst, by, chosen: datetime) -> MeetFirst:
    """The person's side picks one of the offered times."""
    if not may_act_for_person(by, meet):
        raise NotPermitted("Only the person, or someone helping them with their requests, can choose a time.")
    with transaction.atomic():
        locked = MeetFirst.objects.select_for_update().get(pk=meet.pk)
        if locked.status != MeetFirst.Status.OFFERED:
            raise InvalidState("This meeting is not waiting for a time to be chosen.")
        if chosen not in locked.offered_times:
            raise MeetFirstError("Select one of the times offered", field="chosen")
        if chosen <= timezone.now():
            raise MeetFirstError("That time has passed: select a later one", field="chosen")
        locked.chosen_time = chosen
        locked.status = MeetFirst.Status.BOOKED
        locked.save()
        audit_holder_side(by=by, budget=locked.budget, action="chose_meet_first_time", obj=locked)
        _email_on_commit(locked, "booked")
    return locked


def may_decide(user, meet: MeetFirst) -> bool:
    """True when `user` may answer "go ahead?" now: the time has come and their side has not answered."""
    if meet.status != MeetFirst.Status.BOOKED or meet.chosen_time is None:
        return False
    if meet.chosen_time > timezone.now():
        return False
    if is_provider_member(user, meet.provider):
        return not meet.provider_decision
    return may_act_for_person(user, meet) and not meet.person_decision


def decide(*, meet: MeetFirst, by, decision: str, private_reason: str = "", message: str = "") -> MeetFirst:
    """One side says whether it wants to go ahead (once), after the meeting's time.

    `private_reason` is read only by the same side; `message` by both sides.
    """
    if decision not in MeetFirst.Decision.values:
        raise MeetFirstError("Select yes or no", field="decision")
    if is_provider_member(by, meet.provider):
        side = PROVIDER
    elif may_act_for_person(by, meet):
        side = PERSON
    else:
        raise NotPermitted("Only the person, someone helping them with requests, or the provider can answer.")
    with transaction.atomic():
        locked = MeetFirst.objects.select_for_update().get(pk=meet.pk)
        if locked.status != MeetFirst.Status.BOOKED:
            raise InvalidState("This meeting is not waiting for answers.")
        if locked.chosen_time > timezone.now():
            raise InvalidState("You can answer once the meeting has happened.")
        if getattr(locked, f"{side}_decision"):
            raise InvalidState("Your side has already answered.")
        setattr(locked, f"{side}_decision", decision)
        setattr(locked, f"{side}_decided_by", by)
        setattr(locked, f"{side}_decided_at", timezone.now())
        setattr(locked, f"{side}_private_reason", private_reason.strip()[:500])
        setattr(locked, f"{side}_message", message.strip()[:500])
        if locked.person_decision and locked.provider_decision:
            locked.status = MeetFirst.Status.DECIDED
        locked.save()
        if side == PERSON:
            audit_holder_side(
                by=by,
                budget=locked.budget,
                action="answered_meet_first",
                obj=locked,
                detail=f"Answer: {decision}",
            )
        _email_on_commit(locked, f"decided_{side}")
    return locked


def cancel(*, meet: MeetFirst, by) -> MeetFirst:
    """Either side calls the meeting off while it is still open."""
    provider_side = is_provider_member(by, meet.provider)
    if not provider_side and not may_act_for_person(by, meet):
        raise NotPermitted(
            "Only the person, someone helping them with requests, or the provider can call this off."
        )
    with transaction.atomic():
        locked = MeetFirst.objects.select_for_update().get(pk=meet.pk)
        if locked.status not in MeetFirst.OPEN:
            raise InvalidState("This meeting is already over or called off.")
        locked.status = MeetFirst.Status.CANCELLED
        locked.cancelled_by = by
        locked.save()
        audit_holder_side(by=by, budget=locked.budget, action="cancelled_meet_first", obj=locked)
        _email_on_commit(locked, "cancelled_by_provider" if provider_side else "cancelled_by_person")
    return locked


# --- What each side sees ------------------------------------------------------------------------


@dataclass(frozen=True)
class Answers:
    """The answers as `viewer` may see them: their own side's in full, the other side's decision
    and the message written for them, never the other side's private reason."""

    side: str
    own_decision: str
    own_private_reason: str
    own_message: str
    other_decision: str
    message_for_viewer: str


def answers_for(meet: MeetFirst, viewer) -> Answers:
    """What `viewer` may read of both sides' answers (raises NotPermitted for anyone else)."""
    side = side_of(viewer, meet)
    if side is None:
        raise NotPermitted("You cannot see this meeting.")
    other = PERSON if side == PROVIDER else PROVIDER
    return Answers(
        side=side,
        own_decision=getattr(meet, f"{side}_decision"),
        own_private_reason=getattr(meet, f"{side}_private_reason"),
        own_message=getattr(meet, f"{side}_message"),
        other_decision=getattr(meet, f"{other}_decision"),
        message_for_viewer=getattr(meet, f"{other}_message"),
    )


# --- Emails and the daily reminders ----------------------------------------------------------------


def person_emails(meet: MeetFirst) -> list[str]:
    """The holder, whoever asked, and helpers who may ask for support."""
    emails = [meet.budget.holder.email]
    if meet.requested_by_id:
        emails.append(meet.requested_by.email)
    helpers = Delegate.objects.filter(budget=meet.budget, status=Delegate.Status.ACTIVE, can_request=True)
    emails += [d.user.email for d in helpers.select_related("user") if d.user_id]
    return list(dict.fromkeys(e for e in emails if e))


def provider_emails(meet: MeetFirst) -> list[str]:
    """The provider's address and its team's."""
    provider = meet.provider
    emails = [provider.email, *provider.members.values_list("email", flat=True)]
    return list(dict.fromkeys(e for e in emails if e))


def _when(meet: MeetFirst) -> str:
    return f"{timezone.localtime(meet.chosen_time):%A %-d %B at %-I:%M%p}" if meet.chosen_time else ""


# What each step tells whom: step -> [(side, subject, body)]. Bodies name no more than the
# reader already sees on the page, and never a private reason.
STEP_EMAILS = {
    "asked": [
        (
            PROVIDER,
            "Someone would like to meet first",
            "{person} would like to meet before asking for support from “{listing}”. "
            "Offer some times: {provider_link}",
        )
    ],
    "offered": [
        (
            PERSON,
            "Times to meet {provider}",
            "{provider} has offered times to meet. Choose one: {person_link}",
        )
    ],
    "booked": [
        (PROVIDER, "A time to meet is chosen", "{person} chose {when}. See the details: {provider_link}")
    ],
    "decided_person": [
        (
            PROVIDER,
            "An answer after meeting",
            "{person} has said whether they want to go ahead: {provider_link}",
        )
    ],
    "decided_provider": [
        (
            PERSON,
            "An answer after meeting",
            "{provider} has said whether they want to go ahead: {person_link}",
        )
    ],
    "cancelled_by_person": [
        (PROVIDER, "A meeting is called off", "{person} called off meeting first: {provider_link}")
    ],
    "cancelled_by_provider": [
        (PERSON, "A meeting is called off", "{provider} called off meeting first: {person_link}")
    ],
    "reminder": [
        (PERSON, "Reminder: meeting {provider}", "You meet {provider} {when}. {person_link}"),
        (PROVIDER, "Reminder: meeting {person}", "You meet {person} {when}. {provider_link}"),
    ],
    "ask_decision": [
        (
            PERSON,
            "Do you want to go ahead with {provider}?",
            "After meeting, say whether you want to go ahead. Support can be asked for only when "
            "you both say yes. Any reason you give for “no” stays private unless you write a "
            "message for them: {person_link}",
        ),
        (
            PROVIDER,
            "Do you want to go ahead with {person}?",
            "After meeting, say whether you want to go ahead. Any reason you give for “no” stays "
            "private unless you write a message for them: {provider_link}",
        ),
    ],
}


def send_step_emails(step: str, meet_pk: int) -> int:
    """Send the emails for one step; returns how many were sent. A failure is logged, not raised."""
    meet = (
        MeetFirst.objects.select_related("budget__holder", "provider", "listing", "requested_by")
        .filter(pk=meet_pk)
        .first()
    )
    if meet is None:
        return 0
    words = {
        "person": holder_name(meet.budget),
        "provider": meet.provider.name,
        "listing": meet.listing.title,
        "when": _when(meet),
        "person_link": site_url(reverse("marketplace:meet_first_detail", args=[meet.public_id])),
        "provider_link": site_url(reverse("marketplace:provider_meet_first_detail", args=[meet.public_id])),
    }
    sent = 0
    for side, subject, body in STEP_EMAILS[step]:
        to = person_emails(meet) if side == PERSON else provider_emails(meet)
        try:
            mail.send_mail(subject.format(**words), body.format(**words), None, to)
        except OSError:
            logger.warning("Could not send the meet-first %s email for meet %s", step, meet.pk, exc_info=True)
            continue
        sent += 1
    return sent


def _email_on_commit(meet: MeetFirst, step: str) -> None:
    transaction.on_commit(lambda: send_step_emails(step, meet.pk))


def remind_due(*, now: datetime | None = None) -> dict[str, int]:
    """Remind both sides of meetings in the next day, and ask "go ahead?" after meetings.

    Idempotent: each meeting is reminded once and asked once (`reminded_at`,
    `decision_asked_at`), so running this twice a day, or after a missed day, sends each once.
    """
    now = now or timezone.now()
    booked = MeetFirst.objects.filter(status=MeetFirst.Status.BOOKED)
    counts = {"reminded": 0, "asked": 0}
    for meet in booked.filter(
        reminded_at__isnull=True, chosen_time__gt=now, chosen_time__lte=now + REMIND_BEFORE
    ):
        # Claimed first, so two runs at the same moment cannot both send it.
        if MeetFirst.objects.filter(pk=meet.pk, reminded_at__isnull=True).update(reminded_at=now):
            send_step_emails("reminder", meet.pk)
            counts["reminded"] += 1
    for meet in booked.filter(decision_asked_at__isnull=True, chosen_time__lte=now):
        if MeetFirst.objects.filter(pk=meet.pk, decision_asked_at__isnull=True).update(decision_asked_at=now):
            send_step_emails("ask_decision", meet.pk)
            counts["asked"] += 1
    return counts

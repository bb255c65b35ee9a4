"""Group proposals: a need several people share, started from the demand side.

A holder (or a professional for several people, with their consent) proposes a group
("swimming on Tuesday mornings near BL3, 4-8 people") against an outcome. It is a `Need`
with a smallest and largest group size, so it is published, matched, sent in the digest,
moderated and expires exactly like any need. Others join it (`GroupMember`); providers whose
listings could meet it offer a price per place (an ordinary `Offer`). Once enough people have
joined, the proposer chooses an offer; the provider is emailed a link to the marketplace's
"offer a group activity" page, pre-filled by address (listing, name, times, price, places,
smallest group). When they save it, the marketplace announces the new activity through
`cms.signals.group_activity_created` with the proposal's id; `activity_created` here records
it and emails everyone who joined to take their place, each paying their own share from their
own budget against their own plan outcome — the pooled-purchase rules (smallest group, last
day to join, nobody charged if it does not fill) are the marketplace's own.

signposting never imports marketplace: the hand-over is an address one way and a signal back.
"""

import logging
import smtplib
import uuid

from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils import timezone

from cms import mail
from cms.signals import group_activity_created

from ..models import GroupMember, Need, Offer
from ..services import NotAllowed, SignpostingError
from . import services

logger = logging.getLogger(__name__)

MAX_GROUP = 30
MAX_PLACES_FOR_OTHERS = 10


class GroupFull(SignpostingError):
    """Every place the proposal asked for is taken."""


class AlreadyJoined(SignpostingError):
    """This account has joined the proposal already."""


class ConsentNeeded(SignpostingError):
    """Joining for several people needs their consent."""


def _check_places(places: int, consent: bool) -> None:
    if not 1 <= places <= MAX_PLACES_FOR_OTHERS:
        raise SignpostingError(f"Join for between 1 and {MAX_PLACES_FOR_OTHERS} people.")
    if places > 1 and not consent:
        raise ConsentNeeded("Tick to say each person agreed to join before you join for more than one.")


def propose_group(
    *, by, min_people: int, max_people: int, places: int = 1, consent: bool = False, **need_fields
) -> Need:
    """Publish a group proposal (a need with a group size) and join it for the proposer.

    `need_fields` are `services.post_need`'s (outcomes, own words, district, times…); a
    proposal is always "could be shared". `places` > 1 is a professional proposing for
    several people, which needs `consent`.
    """
    if not 2 <= min_people <= max_people <= MAX_GROUP:
        raise SignpostingError(
            f"The group must be between 2 and {MAX_GROUP} people, the smallest no more than the largest."
        )
    _check_places(places, consent)
    if places > max_people:
        raise GroupFull(f"You cannot take more places than the largest group ({max_people}).")
    with transaction.atomic():
        need = services.post_need(by=by, could_share=True, **need_fields)
        Need.objects.filter(pk=need.pk).update(min_people=min_people, max_people=max_people)
        need.min_people, need.max_people = min_people, max_people
        GroupMember.objects.create(need=need, user=by, places=places, joined_at=need.created_at)
    return need


people_joined = services.people_joined
NotEnoughPeople = services.NotEnoughPeople


def membership(need: Need, user) -> GroupMember | None:
    """The user's place in the proposal, if they joined."""
    if not user.is_authenticated or not need.is_group:
        return None
    return need.members.filter(user=user).first()


def join_group(*, need: Need, by, places: int = 1, consent: bool = False, now=None) -> GroupMember:
    """Join an open group proposal for oneself (or, with consent, for several people)."""
    if not by.is_authenticated:
        raise NotAllowed("Sign in to join a group.")
    _check_places(places, consent)
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if not locked.is_group or not locked.is_open(now):
            raise services.NeedClosed("This group is no longer taking people.")
        if locked.members.filter(user=by).exists():
            raise AlreadyJoined("You have joined this group already.")
        if people_joined(locked) + places > locked.max_people:
            raise GroupFull("There are not enough places left in this group.")
        try:
            return GroupMember.objects.create(
                need=locked, user=by, places=places, joined_at=now or timezone.now()
            )
        except IntegrityError as exc:  # pragma: no cover - the lock above makes this a race guard
            raise AlreadyJoined("You have joined this group already.") from exc


def leave_group(*, need: Need, by) -> None:
    """Leave a proposal before an offer is chosen. The proposer withdraws it instead."""
    if need.posted_by_id == by.pk:
        raise NotAllowed("You proposed this group: take it down instead.")
    if need.accepted_at:
        raise services.NeedClosed("An offer is chosen: leave the group activity itself instead.")
    deleted, _ = need.members.filter(user=by).delete()
    if not deleted:
        raise NotAllowed("You have not joined this group.")


# --- The marketplace's answer ------------------------------------------------------------------


@receiver(group_activity_created, dispatch_uid="signposting.needs.group_activity_created")
def activity_created(sender, *, proposal, listing_id, activity_id, url, join_by, **kwargs):
    """Record the activity a provider set up from a proposal and tell everyone who joined.

    Only the provider whose offer was chosen can hand a proposal over: an activity on any
    other listing, or for a proposal already handed over, is ignored.
    """
    try:
        proposal_id = uuid.UUID(str(proposal))
    except ValueError:
        return None
    chosen = (
        Offer.objects.filter(
            need__public_id=proposal_id,
            need__min_people__isnull=False,
            need__activity_ref__isnull=True,
            listing__public_id=listing_id,
            status=Offer.Status.ACCEPTED,
        )
        .select_related("need", "listing")
        .first()
    )
    if chosen is None:
        return None
    need = chosen.need
    updated = Need.objects.filter(pk=need.pk, activity_ref__isnull=True).update(
        activity_ref=activity_id, activity_url=url, activity_join_by=join_by
    )
    if updated:
        transaction.on_commit(lambda: _tell_members(need.pk))
    return need.public_id


def _tell_members(need_pk: int) -> int:
    need = Need.objects.get(pk=need_pk)
    recipients = list(dict.fromkeys(e for e in need.members.values_list("user__email", flat=True) if e))
    if not recipients:
        return 0
    body = (
        "Good news: a provider is running the group you joined on Local Support Marketplace.\n\n"
        f"{need.own_words}\n\n"
        f"Take your place by {need.activity_join_by:%-d %B %Y}, choosing which outcome in your "
        "support plan it meets. Each person pays their own share from their own budget, and "
        "nobody pays for a group that does not fill.\n\n"
        f"Join here: {need.activity_url}\n"
    )
    # One email to each person: nobody learns who else joined.
    sent = 0
    for address in recipients:
        try:
            email = EmailMessage("Your group is going to run: take your place", body, None, [address])
            sent += mail.send(email)
        except (smtplib.SMTPException, OSError):
            logger.warning("Could not tell a member of group proposal %s", need.public_id, exc_info=True)
    return sent

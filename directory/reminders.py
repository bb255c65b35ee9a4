"""Reminder emails that keep listings true: evidence about to expire, and the yearly
"is your listing still right?" request with its one-click confirm link.

`send_reminders` (the management command, run daily by cron) and the tasks in
`directory/tasks.py` call these. Each email is recorded in `ReminderSent` before it goes,
inside the same transaction, and a unique constraint on that record means a reminder
goes once, however often the job runs, even two runs at once. If sending fails the record
is rolled back, so tomorrow's run tries again.
"""

import logging
import smtplib
from collections import defaultdict
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cms.mail import send_mail
from cms.site import site_url

from .models import CONFIRMATION_INTERVAL, Check, ListingPage, Provider, ReminderSent

logger = logging.getLogger(__name__)

# Evidence reminders: how many days before expiry each one goes.
FIRST_REMINDER_DAYS = 30
LAST_REMINDER_DAYS = 7
# An "it has expired" email goes only for evidence that expired this recently, so the first
# run on an old database does not email about certificates that ran out years ago.
EXPIRED_NOTICE_DAYS = 30

CONFIRM_LINK_MAX_AGE = timedelta(days=30)
CONFIRM_SALT = "directory.reminders.confirm-listing"


class BadConfirmationLink(Exception):
    """A confirm link that is expired, altered or for a listing that has gone; `str()` says which."""


def recipients_for(provider: Provider) -> list[str]:
    """Everyone who should hear about a provider: its team and its own email address."""
    emails = [provider.email, *provider.members.filter(is_active=True).values_list("email", flat=True)]
    seen, unique = set(), []
    for email in emails:
        if email and email.lower() not in seen:
            seen.add(email.lower())
            unique.append(email)
    return unique


# --- Evidence about to expire -----------------------------------------------------------


def reminder_kind_for(days_left: int) -> str | None:
    """Which reminder a check with this many days left is due, if any."""
    if -EXPIRED_NOTICE_DAYS <= days_left < 0:
        return ReminderSent.Kind.CHECK_EXPIRED
    if 0 <= days_left <= LAST_REMINDER_DAYS:
        return ReminderSent.Kind.CHECK_7_DAYS
    if LAST_REMINDER_DAYS < days_left <= FIRST_REMINDER_DAYS:
        return ReminderSent.Kind.CHECK_30_DAYS
    return None


def _checks_needing_reminders(today):
    """Checks expiring soon or just expired, leaving out ones a newer check has replaced."""
    newer = Check.objects.filter(provider=OuterRef("provider"), kind=OuterRef("kind")).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gt=OuterRef("expires_on")),
        issued_on__gte=OuterRef("issued_on"),
    )
    already_sent = ReminderSent.objects.filter(check_item=OuterRef("pk"), due_on=OuterRef("expires_on"))
    return (
        Check.objects.filter(
            expires_on__gte=today - timedelta(days=EXPIRED_NOTICE_DAYS),
            expires_on__lte=today + timedelta(days=FIRST_REMINDER_DAYS),
        )
        .exclude(Exists(newer.exclude(pk=OuterRef("pk"))))
        .annotate(sent_30=Exists(already_sent.filter(kind=ReminderSent.Kind.CHECK_30_DAYS)))
        .annotate(sent_7=Exists(already_sent.filter(kind=ReminderSent.Kind.CHECK_7_DAYS)))
        .annotate(sent_expired=Exists(already_sent.filter(kind=ReminderSent.Kind.CHECK_EXPIRED)))
        .select_related("provider")
        .order_by("provider_id", "expires_on")
    )


def send_evidence_reminders(*, today=None) -> int:
    """Email each provider about their evidence that expires in 30 days, in 7 days, or has expired.

    Each reminder goes once per check; a provider with several due gets one email listing
    them all. Returns how many emails went.
    """
    today = today or timezone.localdate()
    due = defaultdict(list)
    for check in _checks_needing_reminders(today):
        kind = reminder_kind_for(check.days_left(today))
        already = {
            ReminderSent.Kind.CHECK_30_DAYS: check.sent_30,
            ReminderSent.Kind.CHECK_7_DAYS: check.sent_7,
            ReminderSent.Kind.CHECK_EXPIRED: check.sent_expired,
        }
        if kind and not already[kind]:
            due[check.provider].append((check, kind))

    sent = 0
    for provider, items in due.items():
        recipients = recipients_for(provider)
        if not recipients:
            continue
        context = {
            "provider": provider,
            "items": [
                {"check": check, "kind": kind, "days_left": check.days_left(today)} for check, kind in items
            ],
            "checks_url": site_url(reverse("my:checks", args=[provider.public_id])),
        }
        expired = any(kind == ReminderSent.Kind.CHECK_EXPIRED for _, kind in items)
        subject = "Your evidence has expired" if expired else "Your evidence expires soon"
        records = [
            ReminderSent(check_item=check, kind=kind, due_on=check.expires_on, sent_on=today)
            for check, kind in items
        ]
        if _record_and_send(
            records, subject, render_to_string("directory/emails/evidence_reminder.txt", context), recipients
        ):
            sent += 1
    return sent


# --- The yearly "is it still right?" request ---------------------------------------------


def _confirmed_mark(listing: ListingPage) -> str:
    """When the listing was last confirmed, to the microsecond (a link names the one it was sent after)."""
    return str(int(listing.last_confirmed_at.timestamp() * 1_000_000)) if listing.last_confirmed_at else "0"


def make_confirmation_token(listing: ListingPage) -> str:
    """A signed, timestamped token naming one listing and its last confirmation (see `listing_for_token`)."""
    value = f"{listing.public_id}.{_confirmed_mark(listing)}"
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(value)


def confirmation_url(listing: ListingPage) -> str:
    """The one-click link in the email: it works without signing in, for 30 days."""
    return site_url(reverse("my:confirm_by_link", args=[make_confirmation_token(listing)]))


def listing_for_token(token: str) -> ListingPage:
    """The listing a confirm link is for. Raises BadConfirmationLink with a message for the person."""
    signer = signing.TimestampSigner(salt=CONFIRM_SALT)
    try:
        public_id = signer.unsign(token, max_age=CONFIRM_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise BadConfirmationLink(
            "This link has expired. Links in our emails work for 30 days. Sign in to check and "
            "confirm your listing instead."
        ) from None
    except signing.BadSignature:
        raise BadConfirmationLink(
            "This link is not right. It may have been cut short: try copying the whole link from "
            "the email, or sign in to confirm your listing instead."
        ) from None
    public_id, _, mark = public_id.partition(".")
    listing = ListingPage.objects.filter(public_id=public_id).first()
    if listing is None:
        raise BadConfirmationLink("We cannot find this listing any more. It may have been removed.")
    # A link works once: confirming (by this link or signed in) after it was sent uses it up. The
    # token carries the confirmation it was sent after; links from before that carry only the
    # send time, in whole seconds.
    if mark:
        used = mark != _confirmed_mark(listing)
    else:
        used = listing.last_confirmed_at.timestamp() >= signing.b62_decode(token.rsplit(signer.sep, 2)[1])
    if used:
        confirmed_on = timezone.localdate(listing.last_confirmed_at)
        raise BadConfirmationLink(
            f"This link has already been used: {listing.title} was confirmed on "
            f"{confirmed_on:%-d %B %Y}. We will ask you again in 12 months."
        )
    return listing



def send_confirmation_requests(*, today=None) -> int:
    """Ask providers to confirm each live listing not confirmed for 12 months, once a cycle.

    The cycle is the date the listing was last confirmed: confirming starts a new one, so
    a year later another request goes. Returns how many emails went.
    """
    today = today or timezone.localdate()
    cutoff = today - timedelta(days=CONFIRMATION_INTERVAL.days)
    sent = 0
    listings = (
        ListingPage.objects.live()
        .filter(last_confirmed_at__date__lte=cutoff)
        .select_related("provider")
        .order_by("pk")
    )
    for listing in listings:
        confirmed_on = timezone.localdate(listing.last_confirmed_at)
        if ReminderSent.objects.filter(
            listing=listing, kind=ReminderSent.Kind.CONFIRM_LISTING, due_on=confirmed_on
        ).exists():
            continue
        recipients = recipients_for(listing.provider)
        if not recipients:
            continue
        context = {
            "listing": listing,
            "confirmed_on": confirmed_on,
            "confirm_url": confirmation_url(listing),
            "edit_url": site_url(reverse("my:listing", args=[listing.public_id])),
            "listing_url": site_url(listing.url or "/"),
            "link_days": CONFIRM_LINK_MAX_AGE.days,
        }
        record = ReminderSent(
            listing=listing, kind=ReminderSent.Kind.CONFIRM_LISTING, due_on=confirmed_on, sent_on=today
        )
        if _record_and_send(
            [record],
            f"Is your listing still right? {listing.title}",
            render_to_string("directory/emails/confirm_listing.txt", context),
            recipients,
        ):
            sent += 1
    return sent


def _record_and_send(records, subject, body, recipients) -> bool:
    """Save the reminder records and send the email together; False if either failed."""
    try:
        with transaction.atomic():
            for record in records:
                record.save()
            send_mail(subject, body, None, recipients)
    except IntegrityError:
        # Another run recorded (and so sent) it first.
        return False
    except (smtplib.SMTPException, OSError):
        logger.warning("Could not send reminder %r to %s; will try again", subject, recipients, exc_info=True)
        return False
    return True


def send_all_reminders(*, today=None) -> dict[str, int]:
    """Everything the daily job does, with how many emails of each kind went."""
    return {
        "evidence": send_evidence_reminders(today=today),
        "confirmation": send_confirmation_requests(today=today),
    }

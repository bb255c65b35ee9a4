"""Signposting services: professionals' shortlists and their handover, enquiries to providers,
saved searches with alert emails, and professional verification.

Every service is keyword-only and checks who is asking; its exceptions sit beside it. Views
make one call here and render. What is recorded is described in docs/signposting.md.
"""

import hashlib
import logging
import smtplib
import statistics
import uuid
from dataclasses import dataclass, replace
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from cms import mail
from cms.models import Role
from cms.roles import is_coordinator
from cms.site import site_url
from directory.models import Category, ListingPage, Outcome
from directory.services import PlaceNotFound, locate
from search.backends import get_search_backend
from search.query import Location, QueryError, SearchQuery, parse_query

from .models import (
    SHORTLIST_LINK_SEP,
    SHORTLIST_TOKEN_MAX_LENGTH,
    UNSUBSCRIBE_SALT,
    AlertSent,
    Enquiry,
    ProfessionalVerification,
    SavedSearch,
    Shortlist,
    ShortlistComment,
    ShortlistItem,
    ShortlistMember,
    legacy_token_hash,
    new_token,
    shortlist_link_signer,
)

logger = logging.getLogger(__name__)

# Said on every handover (web page, print, email): signposting is not endorsement.
HANDOVER_STATEMENT = (
    "These are local options to think about, not recommendations. We do not endorse any of "
    "these providers. You choose who, if anyone, to contact."
)
DEFAULT_PROFESSIONAL_EMAIL_DOMAINS = ["nhs.net"]
# Response rate and reply time appear on a listing only once it has this many enquiries, so a
# single slow reply does not define a new provider.
RESPONSE_STATS_MIN_ENQUIRIES = 5
RESPONSE_STATS_PERIOD = timedelta(days=365)
MAX_SAVED_SEARCHES = 25
# How many of a saved search's best matches an alert considers (new ones among them are sent).
ALERT_CANDIDATES = 200
MAX_ALERT_LISTINGS = 20
MAX_HANDOVER_RECIPIENTS = 3


# --- Exceptions ---------------------------------------------------------------------------


class SignpostingError(Exception):
    """Something the person can put right; `str()` says what, in plain English."""


class NotAProfessional(PermissionDenied):
    """Only verified professionals make shortlists."""


class NotAllowed(PermissionDenied):
    """The person may not do this to this object (not its owner, not on the provider's team)."""


class CannotVerify(SignpostingError):
    """The account cannot be verified this way (email not confirmed, or domain not allowed)."""


class ListingNotAvailable(SignpostingError):
    """The listing is not live, so it cannot be added or contacted."""


class AlreadyOnShortlist(SignpostingError):
    """The listing is on the shortlist already; `item` is the existing entry."""

    def __init__(self, message, item):
        super().__init__(message)
        self.item = item


class ShortlistNotFound(LookupError):
    """No shortlist has this link."""


class ShortlistLinkGone(SignpostingError):
    """The link was switched off or has passed its end date; `reason` is "revoked" or "expired"."""

    def __init__(self, message, reason):
        super().__init__(message)
        self.reason = reason


class CommentsClosed(SignpostingError):
    """The shortlist's owner has not opened it to comments."""


class CommentRateLimited(SignpostingError):
    """One address has added too many comments to shared shortlists in the last hour."""


class EnquiryRateLimited(SignpostingError):
    """Too many enquiries from one address this hour."""


class TooManySavedSearches(SignpostingError):
    """The person already has the most saved searches we keep."""


# --- Who is who ---------------------------------------------------------------------------


def is_verified_professional(user) -> bool:
    """True for an active account with a verified professional record."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    # Asked once per request per user object: result lists ask for every hit.
    cached = getattr(user, "_signposting_professional", None)
    if cached is None:
        cached = ProfessionalVerification.objects.filter(user=user, verified_at__isnull=False).exists()
        user._signposting_professional = cached
    return cached


def professional_email_domains() -> list[str]:
    """The allow-listed work email domains (settings.PROFESSIONAL_EMAIL_DOMAINS)."""
    domains = getattr(settings, "PROFESSIONAL_EMAIL_DOMAINS", DEFAULT_PROFESSIONAL_EMAIL_DOMAINS)
    return [d.strip().lower().lstrip("@.") for d in domains if d and d.strip()]


def email_domain_allowed(email: str) -> bool:
    """True when the address is at an allow-listed domain or one of its subdomains."""
    domain = (email or "").rsplit("@", 1)[-1].strip().lower() if "@" in (email or "") else ""
    if not domain:
        return False
    return any(
        domain == allowed or domain.endswith("." + allowed) for allowed in professional_email_domains()
    )


def _email_confirmed(user) -> bool:
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def can_verify_by_email(user) -> bool:
    """True when the person's confirmed email address is at an allow-listed domain."""
    return email_domain_allowed(user.email) and _email_confirmed(user)


def request_professional_verification(*, user, organisation: str, job_title: str) -> ProfessionalVerification:
    """Ask a coordinator to verify this account as a professional's (or update the request)."""
    record, _ = ProfessionalVerification.objects.get_or_create(user=user)
    if record.is_verified:
        return record
    record.organisation = organisation.strip()
    record.job_title = job_title.strip()
    record.requested_at = timezone.now()
    record.save(update_fields=["organisation", "job_title", "requested_at"])
    return record


def verify_professional(*, user, method: str, by=None) -> ProfessionalVerification:
    """Mark an account as a verified professional and put it in the Professionals group.

    `method` "email-domain": the person's confirmed email must be at an allowed domain (raises
    CannotVerify). "coordinator": `by` must be a coordinator (raises NotAllowed).
    """
    Method = ProfessionalVerification.Method
    if method == Method.EMAIL_DOMAIN:
        if not email_domain_allowed(user.email):
            raise CannotVerify("Your email address is not at a work domain we can check automatically.")
        if not _email_confirmed(user):
            raise CannotVerify("Confirm your email address first, using the link we emailed you.")
        by = None
    elif method == Method.COORDINATOR:
        if not is_coordinator(by):
            raise NotAllowed("Only a coordinator can verify a professional.")
    else:
        raise ValueError(f"Unknown verification method {method!r}")
    with transaction.atomic():
        record, _ = ProfessionalVerification.objects.get_or_create(user=user)
        if not record.is_verified:
            record.verified_at = timezone.now()
            record.verified_by = by
            record.method = method
            record.save(update_fields=["verified_at", "verified_by", "method"])
        user.groups.add(Group.objects.get_or_create(name=Role.PROFESSIONAL.value)[0])
    user.__dict__.pop("_signposting_professional", None)
    return record


def notify_verified(*, user) -> None:
    """Tell someone a coordinator has verified them as a professional."""
    body = render_to_string(
        "signposting/emails/professional_verified.txt",
        {"user": user, "shortlists_url": site_url(reverse("signposting:shortlists"))},
    )
    # A courtesy note: the verification stands even if the mail server is down.
    mail.send(
        EmailMultiAlternatives("You can now make shortlists", body, to=[user.email]), fail_silently=True
    )


def remove_professional(*, user, by) -> None:
    """Withdraw a verification or decline a request (coordinators only)."""
    if not is_coordinator(by):
        raise NotAllowed("Only a coordinator can do this.")
    with transaction.atomic():
        ProfessionalVerification.objects.filter(user=user).delete()
        user.groups.remove(*Group.objects.filter(name=Role.PROFESSIONAL.value))


# --- Shortlists ---------------------------------------------------------------------------


def _require_owner(shortlist: Shortlist, user) -> None:
    if not getattr(user, "is_authenticated", False) or shortlist.owner_id != user.pk:
        raise NotAllowed("This is not your shortlist.")


def _require_professional(user) -> None:
    if not is_verified_professional(user):
        raise NotAProfessional("Only verified professionals can make and change shortlists.")


def create_shortlist(
    *, owner, title: str, person_label: str = "", expires_at=None, comments_open: bool = False
) -> Shortlist:
    """Start a named shortlist for one person. Raises NotAProfessional."""
    _require_professional(owner)
    return Shortlist.objects.create(
        owner=owner,
        title=title.strip(),
        person_label=person_label.strip(),
        expires_at=expires_at,
        comments_open=comments_open,
    )


def update_shortlist(
    *, shortlist: Shortlist, by, title: str, person_label: str, expires_at, comments_open: bool
) -> Shortlist:
    """Change the title, who it is for, the link's end date and whether comments are open."""
    _require_owner(shortlist, by)
    shortlist.title = title.strip()
    shortlist.person_label = person_label.strip()
    shortlist.expires_at = expires_at
    shortlist.comments_open = comments_open
    shortlist.save(update_fields=["title", "person_label", "expires_at", "comments_open", "updated_at"])
    return shortlist


def add_to_shortlist(
    *, shortlist: Shortlist, listing: ListingPage, by, note: str = "", note_shared: bool = False
) -> ShortlistItem:
    """Put a live listing on the owner's shortlist with an optional note.

    Raises NotAllowed, NotAProfessional, ListingNotAvailable or AlreadyOnShortlist.
    """
    _require_owner(shortlist, by)
    _require_professional(by)
    if not ListingPage.objects.live().public().filter(pk=listing.pk).exists():
        raise ListingNotAvailable("That service is not listed at the moment.")
    existing = shortlist.items.filter(listing=listing).first()
    if existing:
        raise AlreadyOnShortlist(f"{listing.title} is already on {shortlist.title}.", existing)
    try:
        with transaction.atomic():
            item = ShortlistItem.objects.create(
                shortlist=shortlist, listing=listing, note=note.strip(), note_shared=note_shared
            )
    except IntegrityError:
        # Added by a second click that arrived at the same moment.
        existing = shortlist.items.get(listing=listing)
        raise AlreadyOnShortlist(f"{listing.title} is already on {shortlist.title}.", existing) from None
    Shortlist.objects.filter(pk=shortlist.pk).update(updated_at=timezone.now())
    return item


def update_item(*, item: ShortlistItem, by, note: str, note_shared: bool) -> ShortlistItem:
    """Change an item's note and whether the person sees it."""
    _require_owner(item.shortlist, by)
    item.note = note.strip()
    item.note_shared = note_shared
    item.save(update_fields=["note", "note_shared"])
    return item


def remove_item(*, item: ShortlistItem, by) -> None:
    """Take a listing off the shortlist."""
    _require_owner(item.shortlist, by)
    item.delete()


def revoke_link(*, shortlist: Shortlist, by) -> Shortlist:
    """Switch the shared link off: anyone opening it is told it no longer works."""
    _require_owner(shortlist, by)
    if shortlist.revoked_at is None:
        shortlist.revoked_at = timezone.now()
        shortlist.save(update_fields=["revoked_at", "updated_at"])
    return shortlist


def renew_link(*, shortlist: Shortlist, by) -> Shortlist:
    """Give the shortlist a new link (the old one stops working) and switch it on."""
    _require_owner(shortlist, by)
    shortlist.link_key = new_token()
    shortlist.legacy_token_hash = ""
    shortlist.revoked_at = None
    shortlist.save(update_fields=["link_key", "legacy_token_hash", "revoked_at", "updated_at"])
    return shortlist


def open_shortlist(*, token: str, viewer=None, count_open: bool = True) -> Shortlist:
    """The shortlist behind a shared link.

    Raises ShortlistNotFound for a link that never existed, ShortlistLinkGone for one that was
    revoked or has expired. Counts the opening (a number only) unless the owner opens it.
    """
    token = (token or "").strip()
    # PostgreSQL cannot compare a NUL.
    if not token or len(token) > SHORTLIST_TOKEN_MAX_LENGTH or "\x00" in token:
        raise ShortlistNotFound(token)
    shortlists = Shortlist.objects.select_related("owner")
    if SHORTLIST_LINK_SEP in token:
        # The signature is checked (in constant time) before the database is asked anything.
        try:
            key = shortlist_link_signer().unsign(token)
        except signing.BadSignature:
            raise ShortlistNotFound(token) from None
        shortlist = shortlists.filter(link_key=key).first()
    else:
        shortlist = shortlists.filter(legacy_token_hash=legacy_token_hash(token)).first()
    if shortlist is None:
        raise ShortlistNotFound(token)
    if shortlist.is_revoked:
        raise ShortlistLinkGone("The person who made this shortlist has switched this link off.", "revoked")
    if shortlist.is_expired():
        raise ShortlistLinkGone("This shortlist link has passed its end date.", "expired")
    if count_open:
        record_open(shortlist=shortlist, viewer=viewer)
    return shortlist


def record_open(*, shortlist: Shortlist, viewer=None) -> None:
    """Count one opening of the shared link (a number only; the owner's own visits are not counted)."""
    if getattr(viewer, "is_authenticated", False) and viewer.pk == shortlist.owner_id:
        return
    Shortlist.objects.filter(pk=shortlist.pk).update(opened_count=F("opened_count") + 1)


def items_for(shortlist: Shortlist):
    """The shortlist's items with their listings (and the prices shown), in the order they were added."""
    return (
        shortlist.items.select_related("listing", "listing__provider")
        .prefetch_related("listing__prices")
        .order_by("added_at", "pk")
    )


def is_listing_live(listing: ListingPage) -> bool:
    """True while a listing is published and public."""
    return listing.live and not listing.get_view_restrictions().exists()


def add_comment(
    *, shortlist: Shortlist, text: str, author=None, author_name: str = "", client_ip: str = ""
) -> ShortlistComment:
    """Add a comment to a shared shortlist (its owner may always comment).

    Anyone else is limited to settings.COMMENT_RATE_LIMIT_PER_HOUR comments an hour from one
    address, as enquiries are. Raises ShortlistLinkGone, CommentsClosed or CommentRateLimited.
    """
    is_owner = getattr(author, "is_authenticated", False) and author.pk == shortlist.owner_id
    if not shortlist.link_works() and not is_owner:
        raise ShortlistLinkGone("This shortlist link no longer works.", "revoked")
    if not shortlist.comments_open and not is_owner:
        raise CommentsClosed("Comments are not open on this shortlist.")
    limit = int(getattr(settings, "COMMENT_RATE_LIMIT_PER_HOUR", 10))
    if not is_owner and _over_hourly_limit("comments", client_ip, limit):
        raise CommentRateLimited(
            "You have added a lot of comments in the last hour. Wait an hour, then try again."
        )
    if getattr(author, "is_authenticated", False):
        author_name = author_name.strip() or author.get_full_name() or "Someone with an account"
    else:
        author = None
    return ShortlistComment.objects.create(
        shortlist=shortlist, author=author, author_name=author_name.strip()[:60], text=text.strip()
    )


def save_to_account(*, shortlist: Shortlist, user) -> ShortlistMember | None:
    """Keep a shortlist in the person's own account (nothing to do for its owner)."""
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed("Sign in to save this shortlist.")
    if user.pk == shortlist.owner_id:
        return None
    member, _ = ShortlistMember.objects.get_or_create(shortlist=shortlist, user=user)
    return member


def contact_counts(*, shortlist: Shortlist) -> dict[int, int]:
    """How many enquiries were sent from this shortlist, per listing id: numbers only."""
    rows = (
        Enquiry.objects.filter(shortlist=shortlist)
        .values("listing_id")
        .annotate(n=Count("pk"))
        .order_by("listing_id")
    )
    return {row["listing_id"]: row["n"] for row in rows}


def shortlist_link(shortlist: Shortlist) -> str:
    """The shared link's full address, on SITE_URL (it is emailed, printed and put in a QR code)."""
    return site_url(reverse("signposting:shortlist_public", args=[shortlist.token]))


def email_shortlist(*, shortlist: Shortlist, by, to: list[str], message: str = "", link: str) -> int:
    """Email the shortlist (shared notes only) to up to three addresses; returns how many went.

    The addresses are not stored. Raises NotAllowed, or ShortlistLinkGone when the link is off.
    """
    _require_owner(shortlist, by)
    if not shortlist.link_works():
        raise ShortlistLinkGone("Switch the link back on before you send it.", "revoked")
    recipients = list(dict.fromkeys(address.strip() for address in to if address.strip()))
    recipients = recipients[:MAX_HANDOVER_RECIPIENTS]
    context = {
        "shortlist": shortlist,
        "items": [item for item in items_for(shortlist) if is_listing_live(item.listing)],
        "link": link,
        "message": message.strip(),
        "statement": HANDOVER_STATEMENT,
        "sender": by,
    }
    subject = f"{shortlist.title}: local support options"
    body = render_to_string("signposting/emails/shortlist_handover.txt", context)
    email = EmailMultiAlternatives(subject, body, to=recipients, reply_to=[by.email])
    return mail.send(email)


# --- Enquiries ----------------------------------------------------------------------------


def _rate_limit_key(scope: str, client_ip: str, now) -> str:
    # The address is hashed so the cache never holds it; the window is the current hour.
    digest = hashlib.sha256(client_ip.encode()).hexdigest()[:32]
    return f"signposting:{scope}:{digest}:{int(now.timestamp() // 3600)}"


def _over_hourly_limit(scope: str, client_ip: str, limit: int) -> bool:
    """Count one more for this address in this hour; True once it is past `limit` (0: no limit)."""
    if limit <= 0 or not client_ip:
        return False
    key = _rate_limit_key(scope, client_ip, timezone.now())
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        # Evicted between add and incr: start the window again.
        cache.set(key, 1, timeout=3600)
        count = 1
    return count > limit


def _check_enquiry_rate(client_ip: str) -> None:
    if _over_hourly_limit("enquiries", client_ip, int(getattr(settings, "ENQUIRY_RATE_LIMIT_PER_HOUR", 10))):
        raise EnquiryRateLimited(
            "You have sent a lot of messages in the last hour. Wait an hour, then try again, "
            "or phone the provider."
        )


def shortlist_for_enquiry(*, token: str, listing: ListingPage) -> Shortlist | None:
    """The working shortlist behind `token` if the listing is on it, else None."""
    if not token:
        return None
    try:
        shortlist = open_shortlist(token=token, count_open=False)
    except (ShortlistNotFound, ShortlistLinkGone):
        return None
    return shortlist if shortlist.items.filter(listing=listing).exists() else None


def send_enquiry(
    *,
    listing: ListingPage,
    name: str,
    reply_to: str,
    message: str,
    shortlist_token: str = "",
    client_ip: str = "",
) -> Enquiry:
    """Record a message to a provider and email it to them once the transaction commits.

    Raises ListingNotAvailable, or EnquiryRateLimited past settings.ENQUIRY_RATE_LIMIT_PER_HOUR
    enquiries from one address in an hour.
    """
    if not is_listing_live(listing):
        raise ListingNotAvailable("This service is not listed at the moment, so we cannot send a message.")
    _check_enquiry_rate(client_ip)
    enquiry = Enquiry.objects.create(
        listing=listing,
        shortlist=shortlist_for_enquiry(token=shortlist_token, listing=listing),
        name=name.strip(),
        reply_to=reply_to.strip(),
        message=message.strip(),
    )
    from .tasks import send_enquiry_email_task

    transaction.on_commit(lambda: send_enquiry_email_task.enqueue(enquiry.pk))
    return enquiry


def provider_recipients(listing: ListingPage) -> list[str]:
    """Who hears about an enquiry: the listing's contact email, the provider and its team."""
    provider = listing.provider
    emails = [
        listing.contact_email,
        provider.email,
        *provider.members.filter(is_active=True).values_list("email", flat=True),
    ]
    return list(dict.fromkeys(e for e in emails if e))


def notify_provider(*, enquiry_id: int) -> bool:
    """Email the provider about one enquiry, once however often it is called; True if it went."""
    now = timezone.now()
    # Claim the enquiry first: a second run (or a retry racing the first) finds it claimed.
    claimed = Enquiry.objects.filter(pk=enquiry_id, notified_at__isnull=True).update(notified_at=now)
    if not claimed:
        return False
    enquiry = Enquiry.objects.select_related("listing", "listing__provider").get(pk=enquiry_id)
    recipients = provider_recipients(enquiry.listing)
    if not recipients:
        logger.warning("Enquiry %s: the provider has no email address", enquiry.public_id)
        return False
    context = {
        "enquiry": enquiry,
        "listing": enquiry.listing,
        "inbox_url": site_url(reverse("signposting:enquiries")),
    }
    email = EmailMultiAlternatives(
        f"New enquiry about {enquiry.listing.title}",
        render_to_string("signposting/emails/enquiry_to_provider.txt", context),
        to=recipients,
        reply_to=[enquiry.reply_to] if enquiry.reply_by_email else None,
    )
    try:
        mail.send(email)
    except (smtplib.SMTPException, OSError):
        # Let a later run try again.
        Enquiry.objects.filter(pk=enquiry_id).update(notified_at=None)
        logger.warning("Could not email the provider about enquiry %s", enquiry.public_id, exc_info=True)
        raise
    return True


def enquiries_for_member(*, user):
    """Enquiries to listings of every provider the person is on the team of, newest first."""
    if not getattr(user, "is_authenticated", False):
        return Enquiry.objects.none()
    return (
        Enquiry.objects.filter(listing__provider__members=user)
        .select_related("listing", "listing__provider")
        .distinct()
        .order_by("-created_at")
    )


def mark_enquiry_replied(*, enquiry: Enquiry, by, replied: bool = True) -> Enquiry:
    """The provider says they have replied (or takes that back). Raises NotAllowed."""
    if not enquiry.listing.provider.members.filter(pk=getattr(by, "pk", None)).exists():
        raise NotAllowed("Only the provider's team can do this.")
    enquiry.responded_at = (enquiry.responded_at or timezone.now()) if replied else None
    enquiry.save(update_fields=["responded_at"])
    return enquiry


@dataclass(frozen=True)
class ResponseStats:
    """How a provider answers enquiries: shown on the listing, with no effect on ranking."""

    enquiries: int
    response_rate: int  # per cent, rounded
    typical_reply_hours: float | None  # median, of the ones they replied to

    @property
    def typical_reply(self) -> str:
        """The median reply time in words ("within a day")."""
        hours = self.typical_reply_hours
        if hours is None:
            return ""
        if hours <= 1:
            return "within an hour"
        if hours < 24:
            return f"within {int(-(-hours // 1))} hours"
        days = int(-(-hours // 24))
        return "within a day" if days == 1 else f"within {days} days"


def listing_response_stats(listing: ListingPage, *, now=None) -> ResponseStats | None:
    """Response rate and typical reply time over the last year; None below the threshold."""
    minimum = int(getattr(settings, "ENQUIRY_STATS_MIN_ENQUIRIES", RESPONSE_STATS_MIN_ENQUIRIES))
    since = (now or timezone.now()) - RESPONSE_STATS_PERIOD
    rows = list(
        Enquiry.objects.filter(listing=listing, created_at__gte=since).values_list(
            "created_at", "responded_at"
        )
    )
    if len(rows) < minimum:
        return None
    replied = [(answered - asked).total_seconds() / 3600 for asked, answered in rows if answered]
    return ResponseStats(
        enquiries=len(rows),
        response_rate=round(100 * len(replied) / len(rows)),
        typical_reply_hours=round(statistics.median(replied), 1) if replied else None,
    )


# --- Saved searches and alerts ------------------------------------------------------------

# Parameters that change which page or order, not what matches: not kept.
_NOT_SAVED = {"page", "sort"}


def _vocabularies():
    from search.services import vocabularies

    return vocabularies()


def clean_querystring(params) -> str:
    """The query string to keep: what narrows the search, without page and sort."""
    kept = QueryDict(mutable=True)
    for key in sorted(params.keys()):
        if key in _NOT_SAVED:
            continue
        values = [v for v in params.getlist(key) if v.strip()]
        if values:
            kept.setlist(key, values)
    return kept.urlencode()


def describe_query(query: SearchQuery) -> str:
    """A short plain description: “swimming” near BL3 · Get out and about."""
    parts = []
    if query.text:
        parts.append(f"“{query.text}”")
    if query.near:
        parts.append(f"near {query.near}")
    labels = list(Outcome.objects.filter(slug__in=query.outcomes).values_list("label", flat=True))
    labels += list(Category.objects.filter(slug__in=query.categories).values_list("label", flat=True))
    description = " ".join(parts) or "All support"
    if labels:
        description += " · " + ", ".join(labels)
    others = (
        len(query.audiences)
        + len(query.days)
        + len(query.parts)
        + len(query.languages)
        + len(query.access_features)
        + (query.age is not None)
        + (query.max_price_pence is not None)
        + query.taking_new
        + query.verified
        + query.meet_first
        + query.trial_session
    )
    if others:
        description += f" · {others} more filter{'s' if others != 1 else ''}"
    return description[:300]


def parse_saved(querystring: str) -> SearchQuery:
    """The search a saved query string stands for. Raises QueryError."""
    query = parse_query(QueryDict(querystring), vocabularies=_vocabularies())
    if query.is_empty:
        raise QueryError("q", "Search for something first, then save the search.")
    return query


def save_search(*, user, params, frequency: str = SavedSearch.Frequency.WEEKLY) -> SavedSearch:
    """Keep a search and email the person about new matches. Raises QueryError, TooManySavedSearches."""
    if not getattr(user, "is_authenticated", False):
        raise NotAllowed("Sign in to save a search.")
    querystring = clean_querystring(params)
    if len(querystring) > 1000:
        raise QueryError("q", "This search is too long to save. Remove some filters and try again.")
    query = parse_saved(querystring)
    if frequency not in SavedSearch.Frequency.values:
        raise ValueError(f"Unknown frequency {frequency!r}")
    existing = SavedSearch.objects.filter(user=user, querystring=querystring).first()
    if existing:
        existing.frequency = frequency
        existing.unsubscribed_at = None
        existing.save(update_fields=["frequency", "unsubscribed_at"])
        return existing
    if SavedSearch.objects.filter(user=user).count() >= MAX_SAVED_SEARCHES:
        raise TooManySavedSearches(f"You can keep up to {MAX_SAVED_SEARCHES} searches. Delete one first.")
    return SavedSearch.objects.create(
        user=user, querystring=querystring, description=describe_query(query), frequency=frequency
    )


def update_saved_search(*, saved: SavedSearch, by, frequency: str, emails_on: bool = True) -> SavedSearch:
    """Change how often alerts come, or switch them off or on."""
    if saved.user_id != getattr(by, "pk", None):
        raise NotAllowed("This is not your saved search.")
    if frequency not in SavedSearch.Frequency.values:
        raise ValueError(f"Unknown frequency {frequency!r}")
    saved.frequency = frequency
    saved.unsubscribed_at = None if emails_on else (saved.unsubscribed_at or timezone.now())
    saved.save(update_fields=["frequency", "unsubscribed_at"])
    return saved


def delete_saved_search(*, saved: SavedSearch, by) -> None:
    """Forget a saved search."""
    if saved.user_id != getattr(by, "pk", None):
        raise NotAllowed("This is not your saved search.")
    saved.delete()


def saved_search_for_unsubscribe(*, token: str) -> SavedSearch | None:
    """The saved search an unsubscribe link is for, or None."""
    token = (token or "").strip()
    if not token or len(token) > 100:
        return None
    try:
        public_id = uuid.UUID(signing.Signer(salt=UNSUBSCRIBE_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None
    return SavedSearch.objects.filter(public_id=public_id).first()


def unsubscribe(*, token: str) -> SavedSearch | None:
    """Stop the alert emails an unsubscribe link is for (no sign-in needed); None if unknown."""
    saved = saved_search_for_unsubscribe(token=token)
    if saved is not None and saved.unsubscribed_at is None:
        saved.unsubscribed_at = timezone.now()
        saved.save(update_fields=["unsubscribed_at"])
    return saved


def new_matches(*, saved: SavedSearch, backend=None) -> list[ListingPage]:
    """Listings first published since the search was saved that match it and were not sent yet.

    Runs the backend directly rather than `search_listings`, so alerts are not logged as
    searches that found little (they would count as unmet demand every week).
    """
    query = parse_saved(saved.querystring)
    if query.near:
        found = locate(text=query.near)
        query = query.with_location(
            Location(found.latitude, found.longitude, found.label, found.district_code)
        )
    results = (backend or get_search_backend()).search(replace(query, page=1, per_page=ALERT_CANDIDATES))
    ranked = [hit.listing_id for hit in results.hits]
    already = AlertSent.objects.filter(saved_search=saved).values_list("listing_id", flat=True)
    fresh = (
        ListingPage.objects.live()
        .public()
        .filter(pk__in=ranked, first_published_at__gt=saved.created_at)
        .exclude(pk__in=already)
        .select_related("provider")
    )
    by_id = {listing.pk: listing for listing in fresh}
    return [by_id[pk] for pk in ranked if pk in by_id][:MAX_ALERT_LISTINGS]


def _send_alert(saved: SavedSearch, listings: list[ListingPage]) -> None:
    unsubscribe_url = site_url(reverse("signposting:unsubscribe", args=[saved.unsubscribe_token]))
    context = {
        "saved": saved,
        "listings": [(listing, site_url(listing.url or "")) for listing in listings],
        "search_url": site_url(reverse("search") + "?" + saved.querystring),
        "manage_url": site_url(reverse("signposting:saved_searches")),
        "unsubscribe_url": unsubscribe_url,
        "weekly": saved.frequency == SavedSearch.Frequency.WEEKLY,
    }
    count = len(listings)
    subject = f"{count} new match{'es' if count != 1 else ''} for your search: {saved.description}"[:200]
    email = EmailMultiAlternatives(
        subject,
        render_to_string("signposting/emails/saved_search_alert.txt", context),
        to=[saved.user.email],
        headers={
            # One-click unsubscribe (RFC 8058): mail apps POST to this address.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    mail.send(email)


def send_alerts(*, frequency: str, now=None) -> int:
    """Email each saved search of this frequency about its new matches; returns emails sent.

    A listing is recorded in AlertSent (unique per search) in the same transaction as the
    email goes, so running this twice, or twice at once, never sends it twice; a failed send
    rolls the record back and the next run tries again.
    """
    if frequency not in SavedSearch.Frequency.values:
        raise ValueError(f"Unknown frequency {frequency!r}")
    now = now or timezone.now()
    backend = get_search_backend()
    sent = 0
    searches = SavedSearch.objects.filter(
        frequency=frequency, unsubscribed_at__isnull=True, user__is_active=True
    ).select_related("user")
    for saved in searches:
        try:
            listings = new_matches(saved=saved, backend=backend)
        except (QueryError, PlaceNotFound) as exc:
            # A vocabulary term or place was removed since it was saved; nothing to match.
            logger.info("Saved search %s no longer parses: %s", saved.public_id, exc)
            continue
        if not listings:
            continue
        try:
            with transaction.atomic():
                AlertSent.objects.bulk_create(
                    [AlertSent(saved_search=saved, listing=listing, sent_at=now) for listing in listings]
                )
                SavedSearch.objects.filter(pk=saved.pk).update(last_sent_at=now)
                _send_alert(saved, listings)
        except IntegrityError:
            # Another run is sending this one at the same moment.
            continue
        except (smtplib.SMTPException, OSError):
            logger.warning("Could not send the alert for saved search %s", saved.public_id, exc_info=True)
            continue
        sent += 1
    return sent


# --- Erasure -------------------------------------------------------------------------------


def erase_records_of(user) -> None:
    """Delete the signposting records that name `user` (their personal data is being erased):
    saved searches, shortlists they own or belong to, their comments, their professional
    verification, needs they posted, and enquiries that gave their address to reply to
    (enquiries are not linked to an account)."""
    SavedSearch.objects.filter(user=user).delete()
    ShortlistMember.objects.filter(user=user).delete()
    ShortlistComment.objects.filter(author=user).delete()
    Shortlist.objects.filter(owner=user).delete()
    ProfessionalVerification.objects.filter(user=user).delete()
    # Their needs (and the offers on them) go too: a need is the poster's words about a person.
    user.needs.all().delete()
    if user.email:
        Enquiry.objects.filter(reply_to__iexact=user.email).delete()


# --- Did it help? for the people a professional signposted ---------------------------------


def signposted_introductions(*, professional) -> list[tuple[int, int, object]]:
    """(person's user id, listing id, when they saved it) for each listing on each shortlist of
    `professional`'s that someone other than them saved to their account: the only link from a
    shortlist to a person this site has (an enquiry names nobody, and an opened link is a count)."""
    members = ShortlistMember.objects.filter(shortlist__owner=professional).exclude(user=professional)
    items = dict.fromkeys(members.values_list("shortlist_id", flat=True))
    for shortlist_id in items:
        items[shortlist_id] = list(
            ShortlistItem.objects.filter(shortlist_id=shortlist_id).values_list("listing_id", flat=True)
        )
    return [
        (user_id, listing_id, joined_at)
        for shortlist_id, user_id, joined_at in members.values_list("shortlist_id", "user_id", "joined_at")
        for listing_id in items[shortlist_id]
    ]


def signposted_outcome_counts(*, professional):
    """The "did it help?" counts (counts only, small numbers hidden) for the people
    `professional` signposted, as the marketplace answers `cms.signals.signposted_outcome_counts`;
    None when no app answers."""
    from cms.signals import signposted_outcome_counts as signal

    introductions = signposted_introductions(professional=professional)
    for _receiver, counts in signal.send(sender=None, introductions=introductions):
        if counts is not None:
            return counts
    return None

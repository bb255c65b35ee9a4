"""Needs and offers: the one writer of both. Keyword-only; each checks who is asking.

Posting, withdrawing, offering and choosing an offer live here, with the words check that
keeps people's names and contact details off the public pages, and the daily digest that
tells providers about needs their listings could meet.
"""

import logging
import re
import smtplib
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from cms import mail
from cms.site import site_url
from directory import geo
from directory.models import ListingPage, PostcodeDistrict, Provider

from ..models import Need, NeedNotified, Offer
from ..services import NotAllowed, SignpostingError, provider_recipients
from . import matching

logger = logging.getLogger(__name__)

DEFAULT_EXPIRY_WEEKS = 8
EXPIRY_CHOICES_WEEKS = (2, 4, 8, 12)
MAX_OPEN_NEEDS_PER_PERSON = 10


# --- Exceptions ---------------------------------------------------------------------------


class NeedClosed(SignpostingError):
    """The need has expired, been withdrawn, hidden or settled, so it takes no more offers."""


class AlreadyOffered(SignpostingError):
    """This listing has offered on this need already."""


class IdentifyingWords(SignpostingError):
    """The words would identify a person (an email address, a phone number, a full postcode…)."""


class UnknownDistrict(SignpostingError):
    """The postcode or district is not one we know."""


class TooManyNeeds(SignpostingError):
    """The person has as many open needs as one account may have."""


class NotEnoughPeople(SignpostingError):
    """Too few people have joined a group proposal to choose an offer yet."""


# --- Words that identify a person -----------------------------------------------------------

_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# Eleven digits (a UK number), allowing spaces, dashes and brackets, or +44.
_PHONE = re.compile(r"(?:\+44|\b0)(?:[\s()-]*\d){9,10}\b")
_FULL_POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", re.IGNORECASE)
_TITLED_NAME = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Mx|Dr)\.?\s+[A-Z][a-z'-]+")


def identifying_words(text: str) -> list[str]:
    """What in `text` would identify a person, as phrases for a message ("an email address")."""
    found = []
    if _EMAIL.search(text):
        found.append("an email address")
    if _PHONE.search(text):
        found.append("a phone number")
    if _FULL_POSTCODE.search(text):
        found.append("a full postcode")
    if _TITLED_NAME.search(text):
        found.append("a name (like “Mrs Smith”)")
    return found


def check_words(text: str) -> None:
    """Raise IdentifyingWords when `text` holds something that would identify a person."""
    found = identifying_words(text)
    if found:
        raise IdentifyingWords(
            "Take out " + " and ".join(found) + ": needs are public, so they must not say who "
            "anyone is or how to reach them. We will put you in touch when a provider offers."
        )


# --- Places -------------------------------------------------------------------------------


def district_from(text: str) -> tuple[PostcodeDistrict, bool]:
    """The postcode district of `text` (a postcode or its first half), and whether it was cut.

    A full postcode is cut to its district: a need never holds a more precise place.
    """
    try:
        parsed = geo.parse_postcode(text)
    except geo.InvalidPostcode as exc:
        raise UnknownDistrict(str(exc)) from exc
    district = PostcodeDistrict.objects.filter(code=parsed.outward, non_geographic=False).first()
    if district is None:
        raise UnknownDistrict(
            f"We do not know the postcode district {parsed.outward}. Check it and try again."
        )
    return district, parsed.is_full


# --- Posting and withdrawing --------------------------------------------------------------


def post_need(
    *,
    by,
    outcomes,
    own_words: str,
    district: PostcodeDistrict,
    availability: int = 0,
    frequency: str = Need.Frequency.WEEKLY,
    budget_min_pence: int | None = None,
    budget_max_pence: int | None = None,
    could_share: bool = False,
    expires_in_weeks: int = DEFAULT_EXPIRY_WEEKS,
    posted_for: str = Need.PostedFor.SELF,
    now=None,
) -> Need:
    """Publish a need anonymously; it is shown until it expires, is withdrawn or is hidden."""
    if not by.is_authenticated:
        raise NotAllowed("Sign in to post a need.")
    check_words(own_words)
    now = now or timezone.now()
    if Need.objects.filter(posted_by=by).open(now).count() >= MAX_OPEN_NEEDS_PER_PERSON:
        raise TooManyNeeds(
            f"You have {MAX_OPEN_NEEDS_PER_PERSON} needs open already. Withdraw one before posting another."
        )
    with transaction.atomic():
        need = Need.objects.create(
            posted_by=by,
            posted_for=posted_for,
            own_words=own_words.strip(),
            district=district,
            availability=availability,
            frequency=frequency,
            budget_min_pence=budget_min_pence,
            budget_max_pence=budget_max_pence,
            could_share=could_share,
            created_at=now,
            expires_at=now + timedelta(weeks=expires_in_weeks),
        )
        need.outcomes.set(outcomes)
    return need


def _require_poster(need: Need, user) -> None:
    if not user.is_authenticated or need.posted_by_id != user.pk:
        raise NotAllowed("Only the person who posted this need can do that.")


def withdraw_need(*, need: Need, by, now=None) -> Need:
    """Take a need down: it vanishes from public pages and open offers are declined."""
    _require_poster(need, by)
    now = now or timezone.now()
    with transaction.atomic():
        need.withdrawn_at = now
        need.save(update_fields=["withdrawn_at"])
        need.offers.filter(status=Offer.Status.OPEN).update(status=Offer.Status.DECLINED, decided_at=now)
    return need


def public_needs(*, district: str = "", outcome: str = "", now=None):
    """Open needs for the public list, newest first, optionally in one district or outcome."""
    needs = Need.objects.open(now).select_related("district").prefetch_related("outcomes")
    if district:
        needs = needs.filter(district__code=district)
    if outcome:
        needs = needs.filter(outcomes__slug=outcome).distinct()
    return needs


def public_need(*, public_id, now=None) -> Need | None:
    """One open need as the public may see it, or None when it is gone."""
    return public_needs(now=now).filter(public_id=public_id).first()


def needs_of(*, user):
    """The needs a person posted, newest first, with their offers."""
    return Need.objects.filter(posted_by=user).select_related("district").prefetch_related("outcomes")


# --- Offers -------------------------------------------------------------------------------


def is_team_member(user, provider: Provider) -> bool:
    """True when `user` is on the provider's team."""
    return user.is_authenticated and provider.members.filter(pk=user.pk).exists()


def listings_of(*, user):
    """The live listings of every provider `user` is on the team of."""
    if not user.is_authenticated:
        return ListingPage.objects.none()
    return (
        ListingPage.objects.live()
        .filter(provider__members=user)
        .select_related("provider")
        .prefetch_related("outcomes", "served_districts")
        .order_by("title", "pk")
    )


def needs_near(*, user, now=None) -> list[tuple[Need, list[ListingPage]]]:
    """Open needs the user's listings could meet, each with those listings, newest first.

    Needs the user posted, or a teammate posted, are left out: nobody offers on their own need.
    """
    listings = list(listings_of(user=user))
    found: dict[int, tuple[Need, list[ListingPage]]] = {}
    for listing in listings:
        team = listing.provider.members.values_list("pk", flat=True)
        open_needs = Need.objects.open(now).exclude(posted_by__in=team)
        for need in matching.needs_for_listing(listing, needs=open_needs):
            found.setdefault(need.pk, (need, []))[1].append(listing)
    return sorted(found.values(), key=lambda pair: pair[0].created_at, reverse=True)


def make_offer(
    *, need: Need, listing: ListingPage, by, price_pence: int, price_unit: str, message: str, now=None
) -> Offer:
    """Offer to meet a need from one of the provider's listings."""
    if not is_team_member(by, listing.provider):
        raise NotAllowed("Only the provider's team can offer from this listing.")
    if is_team_member(need.posted_by, listing.provider) or need.posted_by_id == by.pk:
        raise NotAllowed("You cannot offer on a need you or your team posted.")
    if not need.is_open(now):
        raise NeedClosed("This need is no longer looking for offers.")
    try:
        with transaction.atomic():
            return Offer.objects.create(
                need=need,
                listing=listing,
                made_by=by,
                price_pence=price_pence,
                price_unit=price_unit,
                message=message.strip(),
                created_at=now or timezone.now(),
            )
    except IntegrityError as exc:
        raise AlreadyOffered(f"{listing.title} has offered on this need already.") from exc


def offers_for(*, need: Need, by):
    """The offers on a need, for its poster only."""
    _require_poster(need, by)
    return need.offers.select_related("listing", "listing__provider")


def people_joined(need: Need) -> int:
    """How many people a group proposal has (each member's places added up)."""
    return need.members.aggregate(total=Sum("places"))["total"] or 0


def accept_offer(*, offer: Offer, by, now=None) -> str:
    """Choose an offer: it is accepted, the others declined, and the need is settled.

    Returns the address of the marketplace's request page for the offer's listing, carrying
    the need's first outcome and the need's id, so the request can start there (the
    marketplace records the id as a plain value; signposting never imports it). For a group
    proposal, enough people must have joined; it returns the proposal's own page, and the
    provider is emailed the link to set up the group activity (`groups.activity_link`).
    The provider is emailed either way, after the choice is saved.
    """
    need = offer.need
    _require_poster(need, by)
    now = now or timezone.now()
    with transaction.atomic():
        locked = Need.objects.select_for_update().get(pk=need.pk)
        if not locked.is_open(now) or offer.status != Offer.Status.OPEN:
            raise NeedClosed("This need is no longer open, so its offers cannot be chosen.")
        if locked.is_group and people_joined(locked) < locked.min_people:
            raise NotEnoughPeople(
                f"{people_joined(locked)} of the {locked.min_people} people needed have joined. "
                "You can choose an offer once enough people have joined."
            )
        Offer.objects.filter(pk=offer.pk).update(status=Offer.Status.ACCEPTED, decided_at=now)
        need.offers.exclude(pk=offer.pk).filter(status=Offer.Status.OPEN).update(
            status=Offer.Status.DECLINED, decided_at=now
        )
        Need.objects.filter(pk=need.pk).update(accepted_at=now)
        transaction.on_commit(lambda: tell_provider_chosen(offer_pk=offer.pk))
    if need.is_group:
        return reverse("signposting:need", args=[need.public_id])
    return request_link(offer=offer)


def provider_next_step(*, offer: Offer) -> str:
    """Where the provider goes once their offer is chosen: for a group proposal, the
    marketplace's "offer a group activity" page pre-filled from it; otherwise their requests,
    where the person's request arrives."""
    if offer.need.is_group:
        return activity_link(offer=offer)
    return reverse("marketplace:provider_inbox")


def tell_provider_chosen(*, offer_pk: int) -> int:
    """Email the provider's team that the person chose their offer, with what to do next.

    The link is built from the site's configured address (`cms.site.site_url`). A failed send
    is logged, never raised: the choice is already saved."""
    offer = Offer.objects.select_related("need", "listing", "listing__provider").get(pk=offer_pk)
    recipients = provider_recipients(offer.listing)
    if not recipients:
        return 0
    context = {"offer": offer, "need": offer.need, "next_url": site_url(provider_next_step(offer=offer))}
    email = EmailMultiAlternatives(
        f"Your offer from {offer.listing.title} was chosen",
        render_to_string("signposting/emails/offer_chosen.txt", context),
        to=recipients,
    )
    try:
        return mail.send(email)
    except (smtplib.SMTPException, OSError):
        logger.warning("Could not tell the provider offer %s was chosen", offer.public_id, exc_info=True)
        return 0


def request_link(*, offer: Offer) -> str:
    """The marketplace's "ask for support" page for the offer's listing, pre-filled from the need."""
    first = offer.need.outcomes.order_by("sort_order", "label").first()
    params = {"need": str(offer.need.public_id)}
    if first:
        params["outcome"] = first.slug
    return reverse("marketplace:request_new", args=[offer.listing.public_id]) + "?" + urlencode(params)


def activity_link(*, offer: Offer) -> str:
    """The marketplace's "offer a group activity" page, pre-filled from a group proposal and the
    chosen offer; the marketplace reads these as plain values and sends the proposal's id back
    with `cms.signals.group_activity_created` (see `groups`)."""
    need = offer.need
    params = {
        "proposal": str(need.public_id),
        "listing": str(offer.listing.public_id),
        "title": need.own_words.splitlines()[0][:120],
        "when": need.availability_text[:200],
        "unit": offer.price_unit,
        "unit_price": f"{offer.price_pence / 100:.2f}",
        "places": need.max_people,
        "min_places": need.min_people,
    }
    return reverse("marketplace:provider_group_new") + "?" + urlencode(params)


# --- The providers' digest ----------------------------------------------------------------


def _digests(now) -> dict[int, list[tuple[Need, list[ListingPage]]]]:
    """New needs for each provider: {provider id: [(need, its listings that match)]}.

    Starts from the open needs (few) and finds each one's listings through the indexed match,
    rather than walking every provider's listings; needs already sent to a provider, and needs
    a provider's own team posted, are left out.
    """
    open_needs = list(Need.objects.open(now).select_related("district").prefetch_related("outcomes"))
    sent = set(NeedNotified.objects.filter(need__in=open_needs).values_list("need_id", "provider_id"))
    teams = set(
        Provider.members.through.objects.filter(user_id__in={n.posted_by_id for n in open_needs}).values_list(
            "user_id", "provider_id"
        )
    )
    found: dict[int, dict[int, tuple[Need, list[ListingPage]]]] = defaultdict(dict)
    for need in open_needs:
        for listing in matching.listings_for_need(need):
            provider_id = listing.provider_id
            if (need.pk, provider_id) in sent or (need.posted_by_id, provider_id) in teams:
                continue
            found[provider_id].setdefault(need.pk, (need, []))[1].append(listing)
    return {provider_id: list(matches.values()) for provider_id, matches in found.items()}


def _send_digest(provider: Provider, matches, recipients: list[str]) -> None:
    context = {
        "provider": provider,
        "matches": [
            (need, listings, site_url(reverse("signposting:need", args=[need.public_id])))
            for need, listings in matches
        ],
        "needs_url": site_url(reverse("signposting:needs_near_you")),
    }
    count = len(matches)
    email = EmailMultiAlternatives(
        f"{count} new need{'s' if count != 1 else ''} near you that your listings could meet",
        render_to_string("signposting/emails/needs_digest.txt", context),
        to=recipients,
    )
    mail.send(email)


def send_need_digests(*, now=None) -> int:
    """Email each provider about new needs their listings could meet; returns emails sent.

    Each need is recorded per provider (unique) in the same transaction as the email goes, so
    running this twice sends nothing twice; a failed send rolls back and the next run retries.
    """
    now = now or timezone.now()
    sent = 0
    for matches in _digests(now).values():
        provider = matches[0][1][0].provider
        recipients = provider_recipients(matches[0][1][0])
        if not recipients:
            continue
        try:
            with transaction.atomic():
                NeedNotified.objects.bulk_create(
                    [NeedNotified(need=need, provider=provider, sent_at=now) for need, _ in matches]
                )
                _send_digest(provider, matches, recipients)
        except IntegrityError:
            continue  # another run is sending this digest at the same moment
        except (smtplib.SMTPException, OSError):
            logger.warning(
                "Could not send the needs digest to provider %s", provider.public_id, exc_info=True
            )
            continue
        sent += 1
    return sent


def expiry_choices() -> list[tuple[int, str]]:
    """The expiry periods the form offers, in weeks."""
    return [(weeks, f"{weeks} weeks") for weeks in EXPIRY_CHOICES_WEEKS]


def demand_threshold() -> int:
    """Counts below this are shown as "fewer than N" (settings.DEMAND_MIN_COUNT)."""
    return int(getattr(settings, "DEMAND_MIN_COUNT", 5))

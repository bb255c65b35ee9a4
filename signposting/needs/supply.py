"""New supply from demand: offers from a listing the provider is still starting, and which new
listings went live after a need or a demand alert (for the coordinators' report).

A provider with no listing that could meet a need can still answer it: they say their price
and message (a `PendingOffer`) and go to the listing wizard, pre-filled by address with the
need's outcome and district (`wizard_link`). When a listing of theirs first goes live (Wagtail's
`page_published`, so the directory need not know about needs) and it could meet the need, the
offer is made from it and the person sees it like any other. The same moment records the
listing as started after a need, or after a demand alert its provider's team was emailed.
"""

import logging

from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from wagtail.signals import page_published

from directory.models import ListingPage, Provider

from ..models import DemandAlert, ListingStarted, Need, Offer, PendingOffer
from ..services import NotAllowed
from . import matching, services

logger = logging.getLogger(__name__)


def providers_of(user):
    """The providers whose team `user` is on."""
    if not user.is_authenticated:
        return Provider.objects.none()
    return Provider.objects.filter(members=user).order_by("name", "pk")


def offer_from_new_listing(
    *, need: Need, provider: Provider, by, price_pence: int, price_unit: str, message: str, now=None
) -> PendingOffer:
    """Keep an offer to be made from the provider's next listing that could meet the need.

    Offering again before that listing is live replaces the price and message.
    """
    if not services.is_team_member(by, provider):
        raise NotAllowed("Only the provider's team can offer for it.")
    if need.posted_by_id == by.pk or services.is_team_member(need.posted_by, provider):
        raise NotAllowed("You cannot offer on a need you or your team posted.")
    if not need.is_open(now):
        raise services.NeedClosed("This need is no longer looking for offers.")
    pending, _ = PendingOffer.objects.update_or_create(
        need=need,
        provider=provider,
        defaults={
            "made_by": by,
            "price_pence": price_pence,
            "price_unit": price_unit,
            "message": message.strip(),
            "created_at": now or timezone.now(),
        },
    )
    return pending


def wizard_link(*, need: Need, provider: Provider) -> str:
    """The listing wizard's first step for `provider`, pre-filled with the need's first outcome
    and its district (the directory reads both as plain values)."""
    params = {"postcode": need.district.code}
    first = need.outcomes.order_by("sort_order", "label").first()
    if first:
        params["outcome"] = first.slug
    return reverse("my:listing_create", args=[provider.public_id]) + "?" + urlencode(params)


def _could_meet(listing: ListingPage, need: Need) -> bool:
    # Outcome and place, not times: the provider offered on this need on purpose, and their
    # message says when; a listing's usual times need not cover every need it answers.
    return bool(
        set(listing.outcomes.values_list("pk", flat=True)) & set(need.outcomes.values_list("pk", flat=True))
        and matching.listing_serves_district(listing, need.district)
    )


def attach_pending_offers(listing: ListingPage, *, now=None) -> int:
    """Make the waiting offers of the listing's provider from it, where it could meet the need
    and the need is still open; returns how many were made."""
    now = now or timezone.now()
    made = 0
    waiting = PendingOffer.objects.filter(provider_id=listing.provider_id, offer__isnull=True).select_related(
        "need", "need__district", "made_by"
    )
    for pending in waiting:
        need = pending.need
        if pending.made_by is None or not need.is_open(now) or not _could_meet(listing, need):
            continue
        try:
            with transaction.atomic():
                offer = services.make_offer(
                    need=need,
                    listing=listing,
                    by=pending.made_by,
                    price_pence=pending.price_pence,
                    price_unit=pending.price_unit,
                    message=pending.message,
                    now=now,
                )
                PendingOffer.objects.filter(pk=pending.pk).update(offer=offer)
        except services.SignpostingError:
            logger.info("Pending offer %s could not be made from %s", pending.pk, listing.pk)
            continue
        made += 1
    return made


def record_listing_started(listing: ListingPage, *, now=None) -> ListingStarted | None:
    """On a listing's first going live: note it as new supply after a need its team answered
    before it existed, or after a demand alert its team was emailed about its outcome."""
    now = now or timezone.now()
    started = listing.first_published_at or now
    # After a need: an offer kept for a new listing was made from this one (attach first).
    pending = (
        PendingOffer.objects.filter(offer__listing=listing, created_at__lte=started)
        .select_related("need", "need__district")
        .order_by("-created_at")
        .first()
    )
    outcome_ids = set(listing.outcomes.values_list("pk", flat=True))
    if pending is not None:
        outcome = pending.need.outcomes.filter(pk__in=outcome_ids).first() or pending.need.outcomes.first()
        fields = {"after": ListingStarted.After.NEED, "outcome": outcome, "district": pending.need.district}
    else:
        alert = (
            DemandAlert.objects.filter(
                user__in=listing.provider.members.all(), last_sent_at__lte=started, outcome_id__in=outcome_ids
            )
            .order_by("-last_sent_at")
            .first()
        )
        if alert is None:
            return None
        fields = {"after": ListingStarted.After.ALERT, "outcome": alert.outcome, "district": alert.district}
    try:
        with transaction.atomic():
            return ListingStarted.objects.create(listing=listing, went_live_at=started, **fields)
    except IntegrityError:
        return None  # recorded already


@receiver(page_published, dispatch_uid="signposting.needs.listing_published")
def listing_published(sender, instance, **kwargs):
    """A listing went live: make the offers waiting for it, and note new supply once."""
    if not isinstance(instance, ListingPage) or instance.provider_id is None:
        return
    listing = ListingPage.objects.get(pk=instance.pk)
    attach_pending_offers(listing)
    if not ListingStarted.objects.filter(listing=listing).exists() and (
        listing.first_published_at is None or listing.first_published_at == listing.last_published_at
    ):
        record_listing_started(listing)


# --- What the coordinators' report counts ----------------------------------------------------


def met_needs(needs) -> set[int]:
    """The pks of `needs` that turned into paid support, as the marketplace answers it
    (`cms.signals.paid_support_asked`): for a need, the person who chose an offer then paid that
    listing; for a group proposal, someone paid for a place in the activity set up from it."""
    from cms.signals import paid_support_asked

    choices, activities, by_ref = [], [], {}
    chosen = {
        o.need_id: o
        for o in Offer.objects.filter(need__in=[n.pk for n in needs], status=Offer.Status.ACCEPTED)
    }
    for need in needs:
        if need.activity_ref:
            activities.append(need.activity_ref)
            by_ref[need.activity_ref] = need.pk
        elif need.pk in chosen and need.accepted_at:
            choices.append((need.public_id, need.posted_by_id, chosen[need.pk].listing_id, need.accepted_at))
            by_ref[need.public_id] = need.pk
    if not choices and not activities:
        return set()
    paid = set()
    for _, answer in paid_support_asked.send(sender=Need, choices=choices, activities=activities):
        paid |= set(answer or ())
    return {by_ref[ref] for ref in paid if ref in by_ref}


def listings_started(*, start, end) -> list[tuple[str, str, str, int]]:
    """New listings that went live in [start, end) after a need or a demand alert:
    (after, outcome, district, count), most first."""
    counts: dict[tuple[str, str, str], int] = {}
    rows = ListingStarted.objects.filter(went_live_at__gte=start, went_live_at__lt=end).values_list(
        "after", "outcome__label", "district__code"
    )
    labels = dict(ListingStarted.After.choices)
    for after, outcome, district in rows:
        key = (labels[after], outcome or "", district or "")
        counts[key] = counts.get(key, 0) + 1
    return sorted(((*key, n) for key, n in counts.items()), key=lambda r: (-r[3], r[0], r[1], r[2]))

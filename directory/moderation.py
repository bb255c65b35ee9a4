"""The site's own emails to providers when a coordinator approves their listing or asks for
changes: what happened, what the coordinator said and a link into "My listings".

Wagtail's own notices link into /admin/, which providers cannot open; cms.notifications keeps
those for admin users only.
"""

import logging

from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from wagtail.models import WorkflowState
from wagtail.signals import workflow_approved, workflow_rejected

from cms.mail import send_mail
from cms.notifications import can_open_admin
from cms.site import site_url

from .models import ListingPage

logger = logging.getLogger(__name__)


def connect() -> None:
    """Email providers when a listing's workflow is approved or sent back."""
    workflow_approved.connect(_approved, sender=WorkflowState, dispatch_uid="directory.listing_approved")
    workflow_rejected.connect(_rejected, sender=WorkflowState, dispatch_uid="directory.listing_rejected")


def _approved(sender, instance, user=None, **kwargs):
    email_listing_decision(workflow_state=instance, approved=True)


def _rejected(sender, instance, user=None, **kwargs):
    email_listing_decision(workflow_state=instance, approved=False)


def provider_people(listing: ListingPage, requested_by=None) -> list[str]:
    """Addresses of the people who run the listing from "My listings", the person who sent it for
    review first; not admin users, who get Wagtail's notices."""
    people = [requested_by] if requested_by else []
    if listing.provider_id:
        people += list(get_user_model().objects.filter(providers=listing.provider_id, is_active=True))
    return list(dict.fromkeys(p.email for p in people if p.email and not can_open_admin(p)))


def _comment(workflow_state: WorkflowState) -> str:
    """What the coordinator wrote on the decision (the last finished task), or ""."""
    task_state = workflow_state.task_states.exclude(finished_at=None).order_by("-finished_at", "-pk").first()
    return (task_state.comment if task_state else "") or ""


def email_listing_decision(*, workflow_state: WorkflowState, approved: bool) -> int:
    """Tell the provider's people that their listing was approved or needs changes; returns how
    many addresses it went to (0 when the page is not a listing or nobody can be told)."""
    listing = workflow_state.content_object
    listing = getattr(listing, "specific", listing)
    if not isinstance(listing, ListingPage):
        return 0
    recipients = provider_people(listing, workflow_state.requested_by)
    if not recipients:
        logger.info("Listing %s: no provider address for the moderation decision", listing.pk)
        return 0
    context = {
        "listing": listing,
        "comment": _comment(workflow_state),
        "is_public": listing.live,
        "listing_url": site_url(reverse("my:listing", args=[listing.public_id])),
        "public_url": site_url(listing.url or "/") if listing.live else "",
    }
    if approved:
        subject = f"Your listing is approved: {listing.title}"
        body = render_to_string("directory/emails/listing_approved.txt", context)
    else:
        subject = f"Changes needed to your listing: {listing.title}"
        body = render_to_string("directory/emails/listing_changes_requested.txt", context)
    send_mail(subject, body, None, recipients)
    return len(recipients)

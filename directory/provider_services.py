"""What providers do in their own area ("My listings"), and what coordinators decide about it.

Listings are Wagtail pages, so this module drives Wagtail's own machinery rather than a
parallel one: every step of the listing wizard saves a draft *revision*, sending a listing
for review starts (or resumes) the page's Wagtail workflow, and coordinators approve or
request changes in the Wagtail admin. The front end never publishes anything itself.

Two small facts are the exception, because they must stay fresh and carry no risk to
people: whether a listing is taking new people, and when it is usually available (plus
the date the provider last confirmed the listing). Those change the live listing at once;
see `update_availability`.

Every function takes keyword arguments only. Exceptions a person can act on carry a
message for them in `str()`.
"""

import html
import logging
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape, linebreaks, strip_tags
from django.utils.text import slugify
from wagtail.models import WorkflowState

from cms.mail import send_mail
from cms.models import Role
from cms.site import site_url

from .evidence import display_name
from .models import Check, Claim, DirectoryIndexPage, ListingPage, ProblemReport, Provider
from .signals import listing_updated_in_place

logger = logging.getLogger(__name__)


class ProviderAreaError(Exception):
    """Something a provider asked for cannot be done; `str()` says why, in plain English."""


class DirectoryMissing(ProviderAreaError):
    """There is no directory page to put listings under (the site is not set up yet)."""


class ListingIncomplete(ProviderAreaError):
    """A listing cannot go for review until every step is done."""

    def __init__(self, missing):
        self.missing = list(missing)
        names = ", ".join(title.lower() for _, title in self.missing)
        super().__init__(f"Finish these parts before you send the listing for review: {names}.")


class NoWorkflow(ProviderAreaError):
    """No moderation workflow covers the directory, so nothing could approve the listing."""


class AlreadyWaiting(ProviderAreaError):
    """The listing is already waiting for a coordinator."""


class AlreadyClaimed(ProviderAreaError):
    """The listing's provider already has people managing it."""


# --- Organisations ----------------------------------------------------------------------


def become_provider(*, user, name, legal_name, business_type, team_size, email, phone="", company_number=""):
    """Create an organisation with `user` in its team, and put them in the Providers group.

    Providers work in the front end only: this never makes anyone staff.
    """
    with transaction.atomic():
        provider = Provider.objects.create(
            name=name,
            legal_name=legal_name,
            business_type=business_type,
            team_size=team_size,
            size_confirmed_by=Provider.SizeConfirmedBy.PROVIDER,
            email=email,
            phone=phone,
            company_number=company_number,
        )
        provider.members.add(user)
        join_providers_group(user=user)
    return provider


def join_providers_group(*, user) -> None:
    """Put a person in the Providers group (once)."""
    user.groups.add(Group.objects.get_or_create(name=Role.PROVIDER.value)[0])


# --- Listings: drafts, the wizard, review ----------------------------------------------


def text_to_html(text: str) -> str:
    """Plain text from a form into the safe paragraphs the listing's rich text field holds."""
    return linebreaks(escape(text.strip()))


def html_to_text(markup: str) -> str:
    """The listing's rich text as plain text for a form (paragraphs become blank lines)."""
    text = (markup or "").replace("</p>", "\n\n").replace("<br>", "\n").replace("<br/>", "\n")
    return html.unescape(strip_tags(text)).strip()


def start_listing(
    *, provider, user, title, summary, description_text, outcomes=(), base_postcode: str = ""
) -> ListingPage:
    """Create a new listing as an unpublished page under the directory, with a first draft.

    Only the first step's answers exist yet, so the page is saved without full validation
    (Wagtail checks the title and address only for pages that are not live); the rest
    arrives step by step, each step a new draft revision. `outcomes` and `base_postcode`
    pre-fill later steps (a listing started from a need or the demand page).
    """
    directory = DirectoryIndexPage.objects.first()
    if directory is None:
        raise DirectoryMissing("The directory is not set up yet. Please try again later.")
    listing = ListingPage(
        title=title,
        # Empty means Wagtail makes one from the title, unique among the listings; a title
        # with no letters or digits (all emoji, say) would give none, so we supply one.
        slug="" if slugify(title) else f"listing-{uuid.uuid4().hex[:8]}",
        provider=provider,
        summary=summary,
        description=text_to_html(description_text),
        base_postcode=base_postcode,
        live=False,
        owner=user,
        last_confirmed_at=timezone.now(),
    )
    if outcomes:
        listing.outcomes = list(outcomes)
    with transaction.atomic():
        directory.add_child(instance=listing)
        listing.save_revision(user=user, log_action=True, clean=False)
    return listing


def draft_of(listing: ListingPage) -> ListingPage:
    """The newest version of a listing: the latest draft revision, or the live page."""
    return listing.get_latest_revision_as_object()


def save_draft(*, draft: ListingPage, user):
    """Save the provider's changes to a listing as a new draft revision.

    The live page (if any) does not change: the approved version stays public until a
    coordinator approves the new one. Editing a listing that is waiting for review takes
    it out of the queue (like "cancel workflow" in the admin), so a coordinator never
    approves a version they have not seen; the provider sends it again when ready.
    """
    with transaction.atomic():
        state = draft.current_workflow_state
        if state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS:
            state.cancel(user=user)
        return draft.save_revision(user=user, log_action=True, clean=False)


# The wizard's steps, in order: (slug, title for people).
STEPS = [
    ("about", "About the service"),
    ("help", "What it helps with and who it is for"),
    ("where", "Where"),
    ("prices", "Prices"),
    ("when", "When and how to get in touch"),
]


def step_done(draft: ListingPage, step: str) -> bool:
    """True when the draft has what a step asks for (enough to be listed)."""
    if step == "about":
        return bool(draft.title and draft.summary and strip_tags(draft.description or "").strip())
    if step == "help":
        return bool(list(draft.outcomes.all()))
    if step == "where":
        return bool(draft.base_postcode)
    if step == "prices":
        return bool(list(draft.prices.all()))
    if step == "when":
        return bool(draft.contact_phone or draft.contact_email or draft.website)
    raise ValueError(step)


def missing_steps(draft: ListingPage) -> list[tuple[str, str]]:
    """The steps still to do, as (slug, title)."""
    return [(slug, title) for slug, title in STEPS if not step_done(draft, slug)]


def submit_for_review(*, listing: ListingPage, user) -> WorkflowState:
    """Send the latest draft to the coordinators' moderation queue (the Wagtail workflow).

    A listing whose changes were sent back resumes its workflow, as the admin does; any
    other starts the workflow that covers the directory.
    """
    draft = draft_of(listing)
    missing = missing_steps(draft)
    if missing:
        raise ListingIncomplete(missing)
    state = listing.current_workflow_state
    if state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS:
        raise AlreadyWaiting("This listing is already waiting for a coordinator to check it.")
    if listing.live and not listing.has_unpublished_changes:
        raise ProviderAreaError("There are no changes to send: the public listing is already up to date.")
    with transaction.atomic():
        if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
            state.resume(user=user)
            return listing.current_workflow_state
        workflow = listing.get_workflow()
        if workflow is None:
            raise NoWorkflow("We cannot take listings for review at the moment. Please contact us.")
        return workflow.start(listing, user)


@dataclass(frozen=True)
class ListingStatus:
    """Where a listing is in review, in words a provider understands."""

    code: str  # draft, waiting, changes_requested, approved, approved_with_draft
    label: str
    explanation: str
    tag_class: str
    comment: str = ""
    is_public: bool = False
    can_submit: bool = False


def listing_status(listing: ListingPage) -> ListingStatus:
    """The status a provider sees: draft, waiting, changes requested (with the comment) or approved."""
    state = listing.current_workflow_state
    public = listing.live
    if state is not None and state.status == WorkflowState.STATUS_IN_PROGRESS:
        return ListingStatus(
            "waiting",
            "Waiting for approval",
            "A coordinator will check it soon."
            + (" Until then, the approved version stays public." if public else ""),
            "",
            is_public=public,
        )
    if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        task_state = state.current_task_state
        return ListingStatus(
            "changes_requested",
            "Changes requested",
            "A coordinator asked for changes. Make them, then send the listing again."
            + (" The approved version stays public." if public else ""),
            "govuk-tag--red",
            comment=(task_state.comment if task_state else "") or "",
            is_public=public,
            can_submit=True,
        )
    if public and not listing.has_unpublished_changes:
        return ListingStatus(
            "approved", "Approved", "Your listing is public.", "govuk-tag--green", is_public=True
        )
    if public:
        return ListingStatus(
            "approved_with_draft",
            "Approved, with changes not sent",
            "The approved version is public. Send your changes for review when they are ready.",
            "govuk-tag--yellow",
            is_public=True,
            can_submit=True,
        )
    return ListingStatus(
        "draft",
        "Draft",
        "Only you can see it. Send it for review when it is ready.",
        "govuk-tag--grey",
        can_submit=True,
    )


# --- Facts that skip moderation ---------------------------------------------------------


def _apply_to_live_and_draft(*, listing: ListingPage, **values) -> None:
    """Change a few fields on the live page and on its latest draft, without publishing.

    Why not save a revision and publish it? Because a listing may have edits waiting for
    review, and publishing would put those live unchecked. So we write the fields straight
    to the page's row (what the public sees) and into the latest revision's content (what
    a coordinator approves next, and what the provider edits from), so approving the
    draft later cannot undo today's update.
    """
    with transaction.atomic():
        ListingPage.objects.filter(pk=listing.pk).update(**values)
        revision = listing.get_latest_revision()
        if revision is not None:
            draft = revision.as_object()
            for name, value in values.items():
                setattr(draft, name, value)
            revision.content = draft.serializable_data()
            revision.save(update_fields=["content"])
        for name, value in values.items():
            setattr(listing, name, value)
        # Search indexes copy the live page, and no page_published signal fires here; tell
        # whoever listens (search reindexes after commit) without depending on them.
        listing_updated_in_place.send(sender=ListingPage, listing=listing)


def update_availability(*, listing: ListingPage, intake: str, availability: int) -> None:
    """Set "taking new people" and the usual availability at once, with no moderation.

    Saying these are right also counts as confirming the listing.
    """
    _apply_to_live_and_draft(
        listing=listing, intake=intake, availability=availability, last_confirmed_at=timezone.now()
    )


def confirm_listing(*, listing: ListingPage) -> None:
    """Record that the provider says the listing is still right (it stops sinking in search)."""
    _apply_to_live_and_draft(listing=listing, last_confirmed_at=timezone.now())


# --- Evidence of checks -----------------------------------------------------------------


def add_check(*, provider, kind, issued_on, expires_on=None, reference="", upload=None) -> Check:
    """Record evidence of a check, storing the (already validated) document privately.

    A new check always starts unverified: a coordinator looks at the evidence first.
    """
    check = Check(
        provider=provider,
        kind=kind,
        reference=reference,
        issued_on=issued_on,
        expires_on=expires_on,
    )
    if upload is not None:
        check.document_name = display_name(upload.name)
        check.uploaded_at = timezone.now()
        check.document.save(upload.name, upload, save=False)
    try:
        check.save()
    except Exception:
        # Never leave an orphan file behind if the row could not be written.
        if check.document:
            check.document.delete(save=False)
        raise
    return check


def remove_check(*, check: Check) -> None:
    """Delete a check and its document."""
    if check.document:
        check.document.delete(save=False)
    check.delete()


def verify_check(*, check: Check, by) -> Check:
    """A coordinator has seen the evidence and it is right: the badge may show."""
    check.verified_at = timezone.now()
    check.verified_by = by
    check.save(update_fields=["verified_at", "verified_by"])
    return check


def unverify_check(*, check: Check) -> Check:
    """Take back a verification (the badge goes at once)."""
    check.verified_at = None
    check.verified_by = None
    check.save(update_fields=["verified_at", "verified_by"])
    return check


EXPIRING_SOON_DAYS = 30


def check_flag(check: Check, today=None) -> tuple[str, str]:
    """A short flag for a provider's list of checks: (label, GOV.UK tag class)."""
    left = check.days_left(today)
    if left is not None and left < 0:
        return "Expired", "govuk-tag--red"
    if left is not None and left <= EXPIRING_SOON_DAYS:
        return "Expires soon", "govuk-tag--orange"
    if check.verified_at:
        return "Verified", "govuk-tag--green"
    if check.review_note:
        return "Needs attention", "govuk-tag--red"
    return "Waiting to be checked", "govuk-tag--grey"


@dataclass(frozen=True)
class CqcAdvice:
    """The result of the CQC self-check: a plain answer and why. Not legal advice."""

    needs_registration: bool
    heading: str
    reason: str


def cqc_advice(*, personal_care: bool, where_they_live: bool, works_alone: bool, arranged_directly: bool):
    """Whether a service looks like it needs CQC registration for personal care.

    Based on the Health and Social Care Act 2008 (Regulated Activities) Regulations 2014,
    Schedule 1, paragraph 1: "personal care" given to people where they live is regulated,
    except when one person, working alone and employing nobody, is engaged by the person
    (or their family) directly with no agency in between.
    """
    if not personal_care:
        return CqcAdvice(
            False,
            "It looks like you do not need to register with the CQC",
            "because you do not give personal care. Help with things like shopping, cleaning, "
            "gardening, company or trips out is not personal care. If you start helping people "
            "to wash, dress, use the toilet, eat or take medicines, do this check again.",
        )
    if not where_they_live:
        return CqcAdvice(
            False,
            "It looks like you do not need to register with the CQC for personal care",
            "because you do not give it in the place where the person lives. Personal care is "
            "only a regulated activity when it is given where the person is living. Other things "
            "you do (for example nursing or treatment) could still need registration.",
        )
    if works_alone and arranged_directly:
        return CqcAdvice(
            False,
            "It looks like you do not need to register with the CQC",
            "because you work on your own, you employ nobody to help, and the person (or their "
            "family) arranges the care with you directly, without an agency. This is how many "
            "personal assistants paid from a direct payment work. If you take on staff or work "
            "through an agency, you will need to register.",
        )
    return CqcAdvice(
        True,
        "It looks like you need to register with the CQC",
        "because you give personal care in people's homes and "
        + (
            "you work with or employ other people."
            if not works_alone
            else "the care is arranged through someone else, not by the person directly."
        )
        + " It is against the law to give regulated personal care without registering. Add your "
        "CQC registration number to your checks once you have it.",
    )


# --- Claims -----------------------------------------------------------------------------


def claim_listing(*, listing: ListingPage, user, message: str, phone: str = "") -> Claim:
    """Ask to manage a listing that nobody manages yet. A coordinator decides; never automatic."""
    if listing.provider.is_claimed:
        raise AlreadyClaimed(
            "Somebody already manages this listing. If you work with them, ask them to add you."
        )
    existing = Claim.objects.filter(listing=listing, user=user, status=Claim.Status.PENDING).first()
    if existing:
        return existing
    return Claim.objects.create(listing=listing, user=user, message=message, phone=phone)


def approve_claim(*, claim: Claim, by, note: str = "") -> Claim:
    """The claimant joins the listing's provider team and the Providers group."""
    with transaction.atomic():
        claim.status = Claim.Status.APPROVED
        claim.decided_at = timezone.now()
        claim.decided_by = by
        claim.decision_note = note
        claim.save()
        claim.listing.provider.members.add(claim.user)
        join_providers_group(user=claim.user)
        # Other people's claims on the same listing are now moot.
        others = Claim.objects.filter(listing=claim.listing, status=Claim.Status.PENDING).exclude(pk=claim.pk)
        others.update(
            status=Claim.Status.REJECTED,
            decided_at=timezone.now(),
            decided_by=by,
            decision_note="Another person's claim for this listing was approved.",
        )
    _email_claim_decision(claim)
    return claim


def reject_claim(*, claim: Claim, by, note: str = "") -> Claim:
    """The claim is turned down; the claimant sees the note."""
    claim.status = Claim.Status.REJECTED
    claim.decided_at = timezone.now()
    claim.decided_by = by
    claim.decision_note = note
    claim.save()
    _email_claim_decision(claim)
    return claim


def _email_claim_decision(claim: Claim) -> None:
    body = render_to_string(
        "directory/emails/claim_decision.txt",
        {"claim": claim, "dashboard_url": site_url("/my/")},
    )
    subject = (
        f"You can now manage {claim.listing.title}"
        if claim.status == Claim.Status.APPROVED
        else f"Your claim for {claim.listing.title}"
    )
    send_mail(subject, body, None, [claim.user.email])


# --- Problem reports --------------------------------------------------------------------


def report_problem(*, listing: ListingPage, problem: str, details: str, contact: str = "") -> ProblemReport:
    """Record a report from the public and tell the coordinators."""
    report = ProblemReport.objects.create(listing=listing, problem=problem, details=details, contact=contact)
    recipients = list(
        get_user_model()
        .objects.filter(groups__name=Role.COORDINATOR.value, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    if recipients:
        body = render_to_string(
            "directory/emails/problem_report.txt",
            {"report": report, "admin_url": site_url("/admin/snippets/directory/problemreport/")},
        )
        send_mail(f"Problem reported: {listing.title}", body, None, recipients)
    else:
        logger.warning("A problem report on listing %s reached no coordinator: none has an email", listing.pk)
    return report

"""The providers' own area, "My listings" (mounted at /my/), and two public pages: report a
problem with a listing, and the one-click confirm link from the yearly email.

Every view that touches a provider's things finds them through `get_provider_for_member`,
`get_listing_for_member` or `get_check_for_member`, which answer 404 unless the person is
in that provider's team: somebody else's id looks exactly like one that does not exist.
Addresses use public UUIDs, never database or page ids.
"""

import contextlib
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cms.roles import is_coordinator

from . import geo
from . import provider_services as services
from .evidence import content_type_for
from .models import Check, Claim, ListingPage, Outcome, Provider
from .provider_forms import (
    AboutForm,
    AvailabilityForm,
    CheckForm,
    ClaimForm,
    CqcSelfCheckForm,
    HelpForm,
    OrganisationForm,
    PriceForm,
    PriceFormSet,
    ProblemReportForm,
    WhenContactForm,
    WhereForm,
)
from .reminders import BadConfirmationLink, listing_for_token
from .services import locate_postcode

logger = logging.getLogger(__name__)

STEP_FORMS = {"help": HelpForm, "where": WhereForm, "when": WhenContactForm}
STEP_SLUGS = [slug for slug, _ in services.STEPS]
STEP_TITLES = dict(services.STEPS)


# --- Who may see what -------------------------------------------------------------------


def get_provider_for_member(user, public_id) -> Provider:
    """The provider with this id, if `user` is in its team; otherwise 404."""
    return get_object_or_404(Provider, public_id=public_id, members=user)


def get_listing_for_member(user, public_id) -> ListingPage:
    """The listing with this id, if `user` is in its provider's team; otherwise 404."""
    return get_object_or_404(
        ListingPage.objects.select_related("provider"), public_id=public_id, provider__members=user
    )


def get_check_for_member(user, public_id) -> Check:
    """The check with this id, if `user` is in its provider's team; otherwise 404."""
    return get_object_or_404(
        Check.objects.select_related("provider"), public_id=public_id, provider__members=user
    )


# --- Dashboard and organisation ---------------------------------------------------------


@login_required
def dashboard(request):
    """Everything a provider manages: organisations, listings with their status, checks, claims."""
    today = timezone.localdate()
    organisations = []
    for provider in Provider.objects.filter(members=request.user).prefetch_related("checks"):
        listings = []
        for listing in ListingPage.objects.filter(provider=provider).order_by("draft_title"):
            listings.append(
                {
                    "listing": listing,
                    "draft": services.draft_of(listing),
                    "status": services.listing_status(listing),
                    "needs_confirming": listing.live and listing.is_stale,
                }
            )
        checks = list(provider.checks.all())
        organisations.append(
            {
                "provider": provider,
                "listings": listings,
                "checks_expired": sum(1 for c in checks if (c.days_left(today) or 0) < 0),
                "checks_expiring": sum(
                    1
                    for c in checks
                    if c.days_left(today) is not None
                    and 0 <= c.days_left(today) <= services.EXPIRING_SOON_DAYS
                ),
                "checks_count": len(checks),
            }
        )
    claims = Claim.objects.filter(user=request.user).select_related("listing").order_by("-created_at")
    return render(request, "directory/my/dashboard.html", {"organisations": organisations, "claims": claims})


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request):
    """Become a provider: tell us about the organisation (the person joins its team)."""
    form = OrganisationForm(request.POST or None, initial={"email": request.user.email})
    if request.method == "POST" and form.is_valid():
        provider = services.become_provider(user=request.user, **form.cleaned_data)
        messages.success(request, f"{provider.name} is set up. Now create your first listing.")
        return redirect("my:listing_create", provider.public_id)
    return render(
        request,
        "directory/my/organisation_form.html",
        {"form": form, "creating": True},
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request, provider_id):
    """Change the organisation's details (private contact details and size)."""
    provider = get_provider_for_member(request.user, provider_id)
    form = OrganisationForm(request.POST or None, instance=provider)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your organisation's details are saved.")
        return redirect("my:dashboard")
    return render(
        request,
        "directory/my/organisation_form.html",
        {"form": form, "provider": provider},
    )


# --- The listing wizard -----------------------------------------------------------------


def _after_step(request, listing, step):
    """Where "Save and continue" and "Save and come back later" lead."""
    if request.POST.get("then") == "later":
        messages.success(request, "Your changes are saved as a draft. Come back to them at any time.")
        return redirect("my:listing", listing.public_id)
    index = STEP_SLUGS.index(step)
    if index + 1 < len(STEP_SLUGS):
        return redirect("my:listing_step", listing.public_id, STEP_SLUGS[index + 1])
    return redirect("my:listing_preview", listing.public_id)


def _step_context(listing, step, draft, **extra):
    index = STEP_SLUGS.index(step)
    return {
        "listing": listing,
        "draft": draft,
        "step": step,
        "step_title": STEP_TITLES[step],
        "step_number": index + 1,
        "step_count": len(STEP_SLUGS),
        "previous_step": STEP_SLUGS[index - 1] if index else None,
        **extra,
    }


def _starting_points(params) -> dict:
    """What a link may pre-fill in a new listing (`outcome`, a vocabulary slug, and `postcode`,
    a district), from a need or the demand page; anything else is ignored."""
    found = {}
    outcome = Outcome.objects.filter(slug=params.get("outcome", "")[:120]).first()
    if outcome:
        found["outcomes"] = [outcome]
    with contextlib.suppress(geo.InvalidPostcode):
        found["base_postcode"] = geo.parse_postcode(params.get("postcode", "")[:10]).outward
    return found


@login_required
@require_http_methods(["GET", "POST"])
def listing_create(request, provider_id):
    """Step 1 for a new listing: creating it saves the first draft."""
    provider = get_provider_for_member(request.user, provider_id)
    form = AboutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.start_listing(
                provider=provider,
                user=request.user,
                title=form.cleaned_data["title"],
                summary=form.cleaned_data["summary"],
                description_text=form.cleaned_data["description"],
                **_starting_points(request.GET),
            )
        except services.ProviderAreaError as exc:
            form.add_error(None, str(exc))
        else:
            return _after_step(request, listing, "about")
    return render(
        request,
        "directory/my/listing_step.html",
        {
            "provider": provider,
            "form": form,
            "step": "about",
            "step_title": STEP_TITLES["about"],
            "step_number": 1,
            "step_count": len(STEP_SLUGS),
            "creating": True,
        },
    )


@login_required
def listing_overview(request, listing_id):
    """A listing's status, the coordinator's comment, and its steps with what is done."""
    listing = get_listing_for_member(request.user, listing_id)
    draft = services.draft_of(listing)
    steps = [
        {"slug": slug, "title": title, "done": services.step_done(draft, slug)}
        for slug, title in services.STEPS
    ]
    return render(
        request,
        "directory/my/listing_overview.html",
        {
            "listing": listing,
            "draft": draft,
            "status": services.listing_status(listing),
            "steps": steps,
            "all_done": all(s["done"] for s in steps),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_step(request, listing_id, step):
    """One step of the wizard for an existing listing; saving it saves a draft revision."""
    listing = get_listing_for_member(request.user, listing_id)
    if step not in STEP_SLUGS:
        raise Http404("No such step")
    draft = services.draft_of(listing)
    data = request.POST if request.method == "POST" else None

    if step == "prices":
        initial = [PriceForm.initial_from(p) for p in draft.prices.all()]
        formset = PriceFormSet(data, initial=initial, prefix="prices")
        if data is not None and formset.is_valid():
            draft.prices = formset.prices()
            services.save_draft(draft=draft, user=request.user)
            if request.POST.get("then") == "add":
                messages.success(request, "Saved. Add another price below.")
                return redirect("my:listing_step", listing.public_id, "prices")
            return _after_step(request, listing, step)
        return render(
            request,
            "directory/my/listing_prices.html",
            _step_context(listing, step, draft, formset=formset),
        )

    if step == "about":
        form = AboutForm(data, initial=AboutForm.initial_from(draft))
    else:
        form = STEP_FORMS[step](data, instance=draft)
    if data is not None and form.is_valid():
        if step == "about":
            draft.title = form.cleaned_data["title"]
            draft.summary = form.cleaned_data["summary"]
            draft.description = services.text_to_html(form.cleaned_data["description"])
        else:
            draft = form.apply()
        services.save_draft(draft=draft, user=request.user)
        if step == "where" and draft.base_postcode and locate_postcode(draft.base_postcode) is None:
            # Saved anyway (the postcode is well formed); our postcode data may just lack it.
            messages.warning(
                request,
                f"We could not find {draft.base_postcode} on our map yet. A coordinator will check it. "
                "Until then, people searching by distance may not find you.",
            )
        return _after_step(request, listing, step)
    return render(
        request,
        "directory/my/listing_step.html",
        _step_context(listing, step, draft, form=form),
    )


@login_required
def listing_preview(request, listing_id):
    """The latest draft drawn with the public listing template, with the send-for-review button."""
    listing = get_listing_for_member(request.user, listing_id)
    draft = services.draft_of(listing)
    return render(
        request,
        "directory/my/listing_preview.html",
        {
            "page": draft,
            "self": draft,
            "listing": listing,
            "is_preview": True,
            "status": services.listing_status(listing),
            "missing": services.missing_steps(draft),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def listing_submit(request, listing_id):
    """Send the latest draft for review (starts or resumes the Wagtail workflow)."""
    listing = get_listing_for_member(request.user, listing_id)
    if request.method == "GET":
        return redirect("my:listing_preview", listing.public_id)
    try:
        services.submit_for_review(listing=listing, user=request.user)
    except services.ProviderAreaError as exc:
        messages.error(request, str(exc))
        return redirect("my:listing", listing.public_id)
    messages.success(
        request,
        "Your listing has been sent for review. We will email you when a coordinator has checked it.",
    )
    return redirect("my:listing", listing.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def listing_availability(request, listing_id):
    """Taking new people and usual availability, changed at once without review."""
    listing = get_listing_for_member(request.user, listing_id)
    draft = services.draft_of(listing)
    form = AvailabilityForm(
        request.POST or None, initial={"intake": draft.intake, "availability": draft.availability}
    )
    if request.method == "POST" and form.is_valid():
        services.update_availability(
            listing=listing,
            intake=form.cleaned_data["intake"],
            availability=form.cleaned_data["availability"],
        )
        messages.success(
            request,
            f"{draft.title}: your availability is updated"
            + (" and shown on your listing now." if listing.live else "."),
        )
        return redirect("my:dashboard")
    return render(
        request,
        "directory/my/availability_form.html",
        {"listing": listing, "draft": draft, "form": form},
    )


@login_required
@require_POST
def listing_confirm(request, listing_id):
    """The provider, signed in, says the listing is still right."""
    listing = get_listing_for_member(request.user, listing_id)
    services.confirm_listing(listing=listing)
    messages.success(request, f"Thank you. {listing.title} is confirmed as still right.")
    return redirect("my:dashboard")


# --- Evidence of checks -----------------------------------------------------------------


@login_required
def checks(request, provider_id):
    """The provider's evidence, with what is verified, expiring or expired."""
    provider = get_provider_for_member(request.user, provider_id)
    today = timezone.localdate()
    rows = [
        {"check": check, "flag": services.check_flag(check, today), "days_left": check.days_left(today)}
        for check in provider.checks.all()
    ]
    return render(request, "directory/my/checks.html", {"provider": provider, "rows": rows})


@login_required
@require_http_methods(["GET", "POST"])
def check_add(request, provider_id):
    """Upload evidence of a check. Nothing is stored unless every check on the file passes."""
    provider = get_provider_for_member(request.user, provider_id)
    form = CheckForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.add_check(
            provider=provider,
            kind=data["kind"],
            reference=data["reference"],
            issued_on=data["issued_on"],
            expires_on=data["expires_on"],
            upload=data["document"] or None,
        )
        messages.success(request, "Your evidence is saved. A coordinator will check it.")
        return redirect("my:checks", provider.public_id)
    return render(
        request,
        "directory/my/check_form.html",
        {"provider": provider, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def check_delete(request, check_id):
    """Remove a check and its document (after a confirmation page)."""
    check = get_check_for_member(request.user, check_id)
    if request.method == "POST":
        provider = check.provider
        services.remove_check(check=check)
        messages.success(request, "The evidence has been removed.")
        return redirect("my:checks", provider.public_id)
    return render(request, "directory/my/check_delete.html", {"check": check, "provider": check.provider})


@login_required
def check_document(request, check_id):
    """Download a check's document: the provider's own team and coordinators only."""
    if is_coordinator(request.user):
        check = get_object_or_404(Check, public_id=check_id)
    else:
        check = get_check_for_member(request.user, check_id)
    if not check.document:
        raise Http404("No document")
    try:
        handle = check.document.open("rb")
    except FileNotFoundError:
        logger.error("Evidence file missing for check %s", check.pk)
        raise Http404("No document") from None
    logger.info("Evidence for check %s read by user %s", check.pk, request.user.pk)
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=check.document_name or f"evidence{check.document.name[-4:]}",
        content_type=content_type_for(check.document.name),
    )
    # Personal data: no shared cache may keep a copy.
    response["Cache-Control"] = "private, no-store"
    return response


def cqc_self_check(request):
    """Four questions that say whether a service looks like it needs CQC registration."""
    form = CqcSelfCheckForm(request.POST or None)
    advice = None
    if request.method == "POST" and form.is_valid():
        advice = services.cqc_advice(**form.answers())
    return render(
        request,
        "directory/my/cqc_check.html",
        {"form": form, "advice": advice},
    )


# --- Claims, problem reports, confirm links -----------------------------------------------


def _public_listing(public_id) -> ListingPage:
    return get_object_or_404(
        ListingPage.objects.live().public().select_related("provider"), public_id=public_id
    )


@login_required
@require_http_methods(["GET", "POST"])
def claim(request, listing_id):
    """Ask to manage a listing nobody manages yet; a coordinator decides."""
    listing = _public_listing(listing_id)
    if listing.provider.members.filter(pk=request.user.pk).exists():
        return redirect("my:listing", listing.public_id)
    if listing.provider.is_claimed:
        return render(request, "directory/my/claim_form.html", {"listing": listing, "already_claimed": True})
    pending = Claim.objects.filter(listing=listing, user=request.user, status=Claim.Status.PENDING).first()
    form = ClaimForm(request.POST or None)
    if request.method == "POST" and not pending and form.is_valid():
        try:
            services.claim_listing(listing=listing, user=request.user, **form.cleaned_data)
        except services.AlreadyClaimed as exc:
            messages.error(request, str(exc))
            return redirect(listing.url)
        messages.success(request, f"Thank you. A coordinator will check your claim for {listing.title}.")
        return redirect("my:dashboard")
    return render(
        request,
        "directory/my/claim_form.html",
        {"listing": listing, "form": form, "pending": pending},
    )


@require_http_methods(["GET", "POST"])
def report_problem(request, listing_id):
    """Anyone can tell the coordinators something on a listing is wrong."""
    listing = _public_listing(listing_id)
    form = ProblemReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.report_problem(listing=listing, **form.cleaned_data)
        messages.success(request, "Thank you. We have sent your report to our coordinators.")
        return redirect(listing.url)
    return render(
        request,
        "directory/my/report_problem.html",
        {"listing": listing, "form": form},
    )


@require_http_methods(["GET", "POST"])
def confirm_by_link(request, token):
    """The link in the yearly email: a page with one button; only pressing it (a POST) confirms.

    Mail servers' link scanners open (GET) every link in an email, so opening must change nothing.
    The link works once, without signing in.
    """
    try:
        listing = listing_for_token(token)
    except BadConfirmationLink as exc:
        return render(request, "directory/my/confirm_link.html", {"problem": str(exc)}, status=400)
    if request.method == "POST":
        services.confirm_listing(listing=listing)
        return render(request, "directory/my/confirm_link.html", {"listing": listing, "confirmed": True})
    return render(request, "directory/my/confirm_link.html", {"listing": listing})

"""Meet first, then agree (the rule is in `services/meet_first.py`; docs/meet-first.md).

The person's side works under /budget/meet-first/: the list, asking from a listing, a meeting
(choose a time), the "go ahead?" answer, calling it off, and the request step, which opens the
usual request form only when both sides said yes. The provider's team works under
/my/meet-first/: the list, a meeting (offer times), the answer and calling it off.

Each view finds the meeting through a queryset limited to what the person may see (the holder's
side through `budgets_for`, the provider's through its team), so anyone else's id answers 404,
exactly like one that does not exist; a helper whose level is too low for an action gets 403.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from directory.models import ListingPage

from . import audit
from .acting import REQUEST, acting_for, budgets_for, can, choose_person, current_acting
from .meet_forms import AskMeetFirstForm, ChooseTimeForm, DecideForm, OfferTimesForm
from .models import MeetFirst
from .services import meet_first
from .services.common import MarketplaceError, NotPermitted

NOT_ALLOWED = "The person you help has not let you ask for support for them."


def _holder_meet(user, meet_id) -> MeetFirst:
    """A meeting of a budget `user` may see (holder or active helper); otherwise 404."""
    return get_object_or_404(
        MeetFirst.objects.select_related("budget__holder", "provider", "listing", "plan_outcome"),
        public_id=meet_id,
        budget__in=budgets_for(user),
    )


def _provider_meet(user, meet_id) -> MeetFirst:
    """A meeting with a provider `user` is in the team of; otherwise 404."""
    return get_object_or_404(
        MeetFirst.objects.select_related("budget__holder", "provider", "listing", "plan_outcome"),
        public_id=meet_id,
        provider__members=user,
    )


def _need_request(user, meet):
    if not can(user, meet.budget, REQUEST):
        raise PermissionDenied(NOT_ALLOWED)


def _refusal(request, exc, where):
    """A service's refusal as a message (or 403 when it is about permission)."""
    if isinstance(exc, NotPermitted):
        raise PermissionDenied(str(exc)) from exc
    messages.error(request, str(exc))
    return redirect(*where)


def _form_error(form, exc) -> None:
    field = getattr(exc, "field", None)
    form.add_error(field if field in form.fields else None, str(exc))


# --- The person's side ---------------------------------------------------------------------------


@login_required
@require_GET
def meet_first_list(request):
    """Meetings asked for on the budget the person works on, newest first."""
    current = current_acting(request)
    if current is None:
        if budgets_for(request.user).exists():
            return choose_person(request)
        return redirect("marketplace:budget_setup")
    meets = MeetFirst.objects.filter(budget=current.budget).select_related("provider", "listing")
    return render(request, "marketplace/meet_first/list.html", {"acting": current, "meets": meets})


@login_required
@require_http_methods(["GET", "POST"])
def meet_first_new(request, listing_id):
    """Ask a listing's provider to meet first."""
    listing = get_object_or_404(ListingPage.objects.live().select_related("provider"), public_id=listing_id)
    current = current_acting(request)
    if current is None:
        if budgets_for(request.user).exists():
            return choose_person(request)
        return redirect("marketplace:budget_setup")
    if not current.may_request:
        raise PermissionDenied(NOT_ALLOWED)
    form = AskMeetFirstForm(request.POST or None, budget=current.budget)
    if request.method == "POST" and form.is_valid():
        try:
            meet = meet_first.ask(
                budget=current.budget, by=request.user, listing=listing, **form.cleaned_data
            )
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except MarketplaceError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request, f"Sent. We will email you when {listing.provider.name} offers some times."
            )
            return redirect("marketplace:meet_first_detail", meet.public_id)
    return render(
        request, "marketplace/meet_first/new.html", {"acting": current, "listing": listing, "form": form}
    )


def _detail_context(request, meet, **extra):
    return {
        "meet": meet,
        "answers": meet_first.answers_for(meet, request.user),
        "may_decide": meet_first.may_decide(request.user, meet),
        "request_open": meet_first.request_step_open(meet),
        **extra,
    }


@login_required
@require_GET
def meet_first_detail(request, meet_id):
    """A meeting as the person's side sees it: where it has got to, and what they can do next."""
    meet = _holder_meet(request.user, meet_id)
    standing = acting_for(request.user, meet.budget)
    audit.record(actor=request.user, action="viewed_meet_first", budget=meet.budget, obj=meet)
    form = (
        ChooseTimeForm(meet=meet)
        if meet.status == MeetFirst.Status.OFFERED and standing.may_request
        else None
    )
    return render(
        request,
        "marketplace/meet_first/detail.html",
        _detail_context(request, meet, acting=standing, choose_form=form),
    )


@login_required
@require_POST
def meet_first_choose(request, meet_id):
    """Pick one of the offered times."""
    meet = _holder_meet(request.user, meet_id)
    _need_request(request.user, meet)
    form = ChooseTimeForm(request.POST, meet=meet)
    if form.is_valid():
        try:
            meet_first.choose_time(meet=meet, by=request.user, chosen=form.cleaned_data["chosen"])
        except MarketplaceError as exc:
            if isinstance(exc, NotPermitted):
                raise PermissionDenied(str(exc)) from exc
            _form_error(form, exc)
        else:
            messages.success(request, f"Time chosen. We have told {meet.provider.name}.")
            return redirect("marketplace:meet_first_detail", meet.public_id)
    return render(
        request,
        "marketplace/meet_first/detail.html",
        _detail_context(request, meet, acting=acting_for(request.user, meet.budget), choose_form=form),
    )


def _decide(request, meet, *, template_base, back):
    """The "go ahead?" form for either side."""
    if not meet_first.may_decide(request.user, meet):
        messages.info(request, "There is nothing to answer here now.")
        return redirect(*back)
    form = DecideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meet_first.decide(meet=meet, by=request.user, **form.cleaned_data)
        except MarketplaceError as exc:
            return _refusal(request, exc, back)
        messages.success(request, "Your answer is saved.")
        return redirect(*back)
    return render(
        request, "marketplace/meet_first/answer.html", {"meet": meet, "form": form, **template_base}
    )


@login_required
@require_http_methods(["GET", "POST"])
def meet_first_answer(request, meet_id):
    """After meeting: does the person want to go ahead?"""
    meet = _holder_meet(request.user, meet_id)
    _need_request(request.user, meet)
    return _decide(
        request,
        meet,
        template_base={"acting": acting_for(request.user, meet.budget), "as_provider": False},
        back=("marketplace:meet_first_detail", meet.public_id),
    )


def _cancel(request, meet, *, template_base, back):
    if request.method == "POST":
        try:
            meet_first.cancel(meet=meet, by=request.user)
        except MarketplaceError as exc:
            return _refusal(request, exc, back)
        messages.success(request, "The meeting is called off. We have told the other side.")
        return redirect(*back)
    return render(request, "marketplace/meet_first/cancel.html", {"meet": meet, **template_base})


@login_required
@require_http_methods(["GET", "POST"])
def meet_first_cancel(request, meet_id):
    """Call the meeting off (a confirm page, then a POST)."""
    meet = _holder_meet(request.user, meet_id)
    _need_request(request.user, meet)
    return _cancel(
        request,
        meet,
        template_base={"acting": acting_for(request.user, meet.budget), "as_provider": False},
        back=("marketplace:meet_first_detail", meet.public_id),
    )


@login_required
@require_GET
def meet_first_request(request, meet_id):
    """The request step: the usual request form for the listing, open only when both said yes."""
    meet = _holder_meet(request.user, meet_id)
    _need_request(request.user, meet)
    if not meet_first.request_step_open(meet):
        messages.info(request, "You can ask for support here once you and the provider have both said yes.")
        return redirect("marketplace:meet_first_detail", meet.public_id)
    target = reverse("marketplace:request_new", args=[meet.listing.public_id])
    if meet.plan_outcome is not None and not meet.plan_outcome.archived:
        target += "?" + urlencode({"outcome": meet.plan_outcome.outcome.slug})
    return redirect(target)


# --- The provider's side ----------------------------------------------------------------------------


@login_required
@require_GET
def provider_meet_first_list(request):
    """Meetings people asked for with every provider the person works for."""
    meets = MeetFirst.objects.filter(provider__members=request.user).select_related(
        "provider", "listing", "budget__holder"
    )
    return render(
        request,
        "marketplace/meet_first/provider_list.html",
        {
            "open_meets": [m for m in meets if m.is_open],
            "other_meets": [m for m in meets if not m.is_open],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_meet_first_detail(request, meet_id):
    """A meeting as the provider sees it, with the form to offer times."""
    meet = _provider_meet(request.user, meet_id)
    may_offer = meet.status in (MeetFirst.Status.ASKED, MeetFirst.Status.OFFERED)
    form = OfferTimesForm(request.POST or None, initial={"where": meet.where}) if may_offer else None
    if request.method == "POST":
        if form is None:
            messages.info(request, "A time has already been chosen, or this meeting was called off.")
            return redirect("marketplace:provider_meet_first_detail", meet.public_id)
        if form.is_valid():
            try:
                meet_first.offer_times(
                    meet=meet,
                    by=request.user,
                    times=form.cleaned_data["times"],
                    where=form.cleaned_data["where"],
                )
            except NotPermitted as exc:
                raise PermissionDenied(str(exc)) from exc
            except MarketplaceError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, "Times sent. We will email you when one is chosen.")
                return redirect("marketplace:provider_meet_first_detail", meet.public_id)
    return render(
        request,
        "marketplace/meet_first/provider_detail.html",
        _detail_context(request, meet, offer_form=form, as_provider=True),
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_meet_first_answer(request, meet_id):
    """After meeting: does the provider want to go ahead?"""
    meet = _provider_meet(request.user, meet_id)
    return _decide(
        request,
        meet,
        template_base={"as_provider": True},
        back=("marketplace:provider_meet_first_detail", meet.public_id),
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_meet_first_cancel(request, meet_id):
    """The provider calls the meeting off (a confirm page, then a POST)."""
    meet = _provider_meet(request.user, meet_id)
    return _cancel(
        request,
        meet,
        template_base={"as_provider": True},
        back=("marketplace:provider_meet_first_detail", meet.public_id),
    )

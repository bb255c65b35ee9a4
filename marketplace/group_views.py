"""Pages for pooled purchases: providers offer group activities; holders find, join and leave them.

Providers see only their own team's activities (another provider's id is a 404). Holders
act for the budget they are working on (`acting.chosen_budget`); what they may do with
it is checked by the services (`pooling`), which refuse view-only helpers. Each view makes
one domain call and renders.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST

from directory.models import Provider

from .acting import PAY, REQUEST, can, chosen_budget
from .group_forms import GroupActivityForm, JoinForm
from .models import GroupActivity, Order, PlanOutcome, ProviderPaymentAccount
from .services import pooling
from .services.budgets import left_pence, open_periods
from .services.common import (
    MarketplaceError,
    NotPermitted,
    PaymentServiceUnavailable,
    ProviderNotReadyForPayments,
)
from .services.payments import payment_readiness, refresh_payment_account, start_onboarding


def _bound(request):
    return request.POST if request.method == "POST" else None


# --- The provider's side ----------------------------------------------------------------------


def _member_activities(user):
    return pooling.with_places_taken(GroupActivity.objects.filter(provider__members=user)).select_related(
        "provider", "listing"
    )


@login_required
def provider_groups(request):
    """Every group activity the person's providers offer, with how many have joined."""
    providers = list(Provider.objects.filter(members=request.user))
    accounts = {a.provider_id: a for a in ProviderPaymentAccount.objects.filter(provider__in=providers)}
    return render(
        request,
        "marketplace/groups/provider_list.html",
        {
            "providers": providers,
            "activities": _member_activities(request.user).order_by("-created_at"),
            "not_ready": [p for p in providers if payment_readiness(accounts.get(p.pk))],
        },
    )


PREFILLED = ("listing", "title", "when", "unit", "unit_price", "places", "min_places")


def _initial_from(params) -> dict:
    """What a link may pre-fill in the group form: plain values, checked again when saved."""
    return {key: params[key][:200] for key in PREFILLED if params.get(key)}


def _prefilled_query(params) -> str:
    """The pre-filled values (and the proposal's id) of the group form's address, so a detour
    to set up payments comes back to the form as it was."""
    return urlencode({key: params[key][:200] for key in (*PREFILLED, "proposal") if params.get(key)})


def _group_form_url(query: str) -> str:
    return reverse("marketplace:provider_group_new") + (f"?{query}" if query else "")


def _payments_first(form, providers) -> list[tuple[Provider, list[str]]]:
    """The providers who must set up payments before the form can be saved, with why.

    The pre-filled listing's provider when it is not ready (a chosen group proposal's link);
    otherwise, when none of the providers with a listing is ready, all of them.
    """
    accounts = {a.provider_id: a for a in ProviderPaymentAccount.objects.filter(provider__in=providers)}
    reasons = {p.pk: payment_readiness(accounts.get(p.pk)) for p in providers}
    chosen = form.listings.get(str(form.initial.get("listing", "")))
    if chosen is not None:
        blocked = {chosen.provider_id} if reasons[chosen.provider_id] else set()
    else:
        with_listings = {listing.provider_id for listing in form.listings.values()}
        blocked = with_listings if all(reasons[pk] for pk in with_listings) else set()
    return [(p, reasons[p.pk]) for p in providers if p.pk in blocked]


@login_required
@require_http_methods(["GET", "POST"])
def provider_group_new(request):
    """Offer a new group activity from one of the provider's live listings."""
    providers = list(Provider.objects.filter(members=request.user))
    if not providers:
        raise PermissionDenied("Only providers can offer group activities.")
    # A link from a chosen group proposal pre-fills the form (signposting's `activity_link`);
    # the proposal's id stays in the address, so saving hands the proposal over.
    form = GroupActivityForm(_bound(request), providers=providers, initial=_initial_from(request.GET))
    blocked = _payments_first(form, providers) if form.listings else []
    if request.method == "GET" and blocked:
        # Saving would be refused (places are paid through the site): say so before anyone
        # types, and send them to set up payments and back here with the same pre-filled values.
        return render(
            request,
            "marketplace/groups/provider_payments_first.html",
            {"blocked": blocked, "initial": form.initial, "query": _prefilled_query(request.GET)},
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        listing = data["listing"]
        try:
            activity = pooling.create_activity(
                provider=listing.provider,
                by=request.user,
                listing=listing,
                title=data["title"],
                description=data["description"],
                when=data["when"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                unit=data["unit"],
                units_per_place=data["units_per_place"],
                unit_price_pence=data["unit_price"],
                places=data["places"],
                min_places=data["min_places"],
                join_by=data["join_by"],
                if_not_filled=data["if_not_filled"],
                proposal=request.GET.get("proposal", ""),
            )
        except ProviderNotReadyForPayments as exc:
            form.add_error(None, " ".join([str(exc), *exc.reasons]))
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except MarketplaceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"“{activity.title}” is on your listing. People can join it now.")
            return redirect("marketplace:provider_group_detail", activity.public_id)
    return render(
        request,
        "marketplace/groups/provider_form.html",
        {"form": form, "has_listings": bool(form.listings)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def provider_group_payments(request, provider_id):
    """Set up payments with Stripe on the way to the group form, coming back to it afterwards.

    A POST from "Set up payments first"; Stripe sends people back here with a GET when its
    link has expired (like `views.provider_onboarding_refresh`). The form's pre-filled values
    ride along in the address, to Stripe and back.
    """
    provider = get_object_or_404(Provider, public_id=provider_id, members=request.user)
    query = _prefilled_query(request.GET)
    suffix = f"?{query}" if query else ""
    try:
        url = start_onboarding(
            provider=provider,
            by=request.user,
            refresh_url=request.build_absolute_uri(
                reverse("marketplace:provider_group_payments", args=[provider.public_id]) + suffix
            ),
            return_url=request.build_absolute_uri(
                reverse("marketplace:provider_group_payments_return", args=[provider.public_id]) + suffix
            ),
        )
    except MarketplaceError as exc:
        messages.error(request, str(exc))
        return redirect(_group_form_url(query))
    return redirect(url)


@login_required
def provider_group_payments_return(request, provider_id):
    """Back from Stripe: check the account now and go back to the group form as it was (it
    says again what is missing if payments are still not ready)."""
    provider = get_object_or_404(Provider, public_id=provider_id, members=request.user)
    try:
        account = refresh_payment_account(provider=provider, by=request.user)
    except PaymentServiceUnavailable as exc:
        messages.error(request, str(exc))
    else:
        if not payment_readiness(account):
            messages.success(request, "Payments are set up. Check the details and offer the activity.")
    return redirect(_group_form_url(_prefilled_query(request.GET)))


@login_required
def provider_group_detail(request, activity_id):
    """One of the provider's group activities: who has joined and where each share is."""
    activity = get_object_or_404(_member_activities(request.user), public_id=activity_id)
    shares = activity.shares.select_related("budget__holder", "request", "plan_outcome__outcome").order_by(
        "created_at"
    )
    return render(
        request,
        "marketplace/groups/provider_detail.html",
        {"activity": activity, "shares": shares},
    )


# --- The holder's side ------------------------------------------------------------------------


@login_required
def group_activities(request):
    """Group activities open to join, and the ones the holder has joined."""
    budget = chosen_budget(request)
    activities = pooling.joinable_activities().order_by("join_by", "starts_on", "pk")
    joined = []
    if budget is not None:
        open_periods(budget=budget)
        joined = list(
            Order.objects.filter(budget=budget, activity__isnull=False)
            .select_related("activity__provider")
            .order_by("-created_at")
        )
        taken_ids = {o.activity_id for o in joined if o.status in pooling.TAKEN}
        activities = [a for a in activities if a.pk not in taken_ids and a.taken < a.places]
    else:
        activities = [a for a in activities if a.taken < a.places]
    for activity in activities:
        activity.places_left = activity.places - activity.taken
    return render(
        request,
        "marketplace/groups/list.html",
        {
            "activities": activities,
            "joined": joined,
            "budget": budget,
            "left_pence": left_pence(budget=budget) if budget else None,
        },
    )


def _visible_activity(user, activity_id) -> GroupActivity:
    return get_object_or_404(
        pooling.with_places_taken(
            GroupActivity.objects.filter(pk__in=pooling.activities_visible_to(user).values("pk"))
        ).select_related("provider", "listing"),
        public_id=activity_id,
    )


def _detail(request, activity, form=None, status=200):
    budget = chosen_budget(request)
    share = pooling.share_for(activity, budget)
    past_shares = []
    can_join = False
    if budget is not None:
        open_periods(budget=budget)
        past_shares = list(
            activity.shares.filter(budget=budget).exclude(status__in=pooling.TAKEN).order_by("-created_at")
        )
        can_join = can(request.user, budget, REQUEST)
    has_outcomes = bool(budget and PlanOutcome.objects.filter(plan__budget=budget, archived=False).exists())
    today = timezone.localdate()
    joinable = (
        activity.status in pooling.JOINABLE
        and today <= activity.join_by
        and activity.taken < activity.places
        and activity.listing.live
    )
    if form is None and budget is not None and can_join and has_outcomes:
        form = JoinForm(budget=budget)
    left = left_pence(budget=budget) if budget else None
    return render(
        request,
        "marketplace/groups/detail.html",
        {
            "activity": activity,
            "places_left": max(activity.places - activity.taken, 0),
            "budget": budget,
            "share": share,
            "past_shares": past_shares,
            "can_join": can_join,
            "can_pay": bool(budget and can(request.user, budget, PAY)),
            "has_outcomes": has_outcomes,
            "joinable": joinable,
            "can_leave": bool(share and can_join and today <= activity.join_by),
            "left_pence": left,
            "left_after_pence": None if left is None else left - activity.price_per_place_pence,
            "not_filled": pooling.not_filled_wording(activity),
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def group_activity(request, activity_id):
    """One group activity: what it is, places left, and joining it for one plan outcome."""
    activity = _visible_activity(request.user, activity_id)
    if request.method == "GET":
        return _detail(request, activity)
    budget = chosen_budget(request)
    if budget is None:
        return redirect("marketplace:budget_setup")
    form = JoinForm(request.POST, budget=budget)
    if form.is_valid():
        try:
            order = pooling.join_activity(
                activity=activity,
                budget=budget,
                by=request.user,
                plan_outcome=form.cleaned_data["plan_outcome"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except MarketplaceError as exc:
            form.add_error(None, str(exc))
        else:
            if order.status == Order.Status.RESERVED:
                messages.success(request, "You have joined. Your place is held: you do not pay anything yet.")
            else:
                messages.success(request, "You have joined. Now pay for your place.")
            return redirect("marketplace:group_activity", activity.public_id)
    activity = _visible_activity(request.user, activity_id)  # places may have changed
    return _detail(request, activity, form=form)


@login_required
@require_POST
def group_leave(request, activity_id):
    """Give up the holder's place (cancelled, or refunded if paid) before the last day to join."""
    activity = _visible_activity(request.user, activity_id)
    share = pooling.share_for(activity, chosen_budget(request))
    if share is None:
        messages.error(request, "You do not have a place in this group.")
        return redirect("marketplace:group_activity", activity.public_id)
    try:
        share = pooling.leave_activity(order=share, by=request.user)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    except MarketplaceError as exc:
        messages.error(request, str(exc))
    else:
        if share.status == Order.Status.REFUNDED:
            messages.success(request, "You have left the group. Your money is on its way back.")
        else:
            messages.success(request, "You have left the group. Nothing was charged.")
    return redirect("marketplace:group_activity", activity.public_id)

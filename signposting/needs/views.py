"""Pages for needs: the public list and each need (no name, no place finer than a district),
posting and withdrawing, offers from providers, choosing one, and "Start something local".

Each page checks who is asking, makes one service call and renders. Someone else's need is
shown as the public sees it; its offers only to the person who posted it.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from directory import geo

from ..models import DemandAlert, Need, Offer
from . import alerts, demand, groups, services, supply
from .forms import (
    DemandAlertForm,
    GroupProposalForm,
    JoinGroupForm,
    NeedFilterForm,
    NeedForm,
    NewListingOfferForm,
    OfferForm,
)

GET_POST = require_http_methods(["GET", "POST"])
PER_PAGE = 20


def _district_filter(text: str) -> str:
    """The outward code in a filter box ("bl3", "BL3 4AB" -> "BL3"), or "" when it is not one."""
    try:
        return geo.parse_postcode(text).outward if text.strip() else ""
    except geo.InvalidPostcode:
        return ""


@require_GET
def need_list(request):
    """Open needs, newest first, filtered by district and outcome; works without JavaScript."""
    filters = NeedFilterForm(request.GET or None)
    district = outcome = ""
    if filters.is_valid():
        district = _district_filter(filters.cleaned_data["district"])
        outcome = filters.cleaned_data["outcome"]
    needs = services.public_needs(district=district, outcome=outcome)
    page = Paginator(needs, PER_PAGE).get_page(request.GET.get("page"))
    query_string = urlencode({k: v for k, v in (("district", district), ("outcome", outcome)) if v})
    return render(
        request,
        "signposting/needs/list.html",
        {"filters": filters, "page_obj": page, "district": district, "query_string": query_string},
    )


@require_GET
def need_detail(request, need_id):
    """One need: the public's view, or the poster's with offers to choose from."""
    need = get_object_or_404(Need.objects.select_related("district"), public_id=need_id)
    if request.user.is_authenticated and need.posted_by_id == request.user.pk:
        offers = list(services.offers_for(need=need, by=request.user))
        chosen = next((o for o in offers if o.status == Offer.Status.ACCEPTED), None)
        request_link = services.request_link(offer=chosen) if chosen else ""
        if chosen and need.is_group:
            request_link = need.activity_url
        return render(
            request,
            "signposting/needs/mine.html",
            {
                "need": need,
                "offers": offers,
                "request_link": request_link,
                "joined": services.people_joined(need) if need.is_group else 0,
            },
        )
    # Someone who joined a group proposal still sees it once an offer is chosen (to take
    # their place in the group activity); everyone else sees only open needs.
    member = groups.membership(need, request.user)
    if not need.is_open() and member is None:
        raise Http404("This need is no longer shown.")
    can_offer = need.is_open() and any(n.pk == need.pk for n, _ in services.needs_near(user=request.user))
    context = {
        "need": need,
        "can_offer": can_offer,
        "member": member,
        "can_start_listing": need.is_open() and supply.providers_of(request.user).exists(),
    }
    if need.is_group:
        context["joined"] = services.people_joined(need)
        context["join_form"] = JoinGroupForm()
    return render(request, "signposting/needs/detail.html", context)


@GET_POST
@login_required
def need_new(request):
    """Post a need."""
    form = NeedForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            need = services.post_need(
                by=request.user,
                outcomes=data["outcomes"],
                own_words=data["own_words"],
                district=data["postcode"],
                availability=data["availability"],
                frequency=data["frequency"],
                budget_min_pence=data["budget_min"],
                budget_max_pence=data["budget_max"],
                could_share=data["could_share"],
                expires_in_weeks=data["expires_in_weeks"],
                posted_for=data["posted_for"],
            )
        except services.SignpostingError as exc:
            form.add_error(None, str(exc))
        else:
            note = (
                f" We kept only {need.district.code} from the postcode you typed."
                if form.postcode_was_cut
                else ""
            )
            messages.success(request, f"Your need is published, without your name.{note}")
            return redirect("signposting:need", need.public_id)
    return render(request, "signposting/needs/form.html", {"form": form})


@GET_POST
@login_required
def group_new(request):
    """Propose a group: a need several people nearby could share, with a group size."""
    form = GroupProposalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            need = groups.propose_group(
                by=request.user,
                min_people=data["min_people"],
                max_people=data["max_people"],
                places=data["places"],
                consent=data["consent"],
                outcomes=data["outcomes"],
                own_words=data["own_words"],
                district=data["postcode"],
                availability=data["availability"],
                frequency=data["frequency"],
                budget_min_pence=data["budget_min"],
                budget_max_pence=data["budget_max"],
                expires_in_weeks=data["expires_in_weeks"],
                posted_for=data["posted_for"],
            )
        except services.SignpostingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, "Your group is proposed, without your name. People nearby can join it now."
            )
            return redirect("signposting:need", need.public_id)
    return render(request, "signposting/needs/group_form.html", {"form": form})


@require_POST
@login_required
def group_join(request, need_id):
    """Join a group proposal (for oneself, or with consent for several people)."""
    need = get_object_or_404(Need.objects.select_related("district"), public_id=need_id)
    if not need.is_group or not need.is_open():
        raise Http404("This group is no longer taking people.")
    form = JoinGroupForm(request.POST)
    if form.is_valid():
        try:
            groups.join_group(
                need=need,
                by=request.user,
                places=form.cleaned_data["places"],
                consent=form.cleaned_data["consent"],
            )
        except services.SignpostingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, "You joined the group. We will email you when a provider is ready to run it."
            )
            return redirect("signposting:need", need.public_id)
    context = {
        "need": need,
        "member": None,
        "joined": services.people_joined(need),
        "join_form": form,
    }
    return render(request, "signposting/needs/detail.html", context, status=400)


@require_POST
@login_required
def group_leave(request, need_id):
    """Leave a group proposal before an offer is chosen."""
    need = get_object_or_404(Need, public_id=need_id, members__user=request.user)
    try:
        groups.leave_group(need=need, by=request.user)
    except (services.SignpostingError, services.NotAllowed) as exc:
        messages.error(request, str(exc))
        return redirect("signposting:need", need.public_id)
    messages.success(request, "You left the group.")
    return redirect("signposting:needs")


@require_GET
@login_required
def needs_mine(request):
    """The needs this account posted, open and closed."""
    return render(request, "signposting/needs/yours.html", {"needs": services.needs_of(user=request.user)})


@require_POST
@login_required
def need_withdraw(request, need_id):
    """Take a need down."""
    need = get_object_or_404(Need, public_id=need_id, posted_by=request.user)
    services.withdraw_need(need=need, by=request.user)
    messages.success(request, "Your need is taken down. Nobody can see it or offer on it now.")
    return redirect("signposting:needs_mine")


@GET_POST
@login_required
def need_offer(request, need_id):
    """A provider offers to meet a need from one of their listings that matches it."""
    need = get_object_or_404(Need.objects.select_related("district"), public_id=need_id)
    if not need.is_open():
        raise Http404("This need is no longer shown.")
    listings = next((found for n, found in services.needs_near(user=request.user) if n.pk == need.pk), None)
    if not listings:
        raise PermissionDenied("Only providers with a listing that could meet this need can offer.")
    form = OfferForm(request.POST or None, listings=listings)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.make_offer(
                need=need,
                listing=data["listing"],
                by=request.user,
                price_pence=data["price"],
                price_unit=data["price_unit"],
                message=data["message"],
            )
        except services.SignpostingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, "Your offer is sent. If the person chooses it, they will send you a request."
            )
            return redirect("signposting:needs_near_you")
    return render(request, "signposting/needs/offer_form.html", {"need": need, "form": form})


@GET_POST
@login_required
def need_offer_new_listing(request, need_id):
    """A provider with no listing that could meet a need offers from a new one: the offer is
    kept, and they go to the listing wizard pre-filled with the need's outcome and district."""
    need = get_object_or_404(Need.objects.select_related("district"), public_id=need_id)
    if not need.is_open():
        raise Http404("This need is no longer shown.")
    providers = list(supply.providers_of(request.user))
    if not providers:
        raise PermissionDenied("Only providers can offer on a need.")
    form = NewListingOfferForm(request.POST or None, providers=providers)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            supply.offer_from_new_listing(
                need=need,
                provider=data["provider"],
                by=request.user,
                price_pence=data["price"],
                price_unit=data["price_unit"],
                message=data["message"],
            )
        except services.SignpostingError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                "Your offer is kept. Make your listing now: once a coordinator has approved it, "
                "we send your offer to the person.",
            )
            return redirect(supply.wizard_link(need=need, provider=data["provider"]))
    return render(request, "signposting/needs/offer_new_listing.html", {"need": need, "form": form})


@require_POST
@login_required
def offer_accept(request, offer_id):
    """The poster chooses an offer and goes on to ask the provider for support."""
    offer = get_object_or_404(
        Offer.objects.select_related("need", "listing"), public_id=offer_id, need__posted_by=request.user
    )
    try:
        link = services.accept_offer(offer=offer, by=request.user)
    except (services.NeedClosed, services.NotEnoughPeople) as exc:
        messages.error(request, str(exc))
        return redirect("signposting:need", offer.need.public_id)
    if offer.need.is_group:
        messages.success(
            request,
            f"You chose {offer.listing.title}. We have asked them to set up the group; everyone "
            "who joined gets an email when they can take their place.",
        )
    else:
        messages.success(
            request, f"You chose {offer.listing.title}. Now ask them for support and agree the details."
        )
    return redirect(link)


@require_GET
@login_required
def needs_near_you(request):
    """Providers: open needs their listings could meet, with the offers they made."""
    found = services.needs_near(user=request.user)
    offered = set(Offer.objects.filter(made_by=request.user).values_list("need_id", flat=True))
    rows = [{"need": need, "listings": listings, "offered": need.pk in offered} for need, listings in found]
    has_listings = services.listings_of(user=request.user).exists()
    return render(request, "signposting/needs/near_you.html", {"rows": rows, "has_listings": has_listings})


@require_GET
def start_something_local(request):
    """Demand by district and outcome (small counts suppressed) beside the guide to starting."""
    district = _district_filter(request.GET.get("district", ""))
    rows = demand.demand_table(district=district)
    return render(
        request,
        "signposting/needs/start_something_local.html",
        {
            "rows": rows,
            "district": district,
            "district_typed": request.GET.get("district", "")[:10],
            "threshold": services.demand_threshold(),
            "guide": demand.guide(request),
            "map_points": demand.map_points(rows),
            "map_tile_url": settings.MAP_TILE_URL,
        },
    )


@GET_POST
@login_required
def demand_alerts(request):
    """Would-be providers: the alerts they asked for, and a form to add one."""
    initial = {"postcode": _district_filter(request.GET.get("district", ""))}
    form = DemandAlertForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            alert, new = alerts.register_alert(
                user=request.user,
                outcome=form.cleaned_data["outcome"],
                district=form.cleaned_data["postcode"],
            )
        except services.SignpostingError as exc:
            form.add_error(None, str(exc))
        else:
            where = f"“{alert.outcome.label}” in {alert.district.code}"
            messages.success(
                request,
                f"We will email you when more people ask for {where}."
                if new
                else f"You already have an alert for {where}.",
            )
            return redirect("signposting:demand_alerts")
    return render(
        request,
        "signposting/needs/alerts.html",
        {"form": form, "alerts": alerts.alerts_of(user=request.user)},
    )


@require_POST
@login_required
def demand_alert_delete(request, alert_id):
    """Stop one of the person's demand alerts."""
    alert = get_object_or_404(DemandAlert, public_id=alert_id, user=request.user)
    alerts.remove_alert(alert=alert, by=request.user)
    messages.success(request, "That alert is stopped.")
    return redirect("signposting:demand_alerts")

"""Pages for helpers (delegates): the holder's list of helpers (invite, change, withdraw), the
invitation a helper accepts or declines, and "switch person" for people who help several.

Whose budget a person is working on now is answered by `marketplace.acting` (their choice
on the switch page is kept in their session through `acting.choose` and `acting.forget`).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from directory.models import ListingPage

from .acting import (
    MANAGE,
    acting_for,
    budgets_for,
    can,
    choose,
    choose_person,
    current_acting,
    forget,
    holder_name,
)
from .delegate_forms import (
    ChangeDelegateForm,
    InviteDelegateForm,
    SwitchBudgetForm,
    permission_flags,
    permission_initial,
)
from .models import AuditEvent, Delegate
from .services import delegation
from .services.common import NotPermitted

# How many of the helpers' latest actions the holder sees on the helpers page.
RECENT_ACTIONS = 20


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@login_required
@require_http_methods(["GET", "POST"])
def switch_budget(request):
    """Choose whose budget to work on, for people who can see more than one."""
    form = SwitchBudgetForm(request.POST if request.method == "POST" else None, user=request.user)
    choices = form.fields["budget"].choices
    if len(choices) < 2:
        return redirect("marketplace:dashboard")
    current = current_acting(request)
    if request.method == "GET" and current is not None:
        form.initial["budget"] = str(current.budget.public_id)
    if request.method == "POST" and form.is_valid():
        choose(request, form.cleaned_data["budget"])
        chosen = dict(choices)[form.cleaned_data["budget"]]
        messages.success(request, f"You are now working on: {chosen}.")
        return redirect(_safe_next(request, reverse("marketplace:dashboard")))
    helping = (
        Delegate.objects.filter(user=request.user, status=Delegate.Status.ACTIVE)
        .select_related("budget__holder")
        .order_by("pk")
    )
    return render(
        request,
        "marketplace/delegates/switch.html",
        {
            "form": form,
            "next": _safe_next(request, ""),
            "helping": helping,
            "acting": current,
        },
    )


# --- The holder's helpers ----------------------------------------------------------------


def _managed_budget(request):
    """(acting, None) for the holder, or (None, a redirect) when there is no budget chosen."""
    current = current_acting(request)
    if current is None:
        if budgets_for(request.user).exists():
            return None, choose_person(request)
        return None, redirect("marketplace:dashboard")
    if not current.may_manage:
        raise PermissionDenied("Only the budget holder can choose who helps and what they may do.")
    return current, None


def _recent_actions(budget, helpers):
    """The helpers' latest actions on this budget, newest first, with who did each."""
    names = {d.user_id: d.name for d in helpers if d.user_id}
    if not names:
        return []
    events = AuditEvent.objects.filter(budget=budget, actor_id__in=names).order_by("-sequence")[
        :RECENT_ACTIONS
    ]
    from .audit import describe

    return [{"when": e.occurred_at, "who": names[e.actor_id], "what": describe(e.action)} for e in events]


@login_required
@require_http_methods(["GET", "POST"])
def delegates(request):
    """The holder's helpers: who, their status, what each may do; invite someone new."""
    current, response = _managed_budget(request)
    if response:
        return response
    budget = current.budget
    form = InviteDelegateForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegate = delegation.invite_delegate(
                budget=budget,
                by=request.user,
                name=data["name"],
                email=data["email"],
                relationship=data["relationship"],
                **permission_flags(data["permissions"]),
            )
        except delegation.DelegationError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request,
                f"We have emailed an invitation to {delegate.name} at {delegate.email}. "
                "It works for 14 days.",
            )
            return redirect("marketplace:delegates")
    helpers = list(budget.delegates.select_related("user").order_by("-created_at"))
    current_helpers = [d for d in helpers if d.status in (Delegate.Status.ACTIVE, Delegate.Status.INVITED)]
    past_helpers = [d for d in helpers if d not in current_helpers]
    now = timezone.now()
    for helper in helpers:
        helper.abilities = delegation.delegate_abilities(helper)
        helper.expired = helper.status == Delegate.Status.INVITED and (
            helper.invite_expires_at is None or helper.invite_expires_at <= now
        )
    return render(
        request,
        "marketplace/delegates/list.html",
        {
            "form": form,
            "current_helpers": current_helpers,
            "past_helpers": past_helpers,
            "recent_actions": _recent_actions(budget, helpers),
            "acting": current,
        },
    )


# A broker's or advocate's listing carries this category; inviting them from it suggests this level.
BROKERS_CATEGORY = "brokers-and-advocates"
SUGGESTED_PERMISSIONS = ["request"]


@login_required
@require_http_methods(["GET", "POST"])
def delegate_from_listing(request, listing_id):
    """Invite a broker or advocate from their listing: the usual invitation, filled in from the
    listing (contact name and email, relationship, and asking for support as the suggested
    level), shown for the holder to check before anything is sent."""
    listing = get_object_or_404(
        ListingPage.objects.live().select_related("provider").filter(categories__slug=BROKERS_CATEGORY),
        public_id=listing_id,
    )
    current, response = _managed_budget(request)
    if response:
        return response
    words = f"{listing.title} {listing.summary}".lower()
    relationship = Delegate.Relationship.ADVOCATE if "advoca" in words else Delegate.Relationship.BROKER
    initial = {
        "name": listing.contact_name or listing.provider.name,
        "email": listing.contact_email,
        "relationship": relationship,
        "permissions": SUGGESTED_PERMISSIONS,
    }
    form = InviteDelegateForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            delegate = delegation.invite_delegate(
                budget=current.budget,
                by=request.user,
                name=data["name"],
                email=data["email"],
                relationship=data["relationship"],
                **permission_flags(data["permissions"]),
            )
        except delegation.DelegationError as exc:
            form.add_error(exc.field, str(exc))
        else:
            messages.success(
                request,
                f"We have emailed an invitation to {delegate.name} at {delegate.email}. "
                "It works for 14 days.",
            )
            return redirect("marketplace:delegates")
    return render(
        request,
        "marketplace/delegates/from_listing.html",
        {"form": form, "listing": listing, "acting": current},
    )


def _get_delegate(request, delegate_id) -> Delegate:
    """A helper the person may act on: as the holder, or the helper themselves (else 404)."""
    return get_object_or_404(
        Delegate.objects.select_related("budget__holder", "user").filter(
            Q(budget__holder=request.user) | Q(user=request.user)
        ),
        public_id=delegate_id,
    )


@login_required
@require_http_methods(["GET", "POST"])
def delegate_change(request, delegate_id):
    """The holder changes what a helper may do."""
    delegate = _get_delegate(request, delegate_id)
    if not can(request.user, delegate.budget, MANAGE):
        raise PermissionDenied("Only the budget holder can change what helpers may do.")
    form = ChangeDelegateForm(
        request.POST if request.method == "POST" else None,
        initial={"permissions": permission_initial(delegate)},
    )
    if request.method == "POST" and form.is_valid():
        try:
            delegation.change_permissions(
                delegate=delegate, by=request.user, **permission_flags(form.cleaned_data["permissions"])
            )
        except delegation.DelegationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Saved. {delegate.name} can now do what you chose, from their next page."
            )
        return redirect("marketplace:delegates")
    return render(
        request,
        "marketplace/delegates/change.html",
        {
            "delegate": delegate,
            "form": form,
            "acting": acting_for(request.user, delegate.budget),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def delegate_withdraw(request, delegate_id):
    """Confirm, then end a helper's access: by the holder, or by the helper stepping down."""
    delegate = _get_delegate(request, delegate_id)
    by_holder = can(request.user, delegate.budget, MANAGE)
    if delegate.status not in (Delegate.Status.ACTIVE, Delegate.Status.INVITED):
        messages.error(request, f"{delegate.name} does not have access now.")
        return redirect("marketplace:delegates" if by_holder else "marketplace:dashboard")
    if request.method == "POST":
        try:
            delegation.withdraw(delegate=delegate, by=request.user)
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except delegation.DelegationError as exc:
            messages.error(request, str(exc))
        else:
            if by_holder:
                messages.success(request, f"{delegate.name} can no longer see your budget or act for you.")
                return redirect("marketplace:delegates")
            forget(request, delegate.budget)
            messages.success(request, f"You no longer help {holder_name(delegate.budget)}.")
            return redirect("marketplace:dashboard")
    return render(
        request,
        "marketplace/delegates/withdraw.html",
        {
            "delegate": delegate,
            "by_holder": by_holder,
            "holder": holder_name(delegate.budget),
            "acting": acting_for(request.user, delegate.budget),
        },
    )


@login_required
@require_POST
def delegate_resend(request, delegate_id):
    """Send a waiting invitation again, with a new link valid for 14 days."""
    delegate = _get_delegate(request, delegate_id)
    try:
        delegation.resend_invitation(delegate=delegate, by=request.user)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    except delegation.DelegationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"We have emailed {delegate.name} a new link. The old one no longer works.")
    return redirect("marketplace:delegates")


# --- Answering an invitation -------------------------------------------------------------


def _problem(request, message: str, status: int):
    return render(
        request, "marketplace/delegates/invitation_problem.html", {"message": message}, status=status
    )


@require_http_methods(["GET", "POST"])
def delegate_accept(request, token):
    """The invitation: who is asking and what the helper could do; accept (signed in) or decline."""
    try:
        delegate = delegation.invitation_for(token)
    except delegation.InvitationNotFound as exc:
        return _problem(request, str(exc), 404)
    user = request.user
    if delegate.status == Delegate.Status.ACTIVE and delegate.user_id == user.pk:
        messages.info(request, f"You already help {holder_name(delegate.budget)}.")
        return redirect("marketplace:dashboard")
    try:
        delegation.check_usable(delegate)
    except delegation.InvitationUnusable as exc:
        return _problem(request, str(exc), 410)

    if request.method == "POST" and "decline" in request.POST:
        delegation.decline_invitation(token=token, user=user)
        return render(
            request,
            "marketplace/delegates/declined.html",
            {"holder": holder_name(delegate.budget)},
        )
    problem = ""
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect(f"{reverse('account_login')}?{urlencode({'next': request.path})}")
        try:
            delegate = delegation.accept_invitation(token=token, user=user)
        except delegation.InvitationUnusable as exc:
            return _problem(request, str(exc), 410)
        except delegation.DelegationError as exc:
            problem = str(exc)
        else:
            choose(request, delegate.budget.public_id)
            messages.success(
                request, f"You can now help {holder_name(delegate.budget)}. This is their budget."
            )
            return redirect("marketplace:dashboard")
    elif user.is_authenticated and user.email.lower() != delegate.email.lower():
        problem = (
            f"This invitation was sent to {delegate.email}, but you are signed in as {user.email}. "
            f"Sign out, then sign in (or create an account) with {delegate.email}."
        )
    next_query = urlencode({"next": request.path})
    return render(
        request,
        "marketplace/delegates/accept.html",
        {
            "delegate": delegate,
            "holder": holder_name(delegate.budget),
            "inviter": str(delegate.invited_by or delegate.budget.holder),
            "abilities": delegation.delegate_abilities(delegate),
            "problem": problem,
            "login_url": f"{reverse('account_login')}?{next_query}",
            "signup_url": f"{reverse('account_signup')}?{next_query}",
        },
        status=400 if problem and request.method == "POST" else 200,
    )

"""The holder's data-rights pages: "Who has seen my information", "Download all your data"
and "Ask us to erase your data".

Only the holder may use them (a delegate acts for the holder but these are the holder's own
rights, so they get 403), and a self-funder: someone who has asked for support paying with
their own money, whose requests and orders are theirs alone (docs/self-funders.md). Each
view makes one domain call (`marketplace.services.privacy`) and renders.
"""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from . import audit
from .acting import MANAGE, can
from .privacy_forms import ConfirmErasureForm
from .services import privacy

NOT_YOURS = "Only the person whose budget it is, or who paid for support themselves, can use this page."


def _holders_budget(request):
    """The signed-in person's own budget (None for a self-funder without one), or 403 (a
    delegate, a provider, anyone with neither a budget nor support they paid for themselves)."""
    budget = privacy.own_budget(request.user)
    if budget is None:
        if privacy.is_self_funder(request.user):
            return None
        raise PermissionDenied(NOT_YOURS)
    if not can(request.user, budget, MANAGE):
        raise PermissionDenied(NOT_YOURS)
    return budget


@login_required
def privacy_page(request):
    """Who has seen or changed the holder's information, newest first, 25 a page."""
    budget = _holders_budget(request)
    # Looking at the log is itself recorded, before the page is read, so it shows at the top.
    audit.record(
        actor=request.user,
        action="viewed_audit_log",
        budget=budget,
        subject=request.user,
        role=None if budget is not None else "the person paying",
    )
    paginator = Paginator(audit.events_about(request.user), privacy.AUDIT_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "marketplace/privacy/privacy.html",
        {
            "budget": budget,
            "page_obj": page,
            "rows": privacy.audit_rows(page.object_list, holder=request.user),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def export(request):
    """What the download holds (GET) and the zip itself (POST)."""
    budget = _holders_budget(request)
    if request.method == "POST":
        content = privacy.export_zip(user=request.user)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{privacy.export_filename()}"'
        response["Cache-Control"] = "private, no-store"
        return response
    return render(request, "marketplace/privacy/export.html", {"budget": budget})


@login_required
def erase(request):
    """What erasing removes, what we keep and why; then on to the confirmation."""
    budget = _holders_budget(request)
    unpaid = privacy.unpaid_orders(request.user)
    return render(request, "marketplace/privacy/erase.html", {"budget": budget, "unpaid": unpaid})


@login_required
@require_http_methods(["GET", "POST"])
def erase_confirm(request):
    """The holder types their email address; their data is erased and they are signed out."""
    budget = _holders_budget(request)
    form = ConfirmErasureForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            privacy.erase_personal_data(user=request.user, by=request.user)
        except privacy.PrivacyError as exc:
            form.add_error(None, str(exc))
        else:
            logout(request)
            return redirect("marketplace:privacy_erased")
    return render(
        request,
        "marketplace/privacy/erase_confirm.html",
        {"budget": budget, "form": form},
    )


def erased(request):
    """Shown after erasure, to someone now signed out."""
    return render(request, "marketplace/privacy/erased.html")

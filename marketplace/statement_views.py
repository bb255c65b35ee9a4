"""Statement pages: choose a period, see its summary, download it (CSV, PDF, receipts), and
share it with the council through a read-only link.

The budget is the one the person is acting for (`acting.chosen_budget`, with the choice
kept in their session). Statements need the STATEMENTS permission (the holder, or a delegate
allowed to download statements): anyone else with the budget gets a 403 page. Share links
need MANAGE (the holder only). A share link's pages need no sign-in: the token in the
address is the key; they send no referrer, are never cached or indexed, and every opening
and download is written to the audit log.
"""

import re
from dataclasses import replace
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cms.site import site_url
from directory.evidence import private_storage

from . import audit
from .acting import DOWNLOAD_NEEDS, MANAGE, STATEMENTS, budgets_for, can, chosen_budget
from .models import LedgerEntry, StatementShare
from .services import statements
from .services.common import MarketplaceError, NotPermitted
from .statement_forms import StatementPeriodForm, StatementShareForm, date_boxes
from .tasks import enqueue_off_request, prepare_statement_pdf_task

# Lines shown on screen; the downloads always hold them all.
SCREEN_LINES = 200
# How long one request to make a large PDF stands before another may be queued (seconds).
PREPARING_TIMEOUT = 10 * 60
SHARE_LINK_SESSION_KEY = "new_statement_link"
DOWNLOADS = {
    "csv": ("CSV", "text/csv; charset=utf-8"),
    "pdf": ("PDF", "application/pdf"),
}


def _forbidden(request, message):
    return render(request, "marketplace/statements/forbidden.html", {"message": message}, status=403)


def _budget_or_refusal(request, permission=STATEMENTS):
    """(budget, None) when the person may do `permission`; else (None, a response to send)."""
    budget = chosen_budget(request)
    if budget is None:
        return None, redirect("marketplace:dashboard")
    if not can(request.user, budget, permission):
        if permission == MANAGE:
            return None, _forbidden(request, "Only the budget holder can share statements.")
        return None, _forbidden(
            request, "You cannot see statements for this budget. The budget holder can let you download them."
        )
    return budget, None


def _period_data(query) -> dict:
    """Form data from the address: typed boxes, ISO dates from a quick pick, or this budget year."""
    if any(key.startswith(("start_", "end_")) for key in query):
        return query
    data = {}
    for name in ("start", "end"):
        try:
            data.update(date_boxes(name, date.fromisoformat(query.get(name, ""))))
        except ValueError:
            continue
    if data or "start" in query or "end" in query:
        return data
    _, starts_on, ends_on = statements.quick_periods()[1]
    return {**date_boxes("start", starts_on), **date_boxes("end", ends_on)}


def _period_query(statement) -> str:
    return f"?start={statement.starts_on.isoformat()}&end={statement.ends_on.isoformat()}"


def _download_period(request):
    """(starts_on, ends_on, problems) from `?start=YYYY-MM-DD&end=YYYY-MM-DD`."""
    try:
        starts_on = date.fromisoformat(request.GET.get("start", ""))
        ends_on = date.fromisoformat(request.GET.get("end", ""))
    except ValueError:
        return None, None, ["Choose the start and end dates of the statement again"]
    problems = statements.period_problems(starts_on=starts_on, ends_on=ends_on)
    return starts_on, ends_on, [message for _, message in problems]


def _pdf_ready(statement) -> bool:
    """Whether this statement's PDF can be downloaded now; if not, make sure it is being made.

    One task per statement at a time, however often "Check again" is pressed or the page
    asks for its status (a new one only if the last was asked for over PREPARING_TIMEOUT ago).
    """
    if len(statement.lines) <= statements.pdf_inline_max_lines():
        return True
    if statements.prepared_pdf(statement) is not None:
        return True
    key = f"statement-pdf:{statements.prepared_pdf_name(statement)}"
    if cache.add(key, 1, timeout=PREPARING_TIMEOUT):
        # Never inside this request, whatever the task backend (see enqueue_off_request).
        enqueue_off_request(
            prepare_statement_pdf_task,
            statement.budget.pk,
            statement.starts_on.isoformat(),
            statement.ends_on.isoformat(),
        )
    return False


def _file_response(request, statement, kind: str, *, status_url: str = "") -> tuple[HttpResponse, bool]:
    """(response, True) with the file; or, for a large PDF still being made, (the "being
    prepared" page, False). Large PDFs are made by a task and kept (see statements.py).
    `status_url` is where the page's script asks whether the PDF is ready."""
    if kind == "csv":
        response = HttpResponse(
            statements.statement_csv(statement).encode("utf-8"), content_type=DOWNLOADS[kind][1]
        )
    elif len(statement.lines) <= statements.pdf_inline_max_lines():
        response = HttpResponse(statements.statement_pdf(statement), content_type=DOWNLOADS[kind][1])
    elif not _pdf_ready(statement):
        page = render(
            request,
            "marketplace/statements/preparing.html",
            {"statement": statement, "again_url": request.get_full_path(), "status_url": status_url},
            status=202,
        )
        page["Cache-Control"] = "private, no-store"
        return page, False
    else:
        name = statements.prepared_pdf(statement)
        response = FileResponse(private_storage().open(name, "rb"), content_type=DOWNLOADS[kind][1])
    response["Content-Disposition"] = f'attachment; filename="{statements.download_name(statement, kind)}"'
    response["Cache-Control"] = "private, no-store"
    return response, True


def _pdf_status(statement, pdf_url: str) -> JsonResponse:
    """{"ready", "pdf_url", "message"}: what the "being made" page's script needs to know."""
    ready = _pdf_ready(statement)
    message = (
        "Your PDF is ready. It is downloading now."
        if ready
        else "Your PDF is still being made. This page will download it when it is ready."
    )
    response = JsonResponse({"ready": ready, "pdf_url": pdf_url, "message": message})
    response["Cache-Control"] = "private, no-store"
    return response


# --- The holder's (or an allowed delegate's) statements ------------------------------------


@login_required
@require_GET
def statement_page(request):
    """Choose a period; see its balances, totals by outcome and lines; download it."""
    budget, refusal = _budget_or_refusal(request)
    if refusal:
        return refusal
    form = StatementPeriodForm(_period_data(request.GET))
    statement = None
    if form.is_valid():
        statement = statements.build_statement(
            budget=budget, starts_on=form.cleaned_data["start"], ends_on=form.cleaned_data["end"]
        )
        audit.record(
            actor=request.user, action="viewed_statement", budget=budget, detail=statement.period_words
        )
    return render(
        request,
        "marketplace/statements/statement.html",
        {
            "budget": budget,
            "form": form,
            "statement": statement,
            "lines": statement.lines[:SCREEN_LINES] if statement else (),
            "quick_periods": statements.quick_periods(),
            "period_query": _period_query(statement) if statement else "",
            "can_share": can(request.user, budget, MANAGE),
        },
    )


def _holder_download(request, kind: str):
    what = "receipts_zip" if kind == "receipts" else "statement"
    budget, refusal = _budget_or_refusal(request, DOWNLOAD_NEEDS[what])
    if refusal:
        return refusal
    starts_on, ends_on, problems = _download_period(request)
    if problems:
        return render(request, "marketplace/statements/bad_period.html", {"problems": problems}, status=400)
    statement = statements.build_statement(budget=budget, starts_on=starts_on, ends_on=ends_on)
    if kind == "receipts":
        body = statements.receipts_zip(statement)
        audit.record(
            actor=request.user, action="downloaded_receipts", budget=budget, detail=statement.period_words
        )
        response = HttpResponse(body, content_type="application/zip")
        name = statements.download_name(statement, "zip", what="receipts")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
    status_url = reverse("marketplace:statement_pdf_status") + _period_query(statement)
    response, served = _file_response(request, statement, kind, status_url=status_url)
    if served:
        audit.record(
            actor=request.user,
            action="downloaded_statement",
            budget=budget,
            detail=f"{DOWNLOADS[kind][0]}, {statement.period_words}",
        )
    return response


@login_required
@require_GET
def statement_csv(request):
    """The statement as CSV (`?start=YYYY-MM-DD&end=YYYY-MM-DD`)."""
    return _holder_download(request, "csv")


@login_required
@require_GET
def statement_pdf(request):
    """The statement as a tagged PDF."""
    return _holder_download(request, "pdf")


@login_required
@require_GET
def statement_pdf_status(request):
    """Whether the statement's PDF is ready (JSON), for the "being made" page's script.

    The same permission and period checks as the PDF itself; asking is not a download, so
    nothing is written to the audit log.
    """
    budget, refusal = _budget_or_refusal(request, DOWNLOAD_NEEDS["statement"])
    if refusal:
        return refusal
    starts_on, ends_on, problems = _download_period(request)
    if problems:
        return JsonResponse({"ready": False, "problems": problems}, status=400)
    statement = statements.build_statement(budget=budget, starts_on=starts_on, ends_on=ends_on)
    return _pdf_status(statement, reverse("marketplace:statement_pdf") + _period_query(statement))


@login_required
@require_GET
def statement_receipts(request):
    """Every receipt in the period, in one zip with an index."""
    return _holder_download(request, "receipts")


# --- Share links: made and stopped by the holder ------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def statement_shares(request):
    """The holder's statement links: make one for their social worker, see and stop them."""
    budget, refusal = _budget_or_refusal(request, MANAGE)
    if refusal:
        return refusal
    _, year_start, today = statements.quick_periods()[1]
    form = StatementShareForm(
        request.POST if request.method == "POST" else None,
        initial={"start": year_start, "end": today, "expires_in_days": 14},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _, token = statements.create_share(
                budget=budget,
                by=request.user,
                recipient=data["recipient"],
                starts_on=data["start"],
                ends_on=data["end"],
                days=data["expires_in_days"],
            )
        except MarketplaceError as exc:
            form.add_error(None, str(exc))
        else:
            # The token exists only in this link: hand it to the next page once, then forget it.
            request.session[SHARE_LINK_SESSION_KEY] = site_url(
                reverse("marketplace:shared_statement", args=[token])
            )
            return redirect("marketplace:statement_shares")
    now = timezone.now()
    shares = [
        {"share": share, "state": statements.share_state(share, now)}
        for share in StatementShare.objects.filter(budget=budget).order_by("-created_at")
    ]
    return render(
        request,
        "marketplace/statements/shares.html",
        {
            "budget": budget,
            "form": form,
            "shares": shares,
            "new_link": request.session.pop(SHARE_LINK_SESSION_KEY, None),
        },
    )


@login_required
@require_POST
def statement_share_revoke(request, share_id):
    """Stop a statement link working, at once."""
    share = get_object_or_404(
        StatementShare.objects.select_related("budget"),
        public_id=share_id,
        budget__in=budgets_for(request.user),
    )
    try:
        statements.revoke_share(share=share, by=request.user)
    except NotPermitted as exc:
        return _forbidden(request, str(exc))
    messages.success(request, f"The link for {share.recipient} has stopped working.")
    return redirect("marketplace:statement_shares")


# --- Share links: what the council sees, without signing in -------------------------------

SECOND_PERSON = re.compile(r"\b([Yy])our\b")


def _their(text: str) -> str:
    """ "Your top-up … to your card" → "Their top-up … to their card"."""
    return SECOND_PERSON.sub(lambda m: "Their" if m.group(1) == "Y" else "their", text)


def _about_the_person(line):
    """A statement line as the council reads it: the site's own words about the holder speak
    about them ("Their contribution"), not to them. Words people typed (a description of
    spending outside the site) are left exactly as they are."""
    changes = {"group_activity": _their(line.group_activity)}
    if line.kind == LedgerEntry.Kind.CONTRIBUTION:
        changes["kind_label"] = _their(line.kind_label)
        changes["details"] = _their(line.details)
    elif line.kind == LedgerEntry.Kind.ADJUSTMENT and line.order_reference:
        # Adjustments tied to an order are written by the site (a returned top-up).
        changes["details"] = _their(line.details)
    return replace(line, **changes)


def _private(response):
    """Headers for every page behind a share link: no referrer, no caching, no indexing."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _open_share(request, token):
    """(share, None) for a working link; else (None, the 404 or 410 page, saying nothing more)."""
    share = statements.find_share(token)
    if share is None:
        page = render(request, "marketplace/statements/link_gone.html", {"state": "unknown"}, status=404)
        return None, _private(page)
    state = statements.share_state(share)
    if state != "active":
        page = render(request, "marketplace/statements/link_gone.html", {"state": state}, status=410)
        return None, _private(page)
    return share, None


def _shared_audit(request, share, action, detail):
    audit.record(
        actor=request.user,
        action=action,
        budget=share.budget,
        obj=share,
        detail=detail,
        role=statements.SHARED_LINK_ROLE,
    )


@require_GET
def shared_statement(request, token):
    """The statement a holder shared, read-only, with CSV and PDF downloads under the same link."""
    share, refusal = _open_share(request, token)
    if refusal:
        return refusal
    statement = statements.build_statement(
        budget=share.budget, starts_on=share.starts_on, ends_on=share.ends_on
    )
    _shared_audit(request, share, "opened_shared_statement", statement.period_words)
    page = render(
        request,
        "marketplace/statements/shared.html",
        {
            "statement": statement,
            "share": share,
            "token": token,
            "lines": [_about_the_person(line) for line in statement.lines[:SCREEN_LINES]],
        },
    )
    return _private(page)


def _shared_download(request, token, kind):
    share, refusal = _open_share(request, token)
    if refusal:
        return refusal
    statement = statements.build_statement(
        budget=share.budget, starts_on=share.starts_on, ends_on=share.ends_on
    )
    status_url = reverse("marketplace:shared_statement_pdf_status", args=[token])
    response, served = _file_response(request, statement, kind, status_url=status_url)
    if served:
        _shared_audit(
            request, share, "downloaded_statement", f"{DOWNLOADS[kind][0]}, {statement.period_words}"
        )
    return _private(response)


@require_GET
def shared_statement_csv(request, token):
    """The shared statement as CSV."""
    return _shared_download(request, token, "csv")


@require_GET
def shared_statement_pdf(request, token):
    """The shared statement as PDF."""
    return _shared_download(request, token, "pdf")


@require_GET
def shared_statement_pdf_status(request, token):
    """Whether the shared statement's PDF is ready (JSON); the link must still work."""
    share, refusal = _open_share(request, token)
    if refusal:
        return refusal
    statement = statements.build_statement(
        budget=share.budget, starts_on=share.starts_on, ends_on=share.ends_on
    )
    return _private(_pdf_status(statement, reverse("marketplace:shared_statement_pdf", args=[token])))

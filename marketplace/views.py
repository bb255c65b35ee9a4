"""The marketplace's pages: the holder's budget, plan and spending; requests and orders for
both sides; paying, receipts and cancelling; providers' payment set-up; Stripe's webhooks.

Every page that shows a budget, request or order finds it through a queryset limited to
what the person may see (`budgets_for`, `requests_visible_to`, `orders_visible_to`),
so somebody else's id answers 404, exactly like one that does not exist. A person who can
see something but may not do an action to it (a provider withdrawing the holder's request)
gets 403. Addresses use public UUIDs only. Each view makes one domain call and renders.

The holder's pages work on the budget the person is acting for (`current_acting`: their
own, or the one they chose on "switch person" as a helper) and show only the actions their
level allows; a direct request for an action they may not take is 403. Where a holder's
personal data is shown, the view writes an audit event as the signed-in person (a helper's
actions are theirs, never the holder's); where it is changed, the service called writes it.
Providers looking at their own orders are not audited: it is their business record, not
the holder's file.
"""

import logging
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from cms.site import site_url
from directory.evidence import content_type_for
from directory.models import ListingPage, Provider

from . import audit
from .acting import (
    PAY,
    REQUEST,
    VIEW,
    acting_for,
    budgets_for,
    buyer_may,
    can_download,
    choose_person,
    current_acting,
    holder_name,
    is_provider_member,
    orders_visible_to,
    requests_visible_to,
)
from .emails import receipt_context, render_receipt_html
from .forms import (
    BudgetForm,
    NoteForm,
    OutsideSpendingForm,
    OwnMoneyRequestForm,
    PlanOutcomeForm,
    ProposeChangeForm,
    RequestForm,
)
from .models import (
    Budget,
    Delegate,
    LedgerEntry,
    Order,
    PlanOutcome,
    ProviderPaymentAccount,
    Refund,
    SupportRequest,
    quantity_words,
)
from .services import outcome_checks
from .services.agreements import (
    accept_change,
    accept_request,
    decline_request,
    preview_cost,
    propose_change,
    request_support,
    request_support_paying_myself,
    unit_price_for,
    withdraw_request,
)
from .services.budgets import (
    add_plan_outcome,
    balance_pence,
    budget_summary,
    left_pence,
    open_periods,
    record_outside_spending,
    remove_plan_outcome,
    set_up_budget,
)
from .services.common import (
    InvalidWebhook,
    MarketplaceError,
    NotPermitted,
    PaymentServiceUnavailable,
    ProviderNotReadyForPayments,
    audit_holder_side,
)
from .services.payments import (
    cancel_order,
    cancellation_terms,
    payment_readiness,
    payment_route,
    payments_set_up,
    refresh_payment_account,
    start_checkout,
    start_onboarding,
)
from .services.webhooks import handle_webhook

logger = logging.getLogger(__name__)


def _bound(request):
    """(data, files) for a form: bound on every POST, even an empty one (all-optional forms)."""
    if request.method == "POST":
        return request.POST, request.FILES
    return None, None


def _absolute(request, name, *args) -> str:
    return request.build_absolute_uri(reverse(name, args=args))


def _get_request(user, public_id) -> SupportRequest:
    return get_object_or_404(
        requests_visible_to(user).select_related(
            "budget__holder", "payer", "provider", "listing", "plan_outcome"
        ),
        public_id=public_id,
    )


def _get_order(user, public_id) -> Order:
    return get_object_or_404(
        orders_visible_to(user).select_related(
            "budget__holder", "payer", "provider", "plan_outcome", "outcome"
        ),
        public_id=public_id,
    )


# Why a helper gets 403 for an action above their level.
NOT_ALLOWED = {
    REQUEST: "The person you help has not let you ask for support or change their plan.",
    PAY: "The person you help has not let you pay or record spending for them.",
}


def _acting_or_redirect(request, *, need=VIEW, fallback="marketplace:budget_setup"):
    """(acting, None) for the budget the person works on, or (None, where to send them).

    Someone who helps several people and has not chosen one goes to "switch person" first;
    someone with no budget at all goes to `fallback`. Raises 403 when their level is too low.
    """
    current = current_acting(request)
    if current is None:
        if budgets_for(request.user).exists():
            return None, choose_person(request)
        return None, redirect(fallback)
    if need not in current.permissions:
        raise PermissionDenied(NOT_ALLOWED.get(need, "You cannot do this for this budget."))
    return current, None


def _audit(request, action, budget, obj=None, detail=""):
    """Record that the signed-in person saw or changed `budget`'s data (holder's side only),
    or, without a budget, their own request or order paid with their own money."""
    audit_holder_side(by=request.user, budget=budget, action=action, obj=obj, detail=detail)


def _timeline(support_request, viewer) -> list:
    """The request's steps, each with who took it ("you", the holder, the provider, or a
    helper named as "Alex (helping Sam)", so the holder sees what was done for them)."""
    budget = support_request.budget
    events = list(support_request.events.select_related("actor"))
    actor_ids = {e.actor_id for e in events if e.actor_id}
    helpers = dict(
        Delegate.objects.filter(budget=budget, user_id__in=actor_ids)
        .order_by("created_at", "pk")
        .values_list("user_id", "name")
        if budget is not None
        else ()
    )
    provider_people = set(
        support_request.provider.members.filter(pk__in=actor_ids).values_list("pk", flat=True)
    )
    buyer = support_request.buyer
    holder = holder_name(budget) if budget is not None else str(buyer)
    for event in events:
        if event.actor_id is None or event.actor_id in provider_people:
            event.who = ""  # the payment service, or the provider (the step's name says so)
        elif event.actor_id == getattr(viewer, "pk", None):
            event.who = "you"
        elif event.actor_id == buyer.pk:
            event.who = holder
        elif event.actor_id in helpers:
            event.who = f"{helpers[event.actor_id]} (helping {holder})"
        else:
            event.who = str(event.actor)
    return events


# --- The holder's budget -----------------------------------------------------------------


@login_required
def dashboard(request):
    """The budget for this period: in, spent, committed, left, by outcome, and every order."""
    current = current_acting(request)
    if current is None:
        if budgets_for(request.user).exists():
            return choose_person(request)
        is_provider = Provider.objects.filter(members=request.user).exists()
        return render(
            request,
            "marketplace/no_budget.html",
            {
                "is_provider": is_provider,
                # Support the person pays for with their own money: no budget is needed for it.
                "own_requests": SupportRequest.objects.filter(payer=request.user)
                .select_related("provider", "order")
                .order_by("-created_at"),
            },
        )
    budget = current.budget
    audit.record(actor=request.user, action="viewed_budget", budget=budget)
    summary = budget_summary(budget=budget)
    orders = budget.orders.select_related("provider", "plan_outcome").order_by("-created_at")
    open_requests = budget.requests.filter(status__in=SupportRequest.OPEN).select_related("provider")
    return render(
        request,
        "marketplace/dashboard.html",
        {
            "budget": budget,
            "summary": summary,
            "orders": orders,
            "open_requests": open_requests,
            "is_holder": current.is_own,
            "acting": current,
            "did_it_help_waiting": outcome_checks.checks_to_answer(budget)
            .filter(due_on__lte=timezone.localdate())
            .count(),
            # A helper's own delegation, so they can step down from here.
            "my_delegation": Delegate.objects.filter(
                budget=budget, user=request.user, status=Delegate.Status.ACTIVE
            ).first(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def budget_setup(request):
    """Set up or change the holder's own budget."""
    budget = Budget.objects.filter(holder=request.user).first()
    locked = bool(budget and budget.periods.exists())
    initial = {}
    if budget:
        initial = {
            "amount": budget.amount_pence,
            "period": budget.period,
            "first_period_starts_on": budget.first_period_starts_on,
            "client_contribution": budget.client_contribution_pence or None,
            "contingency_weeks": budget.contingency_weeks,
        }
    form = BudgetForm(_bound(request)[0], initial=initial, locked=locked)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            budget = set_up_budget(
                holder=request.user,
                amount_pence=data["amount"],
                period=data["period"] or budget.period,
                first_period_starts_on=data["first_period_starts_on"] or budget.first_period_starts_on,
                client_contribution_pence=data["client_contribution"] or 0,
                contingency_weeks=data["contingency_weeks"] or 0,
            )
        except MarketplaceError as exc:
            form.add_error(None, str(exc))
        else:
            # Recorded here, not in `set_up_budget`: the test factories set budgets up through
            # the service, and the audit log's tests count from an empty log after that.
            audit.record(actor=request.user, action="changed_budget", budget=budget)
            messages.success(request, "Your budget is saved.")
            if not PlanOutcome.objects.filter(plan__budget=budget, archived=False).exists():
                return redirect("marketplace:plan")
            return redirect("marketplace:dashboard")
    return render(
        request,
        "marketplace/budget_form.html",
        {
            "form": form,
            "budget": budget,
            "acting": acting_for(request.user, budget),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def plan(request):
    """The support plan's outcomes: add one, see them all, take one off."""
    current, response = _acting_or_redirect(request, need=REQUEST if request.method == "POST" else VIEW)
    if response:
        return response
    budget = current.budget
    form = PlanOutcomeForm(_bound(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            add_plan_outcome(
                budget=budget,
                by=request.user,
                own_words=form.cleaned_data["own_words"],
                outcome=form.cleaned_data["outcome"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        messages.success(request, "Outcome added to the plan.")
        return redirect("marketplace:plan")
    outcomes = list(PlanOutcome.objects.filter(plan__budget=budget, archived=False).select_related("outcome"))
    answers = outcome_checks.history(budget=budget, viewer=request.user)
    for plan_outcome in outcomes:
        plan_outcome.helped_history = answers.get(plan_outcome.pk, [])
    if request.method == "GET":
        audit.record(actor=request.user, action="viewed_plan", budget=budget)
    return render(
        request,
        "marketplace/plan.html",
        {
            "form": form,
            "outcomes": outcomes,
            "budget": budget,
            "acting": current,
        },
    )


@login_required
@require_POST
def plan_outcome_remove(request, outcome_id):
    """Take an outcome off the plan (kept on record if money was spent on it)."""
    plan_outcome = get_object_or_404(
        PlanOutcome, public_id=outcome_id, plan__budget__in=budgets_for(request.user)
    )
    try:
        remove_plan_outcome(plan_outcome=plan_outcome, by=request.user)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    messages.success(request, "Outcome taken off the plan.")
    return redirect("marketplace:plan")


@login_required
@require_http_methods(["GET", "POST"])
def spending_new(request):
    """Record money spent outside the site, with an optional receipt."""
    current, response = _acting_or_redirect(request, need=PAY)
    if response:
        return response
    budget = current.budget
    form = OutsideSpendingForm(*_bound(request), budget=budget)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_outside_spending(
                budget=budget,
                by=request.user,
                amount_pence=data["amount"],
                spent_on=data["spent_on"],
                description=data["description"],
                payee=data["payee"],
                plan_outcome=data["plan_outcome"],
                receipt=data["receipt"] or None,
            )
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except MarketplaceError as exc:
            form.add_error(None, str(exc))
        else:
            left = left_pence(budget=budget)
            if left < 0:
                messages.warning(
                    request, "Spending saved. You have now spent more than your budget: talk to your council."
                )
            else:
                messages.success(request, "Spending saved.")
            return redirect("marketplace:dashboard")
    return render(
        request,
        "marketplace/spending_form.html",
        {
            "form": form,
            "has_outcomes": bool(form.fields["plan_outcome"].choices),
            "acting": current,
        },
    )


@login_required
def ledger(request):
    """Every movement of money in and out of the budget, newest first."""
    current, response = _acting_or_redirect(request)
    if response:
        return response
    budget = current.budget
    open_periods(budget=budget)
    audit.record(actor=request.user, action="viewed_ledger", budget=budget)
    entries = (
        LedgerEntry.objects.filter(budget=budget)
        .select_related("plan_outcome", "outcome", "period")
        .order_by("-occurred_on", "-recorded_at")
    )
    return render(
        request,
        "marketplace/ledger.html",
        {
            "entries": entries,
            "balance": balance_pence(budget=budget),
            "budget": budget,
            "acting": current,
        },
    )


@login_required
def spending_receipt(request, entry_id):
    """Download a receipt uploaded with spending outside the site (holder and delegates only)."""
    entry = get_object_or_404(
        LedgerEntry,
        public_id=entry_id,
        budget__in=budgets_for(request.user),
        kind=LedgerEntry.Kind.OUTSIDE,
    )
    if not entry.receipt:
        raise Http404("No receipt")
    if not can_download(request.user, entry.budget, "receipt"):
        raise PermissionDenied("You cannot download receipts for this budget.")
    audit.record(actor=request.user, action="viewed_receipt", budget=entry.budget, obj=entry)
    response = FileResponse(
        entry.receipt.open("rb"),
        as_attachment=True,
        filename=entry.receipt_name or "receipt",
        content_type=content_type_for(entry.receipt.name),
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- Requests ----------------------------------------------------------------------------


def _request_initial(params, budget) -> dict:
    """What a link may pre-fill: `outcome` (a vocabulary slug) picks the plan outcome it maps to,
    and `need` (a need's public id, from signposting's "choose this offer") goes in the message.

    The need is kept only as that plain value: the marketplace does not know what a need is.
    """
    initial = {}
    slug = params.get("outcome", "")[:120]
    if slug:
        match = PlanOutcome.objects.filter(plan__budget=budget, archived=False, outcome__slug=slug).first()
        if match:
            initial["plan_outcome"] = str(match.public_id)
    try:
        need = uuid.UUID(params.get("need", ""))
    except ValueError:
        return initial
    link = site_url(reverse("signposting:need", args=[need]))
    initial["message"] = f"About my need posted on this site ({link})."
    return initial


@login_required
@require_http_methods(["GET", "POST"])
def request_new(request, listing_id):
    """Ask a provider for support from their listing; check the cost before sending."""
    listing = get_object_or_404(ListingPage.objects.live().select_related("provider"), public_id=listing_id)
    current = current_acting(request)
    if current is None and budgets_for(request.user).exists():
        return choose_person(request)
    if current is not None and not current.may_request:
        raise PermissionDenied(NOT_ALLOWED[REQUEST])
    budget = current.budget if current else None
    if budget is None:
        # No direct payment: pay with your own money, or set up the budget first.
        return render(
            request, "marketplace/request_how_to_pay.html", {"listing": listing, "self_funded": True}
        )
    if not PlanOutcome.objects.filter(plan__budget=budget, archived=False).exists():
        return render(
            request,
            "marketplace/request_needs_setup.html",
            {"listing": listing, "budget": budget, "acting": current},
        )
    form = RequestForm(
        _bound(request)[0], listing=listing, budget=budget, initial=_request_initial(request.GET, budget)
    )
    context = {"listing": listing, "form": form, "acting": current}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        price, rate = form.price_and_rate
        unit_price = unit_price_for(price, rate)
        preview = preview_cost(
            budget=budget,
            unit_price_pence=unit_price,
            quantity=data["quantity"],
            top_up_pence=data["top_up"] or 0,
        )
        if "confirm" in request.POST:
            try:
                support_request = request_support(
                    budget=budget,
                    by=request.user,
                    listing=listing,
                    price=price,
                    rate=rate,
                    quantity=data["quantity"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    plan_outcome=data["plan_outcome"],
                    message=data["message"],
                    top_up_pence=data["top_up"] or 0,
                )
            except NotPermitted as exc:
                raise PermissionDenied(str(exc)) from exc
            except MarketplaceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"Request sent to {listing.provider.name}. We will email you their answer."
                )
                return redirect("marketplace:request_detail", support_request.public_id)
        elif "change" not in request.POST:
            return render(
                request,
                "marketplace/request_check.html",
                {
                    **context,
                    "preview": preview,
                    "price": price,
                    "unit_price": unit_price,
                    "quantity_words": quantity_words(data["quantity"], price.unit),
                    "payment_route": payment_route(listing.provider),
                    # What was typed goes round again in hidden fields, so "Send" and
                    # "Change your answers" both work without JavaScript or a session.
                    "carried": [
                        (name, value) for name in form.fields_posted() for value in request.POST.getlist(name)
                    ],
                },
            )
    return render(request, "marketplace/request_form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def request_new_own_money(request, listing_id):
    """Ask a provider for support you pay for yourself, by card: no budget or plan needed."""
    listing = get_object_or_404(ListingPage.objects.live().select_related("provider"), public_id=listing_id)
    form = OwnMoneyRequestForm(_bound(request)[0], listing=listing)
    context = {"listing": listing, "form": form, "self_funded": True}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        price, rate = form.price_and_rate
        if "confirm" in request.POST:
            try:
                support_request = request_support_paying_myself(
                    by=request.user,
                    listing=listing,
                    price=price,
                    rate=rate,
                    quantity=data["quantity"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    purpose=data["purpose"],
                    message=data["message"],
                )
            except MarketplaceError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, f"Request sent to {listing.provider.name}. We will email you their answer."
                )
                return redirect("marketplace:request_detail", support_request.public_id)
        elif "change" not in request.POST:
            unit_price = unit_price_for(price, rate)
            return render(
                request,
                "marketplace/request_check_own_money.html",
                {
                    **context,
                    "price": price,
                    "unit_price": unit_price,
                    "total_pence": unit_price * data["quantity"],
                    "quantity_words": quantity_words(data["quantity"], price.unit),
                    "carried": [
                        (name, value) for name in form.fields_posted() for value in request.POST.getlist(name)
                    ],
                },
            )
    return render(request, "marketplace/request_form_own_money.html", context)


def _request_context(request, support_request, **extra):
    user = request.user
    standing = acting_for(user, support_request.budget)
    # A person paying with their own money may do everything with their own request.
    paying = support_request.payer_id is not None and support_request.payer_id == user.pk
    as_provider = is_provider_member(user, support_request.provider)
    order = Order.objects.filter(request=support_request).first()
    account = ProviderPaymentAccount.objects.filter(provider=support_request.provider).first()
    return {
        "support_request": support_request,
        "order": order,
        # On the holder's side (the holder or a helper): what they may do with it.
        "as_holder": standing is not None or paying,
        "may_request": bool(standing and standing.may_request) or paying,
        "may_pay": bool(standing and standing.may_pay) or paying,
        "self_funded": paying,
        "as_provider": as_provider,
        "acting": standing,
        "events": _timeline(support_request, user),
        "payment_reasons": payment_readiness(account) if as_provider else [],
        **extra,
    }


@login_required
def request_detail(request, request_id):
    """A request, each step so far, and what the person can do next."""
    support_request = _get_request(request.user, request_id)
    _audit(request, "viewed_request", support_request.budget, obj=support_request)
    return render(request, "marketplace/request_detail.html", _request_context(request, support_request))


def _run(request, action, support_request, success_message, **kwargs):
    """Call a service for a request; turn its refusals into messages (or 403)."""
    try:
        result = action(support_request=support_request, by=request.user, **kwargs)
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    except ProviderNotReadyForPayments as exc:
        messages.error(request, " ".join([str(exc), *exc.reasons]))
        return None
    except MarketplaceError as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, success_message)
    return result


@login_required
@require_POST
def request_accept(request, request_id):
    """The provider accepts a request as asked."""
    support_request = _get_request(request.user, request_id)
    order = _run(
        request,
        accept_request,
        support_request,
        "You accepted the request. We have told the person.",
    )
    if order:
        return redirect("marketplace:order_detail", order.public_id)
    return redirect("marketplace:request_detail", support_request.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def request_decline(request, request_id):
    """The provider declines a request, with an optional note."""
    support_request = _get_request(request.user, request_id)
    if not is_provider_member(request.user, support_request.provider):
        raise PermissionDenied("Only the provider can decline this request.")
    form = NoteForm(_bound(request)[0])
    if request.method == "POST" and form.is_valid():
        _run(
            request,
            decline_request,
            support_request,
            "You declined the request.",
            note=form.cleaned_data["note"],
        )
        return redirect("marketplace:request_detail", support_request.public_id)
    return render(
        request,
        "marketplace/request_decline.html",
        {"support_request": support_request, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_change(request, request_id):
    """The provider suggests different quantity, dates or price."""
    support_request = _get_request(request.user, request_id)
    if not is_provider_member(request.user, support_request.provider):
        raise PermissionDenied("Only the provider can suggest a change.")
    initial = {
        "quantity": support_request.quantity,
        "unit_price": support_request.unit_price_pence,
        "starts_on": support_request.starts_on,
        "ends_on": support_request.ends_on,
    }
    form = ProposeChangeForm(_bound(request)[0], initial=initial, unit=support_request.unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            propose_change(
                support_request=support_request,
                by=request.user,
                quantity=data["quantity"],
                unit_price_pence=data["unit_price"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                note=data["note"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(str(exc)) from exc
        except MarketplaceError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "You suggested a change. We have told the person.")
            return redirect("marketplace:request_detail", support_request.public_id)
    return render(
        request,
        "marketplace/request_change.html",
        {"support_request": support_request, "form": form},
    )


@login_required
@require_POST
def request_accept_change(request, request_id):
    """The holder accepts the provider's suggested change."""
    support_request = _get_request(request.user, request_id)
    order = _run(request, accept_change, support_request, "You accepted the change. You can now pay.")
    if order:
        return redirect("marketplace:order_detail", order.public_id)
    return redirect("marketplace:request_detail", support_request.public_id)


@login_required
@require_POST
def request_withdraw(request, request_id):
    """The holder withdraws a request (or turns down a suggested change)."""
    support_request = _get_request(request.user, request_id)
    _run(request, withdraw_request, support_request, "You withdrew the request.")
    return redirect("marketplace:request_detail", support_request.public_id)


# What the provider's inbox says about an agreed request, by the order's state: a held group
# place is not yet agreed work, and whether it is paid is what the provider needs to know.
ORDER_STATE_IN_INBOX = {
    Order.Status.RESERVED: ("Place held", "govuk-tag--blue"),
    Order.Status.AWAITING_PAYMENT: ("Agreed: not paid yet", "govuk-tag--yellow"),
    Order.Status.PAID: ("Agreed: paid", "govuk-tag--green"),
    Order.Status.CANCELLED: ("Cancelled", "govuk-tag--grey"),
    Order.Status.REFUNDED: ("Cancelled and refunded", "govuk-tag--grey"),
    Order.Status.REFUND_FAILED: ("Cancelled: refund failed", "govuk-tag--red"),
}


def _first_name(user) -> str:
    return (user.first_name or "").strip() or "Someone"


def _inbox_line(support_request) -> dict:
    """Who asked (first names only), for which broad outcome, and the state with paid or not."""
    asker = support_request.requested_by
    holder = support_request.budget.holder
    who = _first_name(asker)
    if asker.pk != holder.pk:
        who = f"{who}, for {_first_name(holder)}"
    order = getattr(support_request, "order", None)
    if order is not None:
        label, tag = ORDER_STATE_IN_INBOX.get(order.status, (order.get_status_display(), "govuk-tag--grey"))
    else:
        label = support_request.get_status_display()
        tag = "govuk-tag--yellow" if support_request.status in SupportRequest.OPEN else "govuk-tag--grey"
    return {
        "who": who,
        "outcome": support_request.plan_outcome.outcome.label,
        "status": label,
        "tag": tag,
    }


@login_required
def provider_inbox(request):
    """Requests and orders for every provider the person works for."""
    providers = list(Provider.objects.filter(members=request.user))
    requests = (
        SupportRequest.objects.filter(provider__in=providers)
        .select_related("provider", "plan_outcome__outcome", "requested_by", "budget__holder", "order")
        .order_by("-created_at")
    )
    accounts = {a.provider_id: a for a in ProviderPaymentAccount.objects.filter(provider__in=providers)}
    not_ready = [p for p in providers if payment_readiness(accounts.get(p.pk))]
    for r in requests:
        r.inbox = _inbox_line(r)
    return render(
        request,
        "marketplace/provider_inbox.html",
        {
            "providers": providers,
            "open_requests": [r for r in requests if r.status in SupportRequest.OPEN],
            "other_requests": [r for r in requests if r.status not in SupportRequest.OPEN],
            "not_ready": not_ready,
        },
    )


# --- Orders, paying and receipts ---------------------------------------------------------


@login_required
def order_detail(request, order_id):
    """An order: what was agreed, its status, and paying, receipts or cancelling."""
    order = _get_order(request.user, order_id)
    standing = acting_for(request.user, order.budget)
    paying = order.payer_id is not None and order.payer_id == request.user.pk
    terms = cancellation_terms(order=order, user=request.user)
    _audit(request, "viewed_order", order.budget, obj=order)
    return render(
        request,
        "marketplace/order_detail.html",
        {
            "order": order,
            "payment": order.payment,
            "failed_refunds": order.payment.refunds.filter(status=Refund.FAILED) if order.payment else (),
            "as_holder": standing is not None or paying,
            "may_pay": bool(standing and standing.may_pay) or paying,
            "self_funded": paying,
            # No payment service here: say how to pay instead of offering a button that fails.
            "payments_set_up": payments_set_up(),
            "acting": standing,
            "terms": terms,
            "events": _timeline(order.request, request.user),
        },
    )


@login_required
@require_POST
def order_pay(request, order_id):
    """Send the holder to hosted checkout (a clear message if it cannot start)."""
    order = _get_order(request.user, order_id)
    try:
        url = start_checkout(
            order=order,
            by=request.user,
            success_url=_absolute(request, "marketplace:order_return", order.public_id),
            cancel_url=_absolute(request, "marketplace:order_payment_cancelled", order.public_id),
        )
    except NotPermitted as exc:
        raise PermissionDenied(str(exc)) from exc
    except MarketplaceError as exc:
        messages.error(request, str(exc))
        return redirect("marketplace:order_detail", order.public_id)
    return redirect(url)


@login_required
def order_return(request, order_id):
    """Where checkout sends the holder back: paid, or "we'll confirm when it goes through"."""
    order = _get_order(request.user, order_id)
    return render(
        request,
        "marketplace/order_return.html",
        {
            "order": order,
            "payment": order.payment,
            "acting": acting_for(request.user, order.budget),
            "self_funded": order.payer_id == request.user.pk,
        },
    )


@login_required
def order_payment_cancelled(request, order_id):
    """Where checkout sends the holder if they go back without paying."""
    order = _get_order(request.user, order_id)
    return render(
        request,
        "marketplace/order_payment_cancelled.html",
        {
            "order": order,
            "acting": acting_for(request.user, order.budget),
            "self_funded": order.payer_id == request.user.pk,
        },
    )


def _get_paid_order(user, order_id) -> Order:
    order = _get_order(user, order_id)
    if order.payment is None:
        raise Http404("No receipt yet")
    return order


@login_required
def order_receipt(request, order_id):
    """The receipt for a paid order (with any refunds), on the site."""
    order = _get_paid_order(request.user, order_id)
    _audit(request, "viewed_receipt", order.budget, obj=order)
    return render(
        request,
        "marketplace/receipt.html",
        {
            **receipt_context(order),
            "acting": acting_for(request.user, order.budget),
            "self_funded": order.payer_id == request.user.pk,
        },
    )


@login_required
def order_receipt_download(request, order_id):
    """The receipt as a file to keep (a standalone HTML document)."""
    order = _get_paid_order(request.user, order_id)
    # The provider keeps the receipt for what they were paid; the budget's side by the one rule.
    paying = order.payer_id == request.user.pk
    if (
        not paying
        and not is_provider_member(request.user, order.provider)
        and not can_download(request.user, order.budget, "receipt")
    ):
        raise PermissionDenied("You cannot download receipts for this budget.")
    _audit(request, "viewed_receipt", order.budget, obj=order, detail="downloaded")
    response = HttpResponse(render_receipt_html(order), content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="receipt-{order.reference}.html"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request, order_id):
    """Cancel an order under the rules, with a refund when it was paid."""
    order = _get_order(request.user, order_id)
    as_provider = is_provider_member(request.user, order.provider)
    if not as_provider and not buyer_may(request.user, order, REQUEST):
        raise PermissionDenied("The person you help has not let you cancel their orders.")
    terms = cancellation_terms(order=order, user=request.user)
    form = NoteForm(_bound(request)[0])
    if request.method == "POST" and form.is_valid():
        try:
            order = cancel_order(order=order, by=request.user, reason=form.cleaned_data["note"])
        except MarketplaceError as exc:
            messages.error(request, str(exc))
        else:
            if order.status == Order.Status.REFUNDED:
                messages.success(request, "The order is cancelled and the money is on its way back.")
            else:
                messages.success(request, "The order is cancelled. Nothing was charged.")
            return redirect("marketplace:order_detail", order.public_id)
    return render(
        request,
        "marketplace/order_cancel.html",
        {
            "order": order,
            "terms": terms,
            "form": form,
            "acting": None if as_provider else acting_for(request.user, order.budget),
            "self_funded": order.payer_id == request.user.pk,
        },
    )


# --- Providers' payments -----------------------------------------------------------------


def _member_provider(user, provider_id) -> Provider:
    return get_object_or_404(Provider, public_id=provider_id, members=user)


@login_required
def provider_payments(request):
    """Payment set-up for each provider the person works for, and why paid work is blocked."""
    providers = []
    for provider in Provider.objects.filter(members=request.user):
        account = ProviderPaymentAccount.objects.filter(provider=provider).first()
        providers.append({"provider": provider, "account": account, "reasons": payment_readiness(account)})
    return render(request, "marketplace/provider_payments.html", {"providers": providers})


def _send_to_onboarding(request, provider_id):
    provider = _member_provider(request.user, provider_id)
    try:
        url = start_onboarding(
            provider=provider,
            by=request.user,
            refresh_url=_absolute(request, "marketplace:provider_onboarding_refresh", provider.public_id),
            return_url=_absolute(request, "marketplace:provider_onboarding_return", provider.public_id),
        )
    except MarketplaceError as exc:
        messages.error(request, str(exc))
        return redirect("marketplace:provider_payments")
    return redirect(url)


@login_required
@require_POST
def provider_connect(request, provider_id):
    """Start (or continue) Stripe's hosted onboarding."""
    return _send_to_onboarding(request, provider_id)


@login_required
def provider_onboarding_refresh(request, provider_id):
    """Stripe sends people here (a GET) when an onboarding link has expired: make a fresh one."""
    return _send_to_onboarding(request, provider_id)


@login_required
def provider_onboarding_return(request, provider_id):
    """Back from Stripe: check the account now and say whether paid work can be accepted."""
    provider = _member_provider(request.user, provider_id)
    try:
        account = refresh_payment_account(provider=provider, by=request.user)
    except PaymentServiceUnavailable as exc:
        messages.error(request, str(exc))
        account = ProviderPaymentAccount.objects.filter(provider=provider).first()
    return render(
        request,
        "marketplace/provider_payments.html",
        {
            "providers": [{"provider": provider, "account": account, "reasons": payment_readiness(account)}],
            "returned": True,
        },
    )


# --- Webhooks ----------------------------------------------------------------------------


def _webhook(request, endpoint):
    try:
        status = handle_webhook(
            payload=request.body, signature=request.headers.get("Stripe-Signature", ""), endpoint=endpoint
        )
    except InvalidWebhook as exc:
        logger.warning("Rejected a %s webhook: %s", endpoint, exc)
        return JsonResponse({"error": "invalid signature or payload"}, status=400)
    except PaymentServiceUnavailable:
        # Acting on it needs an answer from the payment service, which did not come: nothing
        # was recorded, and a 5xx makes the service deliver the event again later.
        return JsonResponse({"error": "the payment service could not be asked; send it again"}, status=503)
    return JsonResponse({"status": status})


@csrf_exempt  # Stripe cannot send a CSRF token; the signature check is the authentication.
@require_POST
def stripe_webhook(request):
    """Events about the platform's own objects: Checkout Sessions, payments, refunds, disputes."""
    return _webhook(request, "platform")


@csrf_exempt  # as above
@require_POST
def stripe_connect_webhook(request):
    """Events about connected accounts (`AccountUpdated`), signed with the Connect secret."""
    return _webhook(request, "connect")

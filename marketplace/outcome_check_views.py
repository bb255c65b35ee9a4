"""Did it help? The person's (or their helper's) answers about paid support, one plan outcome
at a time (the rule is in `services/outcome_checks.py`).

/budget/did-it-help/ lists what is waiting for an answer and what was answered;
/budget/did-it-help/<id>/ asks the two questions. Each view checks the budget is the one the
person works on and what they may do with it.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from .acting import REQUEST, VIEW, budgets_for, can, choose_person, current_acting
from .forms import DidItHelpForm
from .models import OutcomeCheck, PlanOutcome
from .services import outcome_checks
from .services.common import NotPermitted


def _acting(request, need):
    current = current_acting(request)
    if current is None:
        if budgets_for(request.user).exists():
            return None, choose_person(request)
        return None, redirect("marketplace:budget_setup")
    if need not in current.permissions:
        raise PermissionDenied("You cannot do this for this budget.")
    return current, None


@login_required
@require_GET
def did_it_help(request):
    """What is waiting for an answer, and the answers so far, per plan outcome."""
    current, response = _acting(request, VIEW)
    if response:
        return response
    budget = current.budget
    waiting = list(outcome_checks.checks_to_answer(budget).filter(due_on__lte=timezone.localdate()))
    history = outcome_checks.history(budget=budget, viewer=request.user)
    outcomes = PlanOutcome.objects.filter(plan__budget=budget).select_related("outcome")
    return render(
        request,
        "marketplace/did_it_help/list.html",
        {
            "acting": current,
            "budget": budget,
            "waiting": waiting,
            "answered": [(po, history[po.pk]) for po in outcomes if po.pk in history],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def did_it_help_answer(request, outcome_check_id):
    """Answer the two questions about one paid order's plan outcome."""
    check = get_object_or_404(
        OutcomeCheck.objects.select_related("plan_outcome__outcome", "order__provider", "budget"),
        public_id=outcome_check_id,
        budget__in=budgets_for(request.user),
    )
    if not can(request.user, check.budget, REQUEST):
        raise PermissionDenied(
            "Only the person, or someone helping them with their requests, can answer this."
        )
    if check.is_answered:
        messages.info(request, "This has already been answered.")
        return redirect("marketplace:did_it_help")
    form = DidItHelpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome_checks.answer(check=check, by=request.user, **form.cleaned_data)
        except NotPermitted as exc:
            messages.info(request, str(exc))
            return redirect("marketplace:did_it_help")
        messages.success(request, f"Thank you. Your answer about “{check.plan_outcome.own_words}” is saved.")
        return redirect("marketplace:did_it_help")
    return render(
        request,
        "marketplace/did_it_help/answer.html",
        {"check": check, "form": form, "acting": current_acting(request)},
    )

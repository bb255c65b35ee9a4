"""Coordinators' admin screens for the audit log: every event (filtered by holder, action and
dates), a holder's record (opened only after giving a reason, which the holder then sees),
erasing a holder's data, and checking the hash chain.

Wagtail already requires admin access for these URLs; each view also requires a coordinator
or superuser, and the menu item is shown only to them.
"""

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import audit
from .models import AuditEvent
from .privacy_forms import AuditFilterForm, StaffErasureForm, StaffReasonForm
from .services import outcome_checks, privacy
from .services.budgets import budget_summary

EVENTS_PER_PAGE = 50


class CoordinatorMenuItem(MenuItem):
    """A menu item only coordinators and superusers see."""

    def is_shown(self, request):
        return privacy.is_coordinator(request.user)


class CoordinatorOnlyMixin:
    """Anyone who is not a coordinator or superuser gets Wagtail's "permission denied"."""

    def dispatch(self, request, *args, **kwargs):
        if not privacy.is_coordinator(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)


class AuditPageMixin(CoordinatorOnlyMixin, WagtailAdminTemplateMixin):
    header_icon = "history"

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items]
        if self.page_title != AuditLogView.page_title:
            items.append({"url": reverse("marketplace_audit_log"), "label": AuditLogView.page_title})
        return [*items, {"url": "", "label": self.page_title}]


def filtered_events(form: AuditFilterForm):
    """Events matching the filters (all of them when the form is empty or wrong), newest first."""
    events = AuditEvent.objects.select_related("subject", "actor").order_by("-sequence")
    if not form.is_valid():
        return events
    data = form.cleaned_data
    if data["email"]:
        events = events.filter(subject__email__icontains=data["email"].strip())
    if data["action"]:
        events = events.filter(action=data["action"])
    if data["start"]:
        events = events.filter(occurred_at__date__gte=data["start"])
    if data["end"]:
        events = events.filter(occurred_at__date__lte=data["end"])
    return events


class AuditLogView(AuditPageMixin, TemplateView):
    """Every audit event, newest first, with filters and the chain check."""

    template_name = "marketplace/admin/audit_log.html"
    page_title = "Audit log"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AuditFilterForm(self.request.GET or None)
        page = Paginator(filtered_events(form), EVENTS_PER_PAGE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        context.update(
            {
                "form": form,
                "page_obj": page,
                "events": [(event, audit.describe(event.action)) for event in page.object_list],
                "query": query.urlencode(),
            }
        )
        return context


class HolderRecordView(AuditPageMixin, TemplateView):
    """A holder's record: first the reason (GET), then their events and budget (POST)."""

    template_name = "marketplace/admin/holder_record.html"
    page_title = "A holder's record"

    def dispatch(self, request, *args, **kwargs):
        self.holder = None
        if privacy.is_coordinator(request.user):
            self.holder = get_object_or_404(privacy.holders(), public_id=kwargs["user_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", StaffReasonForm())
        context.update({"holder": self.holder, "erase_form": StaffErasureForm()})
        return context

    def post(self, request, *args, **kwargs):
        form = StaffReasonForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        budget = self.holder.budget
        # Recorded before anything is shown: the reason is what the holder reads.
        audit.record(
            actor=request.user,
            action="staff_viewed",
            budget=budget,
            reason=form.cleaned_data["reason"],
            detail="Opened the record in the admin",
            role="coordinator",
        )
        events = list(audit.events_about(self.holder)[:200])
        return self.render_to_response(
            self.get_context_data(
                form=form,
                shown=True,
                summary=budget_summary(budget=budget),
                rows=privacy.audit_rows(events, holder=self.holder),
                erased=self.holder.email == privacy.erased_email(self.holder),
            )
        )


class HolderEraseView(AuditPageMixin, TemplateView):
    """Erase a holder's personal data from the admin, with a reason."""

    template_name = "marketplace/admin/holder_erase.html"
    page_title = "Erase a holder's data"
    http_method_names = ["get", "post"]

    def dispatch(self, request, *args, **kwargs):
        self.holder = None
        if privacy.is_coordinator(request.user):
            self.holder = get_object_or_404(privacy.holders(), public_id=kwargs["user_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", StaffErasureForm())
        context["holder"] = self.holder
        return context

    def post(self, request, *args, **kwargs):
        form = StaffErasureForm(request.POST)
        if form.is_valid():
            try:
                privacy.erase_personal_data(
                    user=self.holder, by=request.user, reason=form.cleaned_data["reason"]
                )
            except privacy.PrivacyError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request, "The holder's personal data has been erased; money records are kept."
                )
                return redirect("marketplace_audit_log")
        return self.render_to_response(self.get_context_data(form=form))


class VerifyChainView(AuditPageMixin, TemplateView):
    """Recompute the hash chain (POST) and say whether it is intact, or where it breaks."""

    template_name = "marketplace/admin/verify.html"
    page_title = "Check the audit log"

    def get(self, request, *args, **kwargs):
        return redirect("marketplace_audit_log")

    def post(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(result=audit.verify()))


class OutcomesReportView(CoordinatorOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """Did support help? Counts by broad outcome and district, small numbers hidden."""

    template_name = "marketplace/admin/outcomes_report.html"
    page_title = "Did support help?"
    header_icon = "doc-full"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["rows"] = outcome_checks.outcomes_report()
        context["floor"] = outcome_checks.report_min_count()
        return context


@hooks.register("register_admin_urls")
def register_audit_admin_urls():
    """The audit log, holders' records, erasure and the chain check, under /admin/audit/."""
    return [
        path("audit/", AuditLogView.as_view(), name="marketplace_audit_log"),
        path("reports/did-it-help/", OutcomesReportView.as_view(), name="marketplace_outcomes_report"),
        path("audit/verify/", VerifyChainView.as_view(), name="marketplace_audit_verify"),
        path("audit/holders/<uuid:user_id>/", HolderRecordView.as_view(), name="marketplace_holder_record"),
        path(
            "audit/holders/<uuid:user_id>/erase/", HolderEraseView.as_view(), name="marketplace_holder_erase"
        ),
    ]


@hooks.register("register_admin_menu_item")
def register_audit_menu_item():
    """ "Audit log" in the admin menu, for coordinators."""
    return CoordinatorMenuItem("Audit log", reverse("marketplace_audit_log"), icon_name="history", order=330)


@hooks.register("register_reports_menu_item")
def register_outcomes_report_menu_item():
    """ "Did support help?" under Reports, for coordinators."""
    return CoordinatorMenuItem(
        "Did support help?", reverse("marketplace_outcomes_report"), icon_name="doc-full", order=720
    )

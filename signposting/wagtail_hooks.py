"""Coordinators' admin screens for signposting: the unmet-demand report (with CSV exports and
a "Send alerts now" button for demand alerts), the queue of people asking to be verified as
professionals, and needs to moderate.

Wagtail already requires admin access for these URLs; each view also requires a
coordinator or superuser, and the menu items are shown only to them.
"""

from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.auth import permission_denied
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import report
from .forms import ReportPeriodForm
from .models import DemandAlert, Need, ProfessionalVerification
from .needs import alerts as demand_alerts
from .services import is_coordinator, notify_verified, remove_professional, verify_professional

DEFAULT_PERIOD_DAYS = 90
PRESETS = ((30, "Last 30 days"), (90, "Last 90 days"), (365, "Last 12 months"))


class CoordinatorMenuItem(MenuItem):
    """A menu item only coordinators and superusers see."""

    def is_shown(self, request):
        return is_coordinator(request.user)


class CoordinatorOnlyMixin:
    """Send anyone who is not a coordinator back to the admin home with a message."""

    def dispatch(self, request, *args, **kwargs):
        if not is_coordinator(request.user):
            return permission_denied(request)
        return super().dispatch(request, *args, **kwargs)


def period_from(params) -> tuple[report.Period, ReportPeriodForm]:
    """The period asked for in the query string (the last 90 days by default or on error)."""
    default = report.Period.last(DEFAULT_PERIOD_DAYS)
    if "start" not in params and "end" not in params:
        form = ReportPeriodForm(initial={"start": default.start, "end": default.end})
        return default, form
    form = ReportPeriodForm(params)
    if form.is_valid():
        return report.Period(form.cleaned_data["start"], form.cleaned_data["end"]), form
    return default, form


class DemandReportView(CoordinatorOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """Unmet demand, supply by district, stale listings, expiring evidence, signposting."""

    template_name = "signposting/admin/demand_report.html"
    page_title = "Unmet demand"
    header_icon = "table"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period, form = period_from(self.request.GET)
        rows = report.unmet_demand(period=period)
        unit, buckets = report.over_time(period=period)
        query = f"start={period.start.isoformat()}&end={period.end.isoformat()}"
        context.update(
            {
                "period": period,
                "form": form,
                # What the person typed comes back as they typed it, even when it is wrong.
                "start_value": self.request.GET.get("start", period.start.isoformat())[:20],
                "end_value": self.request.GET.get("end", period.end.isoformat())[:20],
                "presets": [(label, report.Period.last(days)) for days, label in PRESETS],
                "total": report.total_low_result_searches(period=period),
                "rows": rows,
                "grid": report.heat_grid(rows),
                "unit": unit,
                "buckets": buckets,
                "chart": report.bar_chart(buckets),
                "supply": report.supply_by_district(period=period),
                "stale": report.stale_listings()[:100],
                "evidence": report.expiring_evidence(),
                "signposting": report.signposting_summary(period=period),
                "needs": report.needs_summary(period=period),
                "listings_started": report.listings_started(period=period),
                "demand_alert_count": DemandAlert.objects.filter(user__is_active=True).count(),
                "csv_links": [
                    (label, reverse("signposting_report_csv", args=[section]) + "?" + query)
                    for section, label in (
                        ("demand", "Unmet demand"),
                        ("over-time", "Over time"),
                        ("supply", "Supply by district"),
                        ("stale", "Stale listings"),
                        ("evidence", "Expiring evidence"),
                        ("signposting", "Signposting"),
                        ("needs", "Needs posted and answered"),
                        ("new-listings", "New listings after a need or alert"),
                    )
                ],
            }
        )
        return context


def report_csv(request, section):
    """One section of the report as a CSV download."""
    if not is_coordinator(request.user):
        return permission_denied(request)
    if section not in report.CSV_SECTIONS:
        return HttpResponse("Unknown report section", status=404, content_type="text/plain")
    period, _ = period_from(request.GET)
    response = HttpResponse(report.csv_text(section, period=period), content_type="text/csv; charset=utf-8")
    filename = f"{section}-{period.start.isoformat()}-to-{period.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def send_demand_alerts_now(request):
    """Send the demand alerts now, as the daily run would, and say how many emails went.

    A POST from the report's button; a GET goes back to the report. The service claims each
    alert's new level before its email goes, so pressing twice sends nothing twice.
    """
    if not is_coordinator(request.user):
        return permission_denied(request)
    if request.method != "POST":
        return redirect("signposting_report")
    sent = demand_alerts.send_demand_alerts()
    if sent:
        messages.success(request, f"{sent} alert{'s' if sent != 1 else ''} sent.")
    else:
        messages.info(request, "No demand has reached a new level since the last alerts, so none were sent.")
    return redirect(reverse("signposting_report") + "#alerts-heading")


class ProfessionalsView(CoordinatorOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """People asking to be verified as professionals, and those already verified."""

    template_name = "signposting/admin/professionals.html"
    page_title = "Professionals"
    header_icon = "user"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        records = ProfessionalVerification.objects.select_related("user", "verified_by")
        context["waiting"] = records.filter(verified_at__isnull=True).order_by("requested_at")
        context["verified"] = records.filter(verified_at__isnull=False).order_by("-verified_at")
        return context

    def post(self, request, *args, **kwargs):
        user = get_object_or_404(get_user_model(), public_id=request.POST.get("user"))
        if request.POST.get("action") == "verify":
            verify_professional(
                user=user, method=ProfessionalVerification.Method.COORDINATOR, by=request.user
            )
            notify_verified(user=user)
            messages.success(request, f"{user.email} is verified as a professional and has been emailed.")
        elif request.POST.get("action") == "remove":
            remove_professional(user=user, by=request.user)
            messages.success(request, f"{user.email} is no longer a verified professional.")
        return redirect("signposting_professionals")


@hooks.register("register_admin_urls")
def register_signposting_admin_urls():
    """The report, its CSV exports and the professionals queue, under /admin/signposting/."""
    return [
        path("signposting/demand/", DemandReportView.as_view(), name="signposting_report"),
        path("signposting/demand/<slug:section>.csv", report_csv, name="signposting_report_csv"),
        path(
            "signposting/demand/send-alerts/", send_demand_alerts_now, name="signposting_send_demand_alerts"
        ),
        path("signposting/professionals/", ProfessionalsView.as_view(), name="signposting_professionals"),
    ]


@hooks.register("register_admin_menu_item")
def register_report_menu_item():
    """ "Unmet demand" in the admin menu, for coordinators."""
    return CoordinatorMenuItem("Unmet demand", reverse("signposting_report"), icon_name="table", order=320)


@hooks.register("register_admin_menu_item")
def register_professionals_menu_item():
    """ "Professionals" in the admin menu, for coordinators."""
    return CoordinatorMenuItem(
        "Professionals", reverse("signposting_professionals"), icon_name="user", order=321
    )


class NeedViewSet(SnippetViewSet):
    """Needs people posted, for coordinators to moderate: tick "hidden" and say why.

    Like problem reports, everything the person typed is read-only; Wagtail's history keeps
    a line for each change (who hid it, and when). The poster is not shown: coordinators
    moderate words, not people.
    """

    model = Need
    icon = "help"
    menu_label = "Needs"
    menu_order = 294
    add_to_admin_menu = True
    list_display = ["__str__", "created_at", "expires_at", "hidden"]
    list_filter = ["hidden"]
    search_fields = ["own_words"]
    edit_handler = ObjectList(
        [
            FieldPanel("own_words", read_only=True),
            FieldPanel("district", read_only=True),
            FieldPanel("created_at", read_only=True),
            FieldPanel("expires_at", read_only=True),
            FieldPanel("hidden"),
            FieldPanel("coordinator_note"),
        ]
    )

    def get_queryset(self, request):
        return Need.objects.select_related("district")


register_snippet(NeedViewSet)

"""Addresses for the providers' area, mounted at /my/ (see config/urls.py).

Two are public: reporting a problem with a listing, and the confirm link from the yearly
email (it works without signing in). The CQC self-check is open to anyone too.
"""

from django.urls import path

from . import provider_views as views

app_name = "my"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("organisation/new/", views.organisation_create, name="organisation_create"),
    path("organisation/<uuid:provider_id>/", views.organisation_edit, name="organisation_edit"),
    path("organisation/<uuid:provider_id>/listings/new/", views.listing_create, name="listing_create"),
    path("organisation/<uuid:provider_id>/checks/", views.checks, name="checks"),
    path("organisation/<uuid:provider_id>/checks/new/", views.check_add, name="check_add"),
    path("checks/<uuid:check_id>/document/", views.check_document, name="check_document"),
    path("checks/<uuid:check_id>/remove/", views.check_delete, name="check_delete"),
    path("listings/<uuid:listing_id>/", views.listing_overview, name="listing"),
    path("listings/<uuid:listing_id>/step/<slug:step>/", views.listing_step, name="listing_step"),
    path("listings/<uuid:listing_id>/preview/", views.listing_preview, name="listing_preview"),
    path("listings/<uuid:listing_id>/submit/", views.listing_submit, name="listing_submit"),
    path("listings/<uuid:listing_id>/availability/", views.listing_availability, name="listing_availability"),
    path("listings/<uuid:listing_id>/confirm/", views.listing_confirm, name="listing_confirm"),
    path("listings/<uuid:listing_id>/claim/", views.claim, name="claim"),
    path("cqc-check/", views.cqc_self_check, name="cqc_check"),
    # Public: no sign-in needed.
    path("report-a-problem/<uuid:listing_id>/", views.report_problem, name="report_problem"),
    path("confirm/<str:token>/", views.confirm_by_link, name="confirm_by_link"),
]

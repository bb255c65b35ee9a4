"""Addresses for the marketplace's group pages (included by marketplace/urls.py, same namespace).

/provider/groups/ is the providers' side; /groups/ is where holders find and join them.
"""

from django.urls import path

from . import group_views

urlpatterns = [
    path("provider/groups/", group_views.provider_groups, name="provider_groups"),
    path("provider/groups/new/", group_views.provider_group_new, name="provider_group_new"),
    path(
        "provider/groups/new/payments/<uuid:provider_id>/",
        group_views.provider_group_payments,
        name="provider_group_payments",
    ),
    path(
        "provider/groups/new/payments/<uuid:provider_id>/return/",
        group_views.provider_group_payments_return,
        name="provider_group_payments_return",
    ),
    path(
        "provider/groups/<uuid:activity_id>/", group_views.provider_group_detail, name="provider_group_detail"
    ),
    path("groups/", group_views.group_activities, name="group_activities"),
    path("groups/<uuid:activity_id>/", group_views.group_activity, name="group_activity"),
    path("groups/<uuid:activity_id>/leave/", group_views.group_leave, name="group_leave"),
]

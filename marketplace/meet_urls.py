"""Addresses for meeting first (included by marketplace/urls.py, same namespace).

/budget/meet-first/ is the person's side; /my/meet-first/ is the provider's, beside the rest of
the providers' area (directory's /my/ pages do not use these paths).
"""

from django.urls import path

from . import meet_views as views

urlpatterns = [
    path("budget/meet-first/", views.meet_first_list, name="meet_first_list"),
    path("budget/meet-first/new/<uuid:listing_id>/", views.meet_first_new, name="meet_first_new"),
    path("budget/meet-first/<uuid:meet_id>/", views.meet_first_detail, name="meet_first_detail"),
    path("budget/meet-first/<uuid:meet_id>/choose/", views.meet_first_choose, name="meet_first_choose"),
    path("budget/meet-first/<uuid:meet_id>/answer/", views.meet_first_answer, name="meet_first_answer"),
    path("budget/meet-first/<uuid:meet_id>/cancel/", views.meet_first_cancel, name="meet_first_cancel"),
    path("budget/meet-first/<uuid:meet_id>/request/", views.meet_first_request, name="meet_first_request"),
    path("my/meet-first/", views.provider_meet_first_list, name="provider_meet_first_list"),
    path(
        "my/meet-first/<uuid:meet_id>/", views.provider_meet_first_detail, name="provider_meet_first_detail"
    ),
    path(
        "my/meet-first/<uuid:meet_id>/answer/",
        views.provider_meet_first_answer,
        name="provider_meet_first_answer",
    ),
    path(
        "my/meet-first/<uuid:meet_id>/cancel/",
        views.provider_meet_first_cancel,
        name="provider_meet_first_cancel",
    ),
]

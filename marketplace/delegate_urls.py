"""Addresses for the marketplace's delegate pages (included by marketplace/urls.py, same namespace).

/budget/helpers/ is the holder's list of helpers; the invitation link carries its token in the
path (only its hash is stored); /budget/switch/ chooses whose budget a helper works on.
"""

from django.urls import path

from . import delegate_views

urlpatterns = [
    path("budget/helpers/", delegate_views.delegates, name="delegates"),
    path("budget/helpers/<uuid:delegate_id>/change/", delegate_views.delegate_change, name="delegate_change"),
    path(
        "budget/helpers/<uuid:delegate_id>/withdraw/",
        delegate_views.delegate_withdraw,
        name="delegate_withdraw",
    ),
    path("budget/helpers/<uuid:delegate_id>/resend/", delegate_views.delegate_resend, name="delegate_resend"),
    path("budget/helpers/invitation/<str:token>/", delegate_views.delegate_accept, name="delegate_accept"),
    path(
        "budget/helpers/from-listing/<uuid:listing_id>/",
        delegate_views.delegate_from_listing,
        name="delegate_from_listing",
    ),
    path("budget/switch/", delegate_views.switch_budget, name="switch_budget"),
]

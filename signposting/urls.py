"""Addresses for signposting (included at the site root, before Wagtail's pages).

/shortlists/ is the professional's side; /s/<token>/ is the shared link, which needs no
sign-in; /enquiries/ is for people contacting providers and providers reading them;
/saved-searches/ and /alerts/unsubscribe/ are for search alerts; /professional/ is where
someone becomes a verified professional. /needs/ is the public list of needs,
/my/needs-near-you/ is the providers' list of needs their listings could meet, and
/start-something-local/ shows where support is missing.
"""

from django.urls import path

from . import views
from .needs import views as needs

app_name = "signposting"

urlpatterns = [
    path("shortlists/", views.shortlists, name="shortlists"),
    path("shortlists/did-it-help/", views.signposted_outcomes, name="signposted_outcomes"),
    path("shortlists/new/", views.shortlist_new, name="shortlist_new"),
    path("shortlists/add/", views.shortlist_add, name="shortlist_add"),
    path("shortlists/<uuid:shortlist_id>/", views.shortlist_detail, name="shortlist"),
    path("shortlists/<uuid:shortlist_id>/edit/", views.shortlist_edit, name="shortlist_edit"),
    path("shortlists/<uuid:shortlist_id>/print/", views.shortlist_print, name="shortlist_print"),
    path("shortlists/<uuid:shortlist_id>/email/", views.shortlist_email, name="shortlist_email"),
    path("shortlists/<uuid:shortlist_id>/link/", views.shortlist_link_action, name="shortlist_link"),
    path("shortlists/<uuid:shortlist_id>/comments/", views.shortlist_comment, name="shortlist_comment"),
    path("shortlists/<uuid:shortlist_id>/items/<int:item_id>/", views.item_edit, name="item_edit"),
    path("shortlists/<uuid:shortlist_id>/items/<int:item_id>/remove/", views.item_remove, name="item_remove"),
    path("s/<str:token>/", views.shortlist_public, name="shortlist_public"),
    path("s/<str:token>/print/", views.shortlist_public_print, name="shortlist_public_print"),
    path("s/<str:token>/comments/", views.shortlist_public_comment, name="shortlist_public_comment"),
    path("s/<str:token>/save/", views.shortlist_save, name="shortlist_save"),
    path("enquiries/", views.enquiries, name="enquiries"),
    path("enquiries/new/", views.enquiry_new, name="enquiry_new"),
    path("enquiries/sent/", views.enquiry_sent, name="enquiry_sent"),
    path("enquiries/<uuid:enquiry_id>/replied/", views.enquiry_replied, name="enquiry_replied"),
    path("saved-searches/", views.saved_searches, name="saved_searches"),
    path("saved-searches/new/", views.saved_search_new, name="saved_search_new"),
    path("saved-searches/<uuid:saved_id>/", views.saved_search_edit, name="saved_search_edit"),
    path("saved-searches/<uuid:saved_id>/delete/", views.saved_search_delete, name="saved_search_delete"),
    path("alerts/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("professional/", views.professional, name="professional"),
    # Needs (docs/needs.md): /needs/ and /needs/<id>/ are fixed addresses other tools rely on.
    path("needs/", needs.need_list, name="needs"),
    path("needs/new/", needs.need_new, name="need_new"),
    path("needs/yours/", needs.needs_mine, name="needs_mine"),
    path("needs/groups/new/", needs.group_new, name="group_new"),
    path("needs/<uuid:need_id>/join/", needs.group_join, name="group_join"),
    path("needs/<uuid:need_id>/leave/", needs.group_leave, name="group_leave"),
    path("needs/<uuid:need_id>/", needs.need_detail, name="need"),
    path("needs/<uuid:need_id>/withdraw/", needs.need_withdraw, name="need_withdraw"),
    path("needs/<uuid:need_id>/offer/", needs.need_offer, name="need_offer"),
    path(
        "needs/<uuid:need_id>/offer/new-listing/", needs.need_offer_new_listing, name="need_offer_new_listing"
    ),
    path("needs/offers/<uuid:offer_id>/accept/", needs.offer_accept, name="offer_accept"),
    # In the providers' area by address; directory's /my/ routes do not claim it.
    path("my/needs-near-you/", needs.needs_near_you, name="needs_near_you"),
    path("start-something-local/", needs.start_something_local, name="start_something_local"),
    path("start-something-local/alerts/", needs.demand_alerts, name="demand_alerts"),
    path(
        "start-something-local/alerts/<uuid:alert_id>/stop/",
        needs.demand_alert_delete,
        name="demand_alert_delete",
    ),
]

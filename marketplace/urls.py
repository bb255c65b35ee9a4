"""Addresses for the marketplace (included at the site root before Wagtail's pages).

/budget/ is the holder's area, /requests/ and /orders/ are shared by both sides (each view
checks who is asking), /provider/ is the providers' side, /stripe/ receives webhooks.
"""

from django.urls import include, path

from . import outcome_check_views, views

app_name = "marketplace"

urlpatterns = [
    path("budget/", views.dashboard, name="dashboard"),
    path("budget/setup/", views.budget_setup, name="budget_setup"),
    path("budget/plan/", views.plan, name="plan"),
    path("budget/plan/<uuid:outcome_id>/remove/", views.plan_outcome_remove, name="plan_outcome_remove"),
    path("budget/spending/new/", views.spending_new, name="spending_new"),
    path("budget/spending/<uuid:entry_id>/receipt/", views.spending_receipt, name="spending_receipt"),
    path("budget/ledger/", views.ledger, name="ledger"),
    path("budget/did-it-help/", outcome_check_views.did_it_help, name="did_it_help"),
    path(
        "budget/did-it-help/<uuid:outcome_check_id>/",
        outcome_check_views.did_it_help_answer,
        name="did_it_help_answer",
    ),
    path("requests/new/<uuid:listing_id>/", views.request_new, name="request_new"),
    path(
        "requests/new/<uuid:listing_id>/own-money/",
        views.request_new_own_money,
        name="request_new_own_money",
    ),
    path("requests/<uuid:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<uuid:request_id>/accept/", views.request_accept, name="request_accept"),
    path("requests/<uuid:request_id>/decline/", views.request_decline, name="request_decline"),
    path("requests/<uuid:request_id>/change/", views.request_change, name="request_change"),
    path(
        "requests/<uuid:request_id>/accept-change/", views.request_accept_change, name="request_accept_change"
    ),
    path("requests/<uuid:request_id>/withdraw/", views.request_withdraw, name="request_withdraw"),
    path("orders/<uuid:order_id>/", views.order_detail, name="order_detail"),
    path("orders/<uuid:order_id>/pay/", views.order_pay, name="order_pay"),
    path("orders/<uuid:order_id>/paid/", views.order_return, name="order_return"),
    path(
        "orders/<uuid:order_id>/payment-cancelled/",
        views.order_payment_cancelled,
        name="order_payment_cancelled",
    ),
    path("orders/<uuid:order_id>/receipt/", views.order_receipt, name="order_receipt"),
    path(
        "orders/<uuid:order_id>/receipt/download/",
        views.order_receipt_download,
        name="order_receipt_download",
    ),
    path("orders/<uuid:order_id>/cancel/", views.order_cancel, name="order_cancel"),
    path("provider/requests/", views.provider_inbox, name="provider_inbox"),
    path("provider/payments/", views.provider_payments, name="provider_payments"),
    path("provider/payments/<uuid:provider_id>/connect/", views.provider_connect, name="provider_connect"),
    path(
        "provider/payments/<uuid:provider_id>/refresh/",
        views.provider_onboarding_refresh,
        name="provider_onboarding_refresh",
    ),
    path(
        "provider/payments/<uuid:provider_id>/return/",
        views.provider_onboarding_return,
        name="provider_onboarding_return",
    ),
    path("stripe/webhook/", views.stripe_webhook, name="stripe_webhook"),
    path("stripe/webhook/connect/", views.stripe_connect_webhook, name="stripe_connect_webhook"),
    # Statements and statement links, delegates, pooled purchases, the holder's data rights, meet first.
    path("", include("marketplace.statement_urls")),
    path("", include("marketplace.delegate_urls")),
    path("", include("marketplace.group_urls")),
    path("", include("marketplace.privacy_urls")),
    path("", include("marketplace.meet_urls")),
]

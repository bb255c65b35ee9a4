"""Addresses for the marketplace's statement pages (included by marketplace/urls.py, same namespace).

/budget/statements/ is the holder's (and allowed delegates') statement page and downloads;
/budget/statements/shares/ is where the holder makes and stops read-only links; and
/statements/shared/<token>/ is what the council opens from such a link, without signing in.
"""

from django.urls import path

from . import statement_views as views

urlpatterns = [
    path("budget/statements/", views.statement_page, name="statements"),
    path("budget/statements/csv/", views.statement_csv, name="statement_csv"),
    path("budget/statements/pdf/", views.statement_pdf, name="statement_pdf"),
    path("budget/statements/pdf/status/", views.statement_pdf_status, name="statement_pdf_status"),
    path("budget/statements/receipts/", views.statement_receipts, name="statement_receipts"),
    path("budget/statements/shares/", views.statement_shares, name="statement_shares"),
    path(
        "budget/statements/shares/<uuid:share_id>/revoke/",
        views.statement_share_revoke,
        name="statement_share_revoke",
    ),
    path("statements/shared/<str:token>/", views.shared_statement, name="shared_statement"),
    path("statements/shared/<str:token>/csv/", views.shared_statement_csv, name="shared_statement_csv"),
    path("statements/shared/<str:token>/pdf/", views.shared_statement_pdf, name="shared_statement_pdf"),
    path(
        "statements/shared/<str:token>/pdf/status/",
        views.shared_statement_pdf_status,
        name="shared_statement_pdf_status",
    ),
]

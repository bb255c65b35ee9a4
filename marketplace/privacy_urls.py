"""Addresses for the marketplace's privacy pages (included by marketplace/urls.py, same namespace).

/budget/privacy/ is the holder's "Who has seen my information"; export/ and erase/ are their
rights to a copy of their data and to erasure. The coordinators' screens are in the Wagtail
admin (marketplace/wagtail_hooks.py).
"""

from django.urls import path

from . import privacy_views

urlpatterns = [
    path("budget/privacy/", privacy_views.privacy_page, name="privacy"),
    path("budget/privacy/export/", privacy_views.export, name="privacy_export"),
    path("budget/privacy/erase/", privacy_views.erase, name="privacy_erase"),
    path("budget/privacy/erase/confirm/", privacy_views.erase_confirm, name="privacy_erase_confirm"),
    path("budget/privacy/erased/", privacy_views.erased, name="privacy_erased"),
]

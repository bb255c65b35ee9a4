"""Addresses for the marketplace's statement pages (included by marketplace/urls.py, same namespace)."""

urlpatterns = []

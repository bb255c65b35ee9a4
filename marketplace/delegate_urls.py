"""Addresses for the marketplace's delegate pages (included by marketplace/urls.py, same namespace)."""

urlpatterns = []

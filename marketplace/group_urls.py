"""Addresses for the marketplace's group pages (included by marketplace/urls.py, same namespace)."""

urlpatterns = []

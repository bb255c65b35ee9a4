"""Addresses for the marketplace's privacy pages (included by marketplace/urls.py, same namespace)."""

urlpatterns = []

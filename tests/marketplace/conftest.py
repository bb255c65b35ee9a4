"""Fixtures for the marketplace tests."""

import pytest

from .fixtures import stripe_server, stripe_test_server  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Uploaded receipts go to a private folder per test."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"

"""Fixtures for the marketplace tests."""

import pytest

from .fixtures import stripe_server, stripe_test_server  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def _receipts_are_private(private_media):
    """Uploaded receipts go to a private folder per test (the shared `private_media`)."""

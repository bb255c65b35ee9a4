"""Fixtures for the fault tests: the Stripe-compatible test server from the marketplace tests."""

from tests.marketplace.fixtures import stripe_server, stripe_test_server  # noqa: F401 (fixtures)

"""Fixtures that start the Stripe-compatible test server and point the project at it.

Imported by tests/marketplace/conftest.py, and by browser tests that need them
(`from tests.marketplace.fixtures import stripe_server, stripe_test_server`).
"""

import json

import pytest
from django.urls import reverse

from tests.needs import missing

from .stripe_server import FIXTURES_PATH, StripeTestServer, sign_payload

SECRET_KEY = "sk_test_marketplace_suite"
WEBHOOK_SECRET = "whsec_test_platform_secret"
CONNECT_WEBHOOK_SECRET = "whsec_test_connect_secret"


@pytest.fixture(scope="session")
def stripe_test_server():
    """The Stripe-compatible test server, started once for the session on 127.0.0.1."""
    if not FIXTURES_PATH.exists():
        missing(
            f"Stripe's fixture objects are not at {FIXTURES_PATH} (../shared/stripe/fixtures3.json beside "
            "the repository, or set STRIPE_FIXTURES_PATH): the Stripe test server builds its responses "
            "from them"
        )
    server = StripeTestServer().start()
    yield server
    server.stop()


@pytest.fixture
def stripe_server(stripe_test_server, settings):
    """The test server, emptied, with the project's Stripe settings pointing at it."""
    stripe_test_server.reset()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_API_BASE = stripe_test_server.url
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = CONNECT_WEBHOOK_SECRET
    # Fail fast in fault tests: no SDK retries, short timeouts.
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.STRIPE_TIMEOUT_SECONDS = 2
    return stripe_test_server


def point_webhooks_at(server, base_url: str) -> None:
    """Deliver the test server's events to a live Django server at `base_url`."""
    server.set_webhook("platform", base_url + reverse("marketplace:stripe_webhook"), WEBHOOK_SECRET)
    server.set_webhook(
        "connect", base_url + reverse("marketplace:stripe_connect_webhook"), CONNECT_WEBHOOK_SECRET
    )


def post_webhook(
    client, event, *, endpoint="platform", secret=None, timestamp=None, signature=None, payload=None
):
    """Send an event to the project's webhook view through the test client, signed like Stripe."""
    payload = payload if payload is not None else json.dumps(event, indent=2)
    secret = secret or (CONNECT_WEBHOOK_SECRET if endpoint == "connect" else WEBHOOK_SECRET)
    header = signature if signature is not None else sign_payload(payload, secret, timestamp)
    name = "marketplace:stripe_connect_webhook" if endpoint == "connect" else "marketplace:stripe_webhook"
    return client.post(
        reverse(name), data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header
    )

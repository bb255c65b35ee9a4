"""Security headers, cookies, CSRF and the production settings, on real responses."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cms.models import Role
from cms.security import LAST_SEEN_SESSION_KEY
from tests.factories import UserFactory, make_listing

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits count in the cache: start and end each test clean."""
    cache.clear()
    yield
    cache.clear()


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_every_page_sends_the_security_headers(client, home):
    response = client.get("/")
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in permissions


def test_the_content_security_policy_allows_no_inline_script(client, listing):
    for url in ("/", "/search/?q=swimming&near=BL3", listing.url):
        csp = policy(client.get(url))
        assert csp["script-src"][0] == "'self'", url
        assert "'unsafe-inline'" not in csp["script-src"], url
        assert "'unsafe-eval'" not in csp["script-src"], url
        assert csp["style-src"] == ["'self'"], url
        assert csp["object-src"] == ["'none'"], url
        assert csp["base-uri"] == ["'self'"], url
        assert csp["frame-ancestors"] == ["'none'"], url
        assert csp["form-action"][0] == "'self'", url
        assert "https://checkout.stripe.com" in csp["form-action"], url
        assert "https://tile.openstreetmap.org" in csp["img-src"], url


def test_only_the_wagtail_admin_gets_its_looser_policy(client, home):
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    admin = client.get("/admin/")
    assert admin.status_code == 200
    assert "'unsafe-inline'" in policy(admin)["script-src"]
    assert policy(admin)["frame-ancestors"] == ["'none'"]
    front = client.get("/")
    assert "'unsafe-inline'" not in policy(front)["script-src"]


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, home):
    user = UserFactory(role=Role.BUDGET_HOLDER)
    client.get(reverse("account_login"))
    response = client.post(reverse("account_login"), {"login": user.email, "password": "password"})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    # Not "remember me": the session ends when the browser closes (shared computers).
    assert session["max-age"] == ""
    csrf = client.get(reverse("account_login")).cookies.get("csrftoken") or client.cookies["csrftoken"]
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"


def test_a_session_lasts_at_most_a_working_day(settings):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_sign_in_without_the_form_token_is_refused_with_a_clear_page(home):
    user = UserFactory()
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": user.email, "password": "password"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your form could not be sent" in body
    assert "govuk-heading-xl" in body
    assert "_auth_user_id" not in client.session


def test_an_enquiry_without_the_form_token_is_refused(listing):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("signposting:enquiry_new"),
        {
            "listing": str(listing.public_id),
            "name": "Margaret",
            "reply_to": "01204 123456",
            "message": "Could you take me swimming?",
        },
    )
    assert response.status_code == 403
    from signposting.models import Enquiry

    assert not Enquiry.objects.exists()


def test_a_marketplace_form_without_the_form_token_is_refused(home):
    from marketplace.models import Budget

    holder = UserFactory(role=Role.BUDGET_HOLDER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(holder)
    response = client.post(reverse("marketplace:budget_setup"), {"amount": "400"})
    assert response.status_code == 403
    assert "Your form could not be sent" in response.content.decode()
    assert not Budget.objects.filter(holder=holder).exists()


def test_a_coordinator_idle_for_half_an_hour_is_signed_out(client, home):
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True)
    client.force_login(coordinator)
    assert client.get("/admin/").status_code == 200
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = int(time.time()) - 31 * 60
    session.save()
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"])
    assert "You were signed out because you had not used the site for 30 minutes" in page.content.decode()


def test_a_budget_holder_is_not_signed_out_for_being_idle(client, home):
    holder = UserFactory(role=Role.BUDGET_HOLDER)
    client.force_login(holder)
    session = client.session
    session[LAST_SEEN_SESSION_KEY] = int(time.time()) - 3 * 60 * 60
    session.save()
    client.get("/")
    assert client.session.get("_auth_user_id") == str(holder.pk)


def test_provider_rich_text_is_cleaned_before_it_is_shown(client, directory):
    listing = make_listing(
        title="Garden help",
        description=(
            '<p><strong>Weeding.</strong><script>alert("x")</script><img src=x onerror="alert(1)">'
            '<a href="javascript:alert(2)">more</a> <a href="https://example.org/garden">Photos</a></p>'
        ),
    )
    body = client.get(listing.url).content.decode()
    assert "<strong>Weeding.</strong>" in body
    assert '<a href="https://example.org/garden" rel="noopener noreferrer nofollow">Photos</a>' in body
    assert 'alert("x")' not in body
    assert "onerror" not in body
    assert "javascript:alert" not in body


def test_check_deploy_is_clean_with_the_production_settings():
    # The test run's own DJANGO_ALLOW_ASYNC_UNSAFE (root conftest) is not part of a deployment.
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-long-random-production-key-" + "x7Q!p2#Lm9vR4tZ8kW1nB6yH3jD5sF0g",
        "DJANGO_ALLOWED_HOSTS": "support.example.org",
        # A deployment names its public address and sets up payments; without them the deploy
        # check warns (cms.W001, marketplace.W003: tests/cms/test_site_url.py, test_money_states.py).
        "SITE_URL": "https://support.example.org",
        "STRIPE_SECRET_KEY": "sk_test_deploy_check",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_deploy_check",
        "STRIPE_WEBHOOK_SECRET": "whsec_deploy_check",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout

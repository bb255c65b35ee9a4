"""Rate limits on signing in, signing up, password resets and enquiries, as a person meets them."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from cms.models import Role
from tests.factories import UserFactory, totp_code

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many attempts"
WAIT = "Wait a few minutes, then try again."


@pytest.fixture(autouse=True)
def fresh_cache():
    """The limits count in the cache, which outlives a test: start and end each test clean."""
    cache.clear()
    yield
    cache.clear()


def assert_429_page(response):
    assert response.status_code == 429
    body = response.content.decode()
    assert TOO_MANY in body
    assert WAIT in body
    assert "govuk-heading-xl" in body  # the site's own page, not a bare error


def test_sign_in_is_limited_to_30_tries_a_minute_from_one_address(client, home):
    url = reverse("account_login")
    for n in range(30):
        response = client.post(url, {"login": f"nobody{n}@example.org", "password": "wrong"})
        assert response.status_code == 200, n
    assert_429_page(client.post(url, {"login": "someone@example.org", "password": "wrong"}))
    # Another address is not affected.
    other = client.post(url, {"login": "someone@example.org", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_five_wrong_passwords_lock_the_account_for_a_while(client, home):
    user = UserFactory()
    url = reverse("account_login")
    for _ in range(5):
        wrong = client.post(url, {"login": user.email, "password": "not-it"})
        assert "The email address and/or password you specified are not correct." in wrong.content.decode()
    # Even the right password is refused now, with a message that says why.
    locked = client.post(url, {"login": user.email, "password": "password"})
    assert locked.status_code == 200
    assert "Too many failed login attempts. Try again later." in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_wrong_two_factor_codes_stop_further_guesses(client, home):
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True)
    client.post(reverse("account_login"), {"login": coordinator.email, "password": "password"})
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    refused = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert "Too many failed login attempts. Try again later." in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_up_is_limited_to_30_an_hour_from_one_address(client, home):
    url = reverse("account_signup")
    for n in range(30):
        response = client.post(url, {"email": f"new{n}@example.org", "password1": "x", "password2": "y"})
        assert response.status_code == 200, n  # a form error: the passwords do not match
    assert_429_page(
        client.post(
            url,
            {
                "email": "late@example.org",
                "password1": "a long pass phrase",
                "password2": "a long pass phrase",
            },
        )
    )


def test_password_reset_emails_are_limited_to_3_an_hour_for_one_account(client, home, mailoutbox):
    user = UserFactory()
    url = reverse("account_reset_password")
    for _ in range(3):
        assert client.post(url, {"email": user.email}).status_code == 302
    assert_429_page(client.post(url, {"email": user.email}))
    assert len(mailoutbox) == 3


def test_password_resets_are_limited_to_10_an_hour_from_one_address(client, home):
    url = reverse("account_reset_password")
    for n in range(10):
        assert client.post(url, {"email": f"someone{n}@example.org"}).status_code == 302
    assert_429_page(client.post(url, {"email": "another@example.org"}))


def test_enquiries_are_limited_to_10_an_hour_from_one_address(client, listing):
    url = reverse("signposting:enquiry_new")
    data = {
        "listing": str(listing.public_id),
        "name": "Margaret",
        "reply_to": "01204 123456",
        "message": "Could you take me swimming?",
    }
    for n in range(10):
        assert client.post(url, data).status_code == 302, n
    refused = client.post(url, data)
    assert refused.status_code == 429
    assert "You have sent a lot of messages in the last hour" in refused.content.decode()

"""Two-factor sign-in: coordinators, professionals and superusers must use an authenticator app."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.core.cache import cache
from django.urls import reverse

from cms.models import Role
from cms.security import TWO_FACTOR_REQUIRED_MESSAGE
from tests.factories import TEST_TOTP_SECRET, UserFactory, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    """Rate limits and used TOTP codes are counted in the cache: start and end each test clean."""
    cache.clear()
    yield
    cache.clear()


def sign_in_with_password(client, user, next_url=""):
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": user.email, "password": "password"})


@pytest.mark.parametrize(
    "person",
    [
        {"role": Role.COORDINATOR, "is_staff": True},
        {"role": Role.PROFESSIONAL},
        {"is_superuser": True, "is_staff": True},
    ],
    ids=["coordinator", "professional", "superuser"],
)
def test_someone_who_must_use_two_factor_is_sent_to_set_it_up(client, person):
    user = UserFactory(totp=False, **person)
    client.force_login(user)
    for url in ("/budget/", "/admin/", "/directory/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url
    page = client.get("/budget/", follow=True)
    assert TWO_FACTOR_REQUIRED_MESSAGE.replace("'", "&#x27;") in page.content.decode()
    # Their own account pages still work: they can sign out or set it up.
    assert client.get(reverse("account_logout")).status_code == 200


def test_a_coordinator_sets_up_an_authenticator_app_and_can_then_use_the_admin(client):
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True, totp=False)
    response = sign_in_with_password(client, coordinator, next_url="/admin/")
    assert response.status_code == 302
    assert client.get("/admin/")["Location"] == reverse("mfa_activate_totp")

    # allauth asks for the password again before changing how someone signs in.
    assert client.get(reverse("mfa_activate_totp")).status_code == 302
    client.post(reverse("account_reauthenticate"), {"password": "password"})
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()  # shown for typing in, beside the QR code

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=coordinator).exists()

    done = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=coordinator, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client):
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True)
    response = sign_in_with_password(client, coordinator, next_url="/admin/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    # The password alone does not sign them in.
    assert client.get("/admin/").status_code == 302

    page = client.get(reverse("mfa_authenticate"))
    assert "Code" in page.content.decode()
    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert wrong.status_code == 200
    assert "That code is not right. Enter the 6-digit code your authenticator app shows now" in (
        wrong.content.decode()
    )
    assert client.get("/admin/").status_code == 302

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(TEST_TOTP_SECRET)})
    assert right.status_code == 302
    assert right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_code_works_only_once(client):
    professional = UserFactory(role=Role.PROFESSIONAL)
    code = totp_code()
    sign_in_with_password(client, professional)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.logout()
    sign_in_with_password(client, professional)
    replay = client.post(reverse("mfa_authenticate"), {"code": code})
    assert replay.status_code == 200
    assert "That code is not right" in replay.content.decode()


def test_a_budget_holder_is_not_made_to_use_two_factor(client):
    holder = UserFactory(role=Role.BUDGET_HOLDER)
    response = sign_in_with_password(client, holder)
    assert response.status_code == 302
    assert response["Location"] == "/"
    budget = client.get("/budget/")
    assert budget.status_code in {200, 302}
    assert budget.get("Location", "") != reverse("mfa_activate_totp")


def test_the_admin_login_pages_go_through_allauth(client):
    # Wagtail's and Django's own password forms would skip the second factor.
    response = client.get("/admin/")
    assert response.status_code == 302
    wagtail_login = client.get(response["Location"])
    assert wagtail_login.status_code == 302
    assert wagtail_login["Location"] == reverse("account_login") + "?next=/admin/"

    django_login = client.get("/django-admin/login/?next=/django-admin/")
    assert django_login.status_code == 302
    assert django_login["Location"].startswith(reverse("account_login") + "?next=")

    # Someone signed in who may not use the admin is not bounced back to sign in again.
    client.force_login(UserFactory(role=Role.BUDGET_HOLDER))
    assert client.get("/admin/login/?next=/admin/")["Location"] == "/"


def test_someone_who_must_use_two_factor_cannot_switch_it_off(client):
    professional = UserFactory(role=Role.PROFESSIONAL)
    sign_in_with_password(client, professional)
    client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    client.post(reverse("account_reauthenticate"), {"password": "password"})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "must keep two-factor authentication on" in response.content.decode()
    assert Authenticator.objects.filter(user=professional, type=Authenticator.Type.TOTP).exists()

"""Account pages, sign-up and where each role lands after signing in (cms.adapters, cms.landing)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cms.landing import landing_url, navigation_for
from cms.models import Role
from marketplace.models import Delegate
from signposting.models import ProfessionalVerification
from tests import factories
from tests.marketplace.factories import make_budget, make_provider_member

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-Password-2026"


def _helper_of(*budgets):
    helper = factories.UserFactory(role=Role.DELEGATE)
    for budget in budgets:
        Delegate.objects.create(
            budget=budget, user=helper, name="Paul", email=helper.email, status=Delegate.Status.ACTIVE
        )
    return helper


def _professional():
    user = factories.UserFactory(role=Role.PROFESSIONAL)
    ProfessionalVerification.objects.create(user=user, verified_at=timezone.now(), method="coordinator")
    return user


def _labels(user):
    return [link.label for link in navigation_for(user)]


# --- Landing per role ---------------------------------------------------------------------


def test_holder_lands_on_their_budget():
    budget = make_budget()
    assert landing_url(budget.holder) == reverse("marketplace:dashboard")


def test_helper_of_one_person_lands_on_that_budget_and_of_several_on_the_switch_page():
    one = _helper_of(make_budget())
    several = _helper_of(make_budget(), make_budget())
    assert landing_url(one) == reverse("marketplace:dashboard")
    assert landing_url(several) == reverse("marketplace:switch_budget")


def test_withdrawn_helper_has_no_budget_to_land_on():
    helper = _helper_of(make_budget())
    Delegate.objects.filter(user=helper).update(status=Delegate.Status.WITHDRAWN)
    assert landing_url(helper) == "/"
    assert "Your budget" not in _labels(helper)


def test_provider_lands_on_my_listings():
    _provider, user = make_provider_member()
    assert landing_url(user) == reverse("my:dashboard")


def test_verified_professional_lands_on_shortlists():
    assert landing_url(_professional()) == reverse("signposting:shortlists")


def test_unverified_professional_group_member_is_not_sent_to_shortlists():
    user = factories.UserFactory(role=Role.PROFESSIONAL)
    assert landing_url(user) == "/"


def test_coordinator_lands_on_the_admin_dashboard():
    coordinator = factories.UserFactory(role=Role.COORDINATOR, is_staff=True)
    assert landing_url(coordinator) == reverse("wagtailadmin_home")


def test_someone_with_no_role_lands_on_the_home_page():
    assert landing_url(factories.UserFactory()) == "/"


# --- Navigation per role ------------------------------------------------------------------


def test_navigation_fits_the_role():
    holder = make_budget().holder
    _provider, provider = make_provider_member()
    assert _labels(holder) == ["Your budget"]
    assert _labels(_helper_of(make_budget())) == ["Your budget"]
    assert _labels(provider) == ["My listings", "Requests"]
    assert _labels(_professional()) == ["Shortlists"]
    assert _labels(factories.UserFactory(role=Role.COORDINATOR, is_staff=True)) == ["Admin"]
    assert _labels(factories.UserFactory()) == []


def test_header_shows_account_link_and_no_budget_link_for_a_provider(client):
    _provider, provider = make_provider_member()
    client.force_login(provider)
    page = client.get("/accounts/").content.decode()
    header = page.split("</header>")[0]
    assert 'href="/accounts/">Account</a>' in header
    assert "Your budget" not in header
    assert "My listings" in header
    assert "Your account" in page


def test_header_for_someone_signed_out_offers_sign_in_and_create_an_account(client, home):
    header = client.get("/accounts/login/").content.decode().split("</header>")[0]
    assert "Sign in" in header and "Create an account" in header
    assert "Account</a>" not in header


# --- Signing in ---------------------------------------------------------------------------


def _sign_in(client, email, password="password", next_url=None):  # noqa: S107 - the factories' password
    url = reverse("account_login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"login": email, "password": password})


def test_holder_signing_in_goes_to_their_budget(client):
    budget = make_budget()
    response = _sign_in(client, budget.holder.email)
    assert response.status_code == 302 and response["Location"] == reverse("marketplace:dashboard")


def test_next_wins_over_the_role_landing(client):
    budget = make_budget()
    response = _sign_in(client, budget.holder.email, next_url="/guides/")
    assert response["Location"] == "/guides/"


def test_coordinator_signing_in_with_a_code_goes_to_the_admin(client):
    coordinator = factories.UserFactory(role=Role.COORDINATOR, is_staff=True)
    response = _sign_in(client, coordinator.email)
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": factories.totp_code()})
    assert response["Location"] == reverse("wagtailadmin_home")


def test_sign_in_errors_name_the_field(client, home):
    page = client.post(reverse("account_login"), {"login": "", "password": ""}).content.decode()
    assert "Enter your email address" in page and "Enter your password" in page
    assert "This field is required" not in page
    assert "govuk-error-summary" in page and "<title>Error: Sign in" in page
    assert 'href="#id_login"' in page


def test_account_pages_use_sentence_case_and_the_site_layout(client, home):
    for name, heading in [
        ("account_login", "Sign in"),
        ("account_signup", "Create an account"),
        ("account_reset_password", "Reset your password"),
    ]:
        page = client.get(reverse(name)).content.decode()
        assert f'<h1 class="govuk-heading-l">{heading}</h1>' in page
        assert "lsm-header" in page and "govuk-input" in page
        assert "Sign In" not in page and "Sign Up" not in page


def test_signed_in_account_pages_render_in_the_site_layout(client, home):
    user = factories.UserFactory(totp=True)
    client.force_login(user)
    for url, heading in [
        (reverse("account_overview"), "Your account"),
        (reverse("account_email"), "Email addresses"),
        (reverse("account_change_password"), "Change your password"),
        (reverse("mfa_index"), "Two-step verification"),
        (reverse("account_logout"), "Sign out"),
    ]:
        page = client.get(url).content.decode()
        assert f'<h1 class="govuk-heading-l">{heading}</h1>' in page, url
        assert "lsm-header" in page


# --- Creating an account ------------------------------------------------------------------


def _sign_up(client, purpose, email="jo@example.org", **extra):
    data = {
        "first_name": "Jo",
        "last_name": "Bloggs",
        "purpose": purpose,
        "email": email,
        "password1": PASSWORD,
        "password2": PASSWORD,
        **extra,
    }
    return client.post(reverse("account_signup"), data)


def _confirm_email(client, email):
    message = next(m for m in mail.outbox if email in m.to)
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+)", message.body).group(1)
    return client.post(link)


def test_signup_errors_name_each_field_and_keep_what_was_typed(client, home):
    response = client.post(reverse("account_signup"), {"first_name": "Jo", "email": "not-an-email"})
    page = response.content.decode()
    for message in [
        "Enter your last name",
        "Select what you are here for",
        "Enter an email address in the correct format",
        "Enter a password",
    ]:
        assert message in page
    assert "This field is required" not in page
    assert 'value="Jo"' in page and 'value="not-an-email"' in page
    assert 'href="#id_purpose_0"' in page
    # The page that comes back keeps the site's labels, not allauth's ("Email", "Password (again)").
    for label in ["Email address", "Create a password", "Type the password again"]:
        assert f'">{label}</label>' in page
    assert "Password (again)" not in page


@pytest.mark.parametrize(
    ("purpose", "landing"),
    [
        ("holder", "marketplace:dashboard"),
        ("provider", "my:dashboard"),
        ("professional", "signposting:professional"),
        ("looking", "search"),
    ],
)
def test_signup_asks_for_name_and_purpose_and_goes_to_the_next_step(client, home, purpose, landing):
    # One address per case: allauth limits confirmation emails per address (in the cache).
    email = f"{purpose}@example.org"
    response = _sign_up(client, purpose, email=email)
    assert response["Location"] == reverse("account_email_verification_sent")
    user = get_user_model().objects.get(email=email)
    assert (user.first_name, user.last_name) == ("Jo", "Bloggs")
    response = _confirm_email(client, email)
    assert response["Location"] == reverse(landing)


@override_settings(ACCOUNT_EMAIL_VERIFICATION="optional")
def test_signup_without_mandatory_confirmation_signs_in_and_goes_to_the_next_step(client, home):
    response = _sign_up(client, "provider", email="optional@example.org")
    assert response["Location"] == reverse("my:dashboard")


@override_settings(PROFESSIONAL_EMAIL_DOMAINS=["nhs.net"])
def test_professional_with_an_allow_listed_email_is_verified_once_it_is_confirmed(client, home):
    _sign_up(client, "professional", email="gp@practice.nhs.net")
    user = get_user_model().objects.get(email="gp@practice.nhs.net")
    assert not ProfessionalVerification.objects.filter(user=user, verified_at__isnull=False).exists()
    response = _confirm_email(client, "gp@practice.nhs.net")
    assert ProfessionalVerification.objects.get(user=user).method == "email-domain"
    assert user.has_role(Role.PROFESSIONAL)
    # Verified professionals must set up two-step verification; shortlists are where they land.
    assert response["Location"] == reverse("signposting:shortlists")


@override_settings(PROFESSIONAL_EMAIL_DOMAINS=["nhs.net"])
def test_professional_with_another_email_is_told_how_verification_happens(client, home):
    _sign_up(client, "professional", email="worker@charity.org.uk")
    response = _confirm_email(client, "worker@charity.org.uk")
    user = get_user_model().objects.get(email="worker@charity.org.uk")
    assert not ProfessionalVerification.objects.filter(user=user).exists()
    assert response["Location"] == reverse("signposting:professional")
    page = client.get(response["Location"]).content.decode()
    assert "a coordinator checks" in page.lower()


@override_settings(PROFESSIONAL_EMAIL_DOMAINS=["nhs.net"])
def test_someone_not_signing_up_as_a_professional_is_not_made_one(client, home):
    _sign_up(client, "holder", email="nurse@trust.nhs.net")
    _confirm_email(client, "nurse@trust.nhs.net")
    user = get_user_model().objects.get(email="nurse@trust.nhs.net")
    assert not ProfessionalVerification.objects.filter(user=user).exists()
    assert EmailAddress.objects.get(user=user).verified


def test_a_spoilt_reset_link_says_so_plainly(client, home):
    page = client.get("/accounts/password/reset/key/zz-nonsense/", follow=True).content.decode()
    assert '<h1 class="govuk-heading-l">This link does not work</h1>' in page


def test_two_step_pages_after_signing_in_with_a_code(client, home):
    user = factories.UserFactory(totp=True)
    _sign_in(client, user.email)
    # The next step's code (accepted): another test may have just used this step's for the same
    # user id, and allauth refuses a code used recently.
    client.post(reverse("mfa_authenticate"), {"code": factories.totp_code(steps_ahead=1)})
    # These changes ask for the password again first.
    page = client.get(reverse("mfa_generate_recovery_codes"), follow=True).content.decode()
    assert '<h1 class="govuk-heading-l">Enter your password</h1>' in page
    client.post(reverse("account_reauthenticate"), {"password": "password"})
    for url, heading in [
        (reverse("mfa_generate_recovery_codes"), "Make new recovery codes"),
        (reverse("mfa_deactivate_totp"), "Turn off two-step verification"),
    ]:
        page = client.get(url).content.decode()
        assert f'<h1 class="govuk-heading-l">{heading}</h1>' in page, url
    client.post(reverse("mfa_generate_recovery_codes"))
    page = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    assert '<h1 class="govuk-heading-l">Recovery codes</h1>' in page
    assert "of 10 left" in page

"""Creating an account and signing in, for every role, on a desktop (1280 px) and a phone (390 px).

Each page is checked with axe-core (including WCAG 2.2 target size, which the header navigation
must meet at phone width) and must not scroll sideways.
"""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import Role
from marketplace.models import Delegate
from signposting.models import ProfessionalVerification
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.two_factor import sign_in
from tests.marketplace.factories import make_budget, make_provider_member

WIDTHS = {"desktop": 1280, "phone": 390}
PASSWORD = "a-long-Password-2026"


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def width(request):
    return WIDTHS[request.param]


@pytest.fixture
def new_page(browser, width):
    """`new_page()`: a page in a fresh context at this test's width (a new person, no cookies)."""
    contexts = []

    def make():
        context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def check(page, heading):
    """The page we expect, with no accessibility violations and nothing off the side."""
    expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


def test_sign_up_says_what_is_wrong_then_lands_on_the_next_step(live_url, new_page, width):
    # One address per width: allauth limits confirmation emails per address (in the cache).
    email = f"jo{width}@example.org"
    page = new_page()
    page.goto(live_url + "/accounts/login/")
    check(page, "Sign in")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Create an account").click()
    check(page, "Create an account")

    page.get_by_label("First name").fill("Jo")
    page.get_by_role("button", name="Create an account").click()
    check(page, "Create an account")
    summary = page.locator(".govuk-error-summary")
    for message in ["Enter your last name", "Select what you are here for", "Enter your email address"]:
        expect(summary).to_contain_text(message)
    expect(page.get_by_label("First name")).to_have_value("Jo")
    summary.get_by_role("link", name="Select what you are here for").click()
    expect(page.get_by_label("I hold a direct payment, or help someone who does")).to_be_focused()

    page.get_by_label("Last name").fill("Bloggs")
    page.get_by_label("I run a small local service").check()
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("Type the password again").fill(PASSWORD)
    page.get_by_role("button", name="Create an account").click()
    check(page, "Check your email")

    message = next(m for m in mail.outbox if email in m.to)
    page.goto(re.search(r"https?://\S+/accounts/confirm-email/\S+", message.body).group(0))
    check(page, "Confirm your email address")
    page.get_by_role("button", name="Confirm").click()
    # A provider's next step is "My listings", where they describe their organisation.
    expect(page).to_have_url(re.compile(r"/my/$"))
    check(page, "My listings")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Account")).to_be_visible()
    expect(nav.get_by_role("link", name="Your budget")).to_have_count(0)

    page.get_by_role("link", name="Account").click()
    check(page, "Your account")
    page.get_by_role("link", name="Set up two-step verification").click()
    check(page, "Two-step verification")
    page.get_by_role("link", name="Set up an authenticator app").click()
    # A sensitive change: the password first (signed in a moment ago by the link, not by it).
    check(page, "Enter your password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    check(page, "Set up two-step verification")
    page.get_by_role("button", name="Turn on two-step verification").click()
    check(page, "Set up two-step verification")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the 6-digit code")
    page.goto(live_url + "/accounts/password/change/")
    check(page, "Change your password")
    page.goto(live_url + "/accounts/email/")
    check(page, "Email addresses")


def _roles():
    """One person for each role, and where each should land after signing in."""
    holder = make_budget().holder
    helper = factories.UserFactory(role=Role.DELEGATE, first_name="Paul")
    for budget in (make_budget(), make_budget()):
        Delegate.objects.create(
            budget=budget, user=helper, name="Paul", email=helper.email, status=Delegate.Status.ACTIVE
        )
    _provider, provider = make_provider_member()
    professional = factories.UserFactory(role=Role.PROFESSIONAL)
    ProfessionalVerification.objects.create(
        user=professional, verified_at=timezone.now(), method="coordinator"
    )
    coordinator = factories.UserFactory(role=Role.COORDINATOR, is_staff=True)
    return [
        (holder, r"/budget/$", "Your budget", ["Your budget", "Account"]),
        (helper, r"/budget/switch/$", "Choose whose budget", ["Your budget", "Account"]),
        (provider, r"/my/$", "My listings", ["My listings", "Requests", "Account"]),
        (professional, r"/shortlists/$", "Your shortlists", ["Shortlists", "Account"]),
        (coordinator, r"/admin/$", None, []),
    ]


def test_each_role_lands_in_its_own_place_after_signing_in(live_url, new_page):
    for user, url, heading, links in _roles():
        page = new_page()
        page.goto(live_url + "/accounts/login/")
        check(page, "Sign in")
        sign_in(page, live_url, user.email)
        expect(page).to_have_url(re.compile(url))
        if heading is None:
            continue  # the Wagtail admin: its own look, tested by Wagtail
        check(page, heading)
        nav = page.get_by_role("navigation", name="Main")
        for label in links:
            expect(nav.get_by_role("link", name=label)).to_be_visible()
        if "Your budget" not in links:
            expect(nav.get_by_role("link", name="Your budget")).to_have_count(0)


def test_sign_in_errors_name_the_fields_and_next_wins(live_url, new_page):
    holder = make_budget().holder
    page = new_page()
    page.goto(live_url + "/accounts/login/?next=/guides/")
    page.get_by_role("button", name="Sign in").click()
    check(page, "Sign in")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your password")
    page.get_by_label("Email address").fill(holder.email)
    page.get_by_label("Password").fill("password")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/guides/$"))

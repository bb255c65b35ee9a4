"""Did it help? in a real browser, on a desktop (1280 px) and a phone (390 px): the holder opens
the question from their budget, leaves it half answered (the page says what is missing and keeps
the note), answers, and sees the answer on their support plan. A coordinator reads the report in
the admin. No axe violations and nothing off the side on any page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import Role
from marketplace import services
from marketplace.models import OutcomeCheck
from marketplace.services import outcome_checks, payments
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.browser.two_factor import sign_in, sign_in_to_site
from tests.marketplace import factories as mf

WIDTHS = {"desktop": 1280, "phone": 390}
NOTE = "Jo is patient with me in the water"


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def phone_or_desktop(browser, request):
    context = browser.new_context(viewport={"width": WIDTHS[request.param], "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def answered_world(live_url, settings):
    """Sam's swimming support has ended and is waiting for "did it help?"; five more answers exist."""
    settings.OUTCOME_REPORT_MIN_COUNT = 5
    factories.home_page()
    holder = mf.make_holder(email="sam@example.org", first_name="Sam")
    world = mf.World(budget=mf.make_budget(holder=holder))
    start = timezone.localdate() - timedelta(days=20)
    checks = []
    for n in range(6):
        support_request = services.request_support(
            budget=world.budget,
            by=world.holder,
            listing=world.listing,
            price=world.listing.prices.first(),
            quantity=1,
            starts_on=timezone.localdate() + timedelta(days=1),
            ends_on=timezone.localdate() + timedelta(days=14),
            plan_outcome=world.plan_outcome,
        )
        order = services.accept_request(support_request=support_request, by=world.provider_user)
        payments.record_payment(
            order=order, payment_intent_id=f"pi_journey_{n}", amount_pence=order.total_pence, currency="gbp"
        )
        [check] = outcome_checks.open_due_checks(today=order.ends_on)
        OutcomeCheck.objects.filter(pk=check.pk).update(due_on=start + timedelta(days=14))
        checks.append(check)
    for check in checks[1:]:
        outcome_checks.answer(check=check, by=world.holder, helped="a_lot", connections="more")
    factories.UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")
    return world


def fits(page):
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways"
    )


def test_holder_answers_did_it_help_and_sees_it_on_the_plan(phone_or_desktop, answered_world, live_url):
    page = phone_or_desktop
    sign_in_to_site(page, live_url, "sam@example.org")
    page.goto(live_url + "/budget/")
    page.get_by_role("link", name="Did it help? (1 waiting for an answer)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Did it help?")
    fits(page)

    page.locator("#did-it-help-waiting").get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Go swimming every week")
    fits(page)
    page.get_by_label("Anything else you want to remember about it (optional)").fill(NOTE)
    page.get_by_role("button", name="Save the answer").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Select whether it helped")
    expect(page.get_by_label("Anything else you want to remember about it (optional)")).to_have_value(NOTE)
    fits(page)
    summary.get_by_role("link", name="Select whether it helped").click()
    expect(page.get_by_label("A lot")).to_be_focused()

    page.get_by_label("A bit").check()
    page.get_by_label("About the same").check()
    page.get_by_role("button", name="Save the answer").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Your answer about “Go swimming every week” is saved"
    )
    expect(page.locator("#did-it-help-waiting")).to_have_count(0)
    fits(page)

    page.get_by_role("link", name="See the support plan").click()
    expect(page.locator("#plan-outcomes")).to_contain_text("Did it help: a bit")
    fits(page)


def test_coordinator_reads_the_did_it_help_report(page, answered_world, live_url):
    sign_in(page, live_url, "coordinator@example.org", next_path="/admin/")
    expect(page.locator("main")).to_be_visible()
    page.goto(live_url + "/admin/reports/did-it-help/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Did support help?")
    report = page.get_by_role("table", name="Did support help, by outcome and district")
    expect(report).to_contain_text("Get out and about")
    expect(report).to_contain_text("fewer than 5")
    assert_no_axe_violations(page)

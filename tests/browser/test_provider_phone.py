"""The providers' availability pages on a phone (390 px): the days-by-times grid fits the screen
(no sideways scrolling), every box keeps a 24 px target, and axe finds nothing."""

from playwright.sync_api import expect

from cms.models import Role
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.phone import assert_pages_fit_a_phone
from tests.browser.two_factor import sign_in_to_site


def test_the_availability_grid_fits_a_phone(live_url, phone):
    factories.home_page()
    factories.directory_page()
    provider = factories.ProviderFactory(name="Jo's Swims")
    jo = factories.UserFactory(role=Role.PROVIDER, email="jo@example.org")
    provider.members.add(jo)
    listing = factories.make_listing(title="Swimming buddy", provider=provider)

    sign_in_to_site(phone, live_url, jo.email)
    phone.goto(f"{live_url}/my/listings/{listing.public_id}/availability/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("Availability")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        "the availability page scrolls sideways at 390 px"
    )
    box = phone.get_by_label("Saturday evening").bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, box
    phone.get_by_label("Saturday evening").check()
    expect(phone.get_by_label("Saturday evening")).to_be_checked()
    assert_no_axe_violations(phone)


def test_a_providers_pages_fit_a_phone(live_url, phone):
    from marketplace.services import payments
    from tests.marketplace import factories as mf

    factories.home_page()
    factories.directory_page()
    provider, jo = mf.make_provider_member(
        factories.ProviderFactory(name="Farnworth Community Swimming Buddies"), email="jo@example.org"
    )
    mf.make_ready_account(provider)
    listing = mf.make_listing(provider, title="Swimming buddy for older people who want company at the pool")
    world = mf.World(budget=mf.make_budget())
    order = mf.make_order(budget=world.budget, listing=listing, provider_user=jo)
    payments.record_payment(
        order=order, payment_intent_id="pi_phone_p", amount_pence=order.total_pence, currency="gbp"
    )
    request = mf.make_request(budget=world.budget, listing=listing)

    sign_in_to_site(phone, live_url, jo.email)
    pages = [
        "/my/",
        f"/my/listings/{listing.public_id}/",
        *(
            f"/my/listings/{listing.public_id}/step/{step}/"
            for step in ("about", "help", "where", "prices", "when")
        ),
        f"/my/listings/{listing.public_id}/preview/",
        f"/my/organisation/{provider.public_id}/",
        f"/my/organisation/{provider.public_id}/checks/",
        "/my/cqc-check/",
        "/provider/requests/",
        "/provider/payments/",
        f"/requests/{request.public_id}/",
        f"/orders/{order.public_id}/",
    ]
    assert_pages_fit_a_phone(phone, live_url, pages)

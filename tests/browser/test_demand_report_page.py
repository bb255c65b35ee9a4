"""The coordinators' unmet-demand report in the real Wagtail admin: the figures, the heat
grid, the chart with its table, a period chosen with the form, a CSV download, and no
accessibility violations (axe, WCAG 2.2 A and AA).
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from cms.models import Role
from search.models import LowResultSearch
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def site(live_url):
    factories.home_page()
    factories.directory_page()
    factories.make_listing(title="Swimming buddy", base_postcode="BL3")
    for day, outcomes, district, results in [
        (2, "get-out-and-about", "BL3", 0),
        (2, "get-out-and-about", "BL3", 1),
        (3, "get-out-and-about", "BL1", 0),
        (9, "eat-well", "BL1", 2),
    ]:
        row = LowResultSearch.objects.create(outcomes=outcomes, district=district, result_count=results)
        LowResultSearch.objects.filter(pk=row.pk).update(created_at=datetime(2030, 3, day, 12, tzinfo=LONDON))
    factories.UserFactory(role=Role.COORDINATOR, is_staff=True, email="coordinator@example.org")
    return live_url


def admin_sign_in(page, live_url, email):
    # The admin signs people in through the site's own form, with the two-factor code.
    sign_in(page, live_url, email, next_path="/admin/")
    expect(page.locator("main")).to_be_visible()


def test_coordinator_reads_the_unmet_demand_report(site, page):
    admin_sign_in(page, site, "coordinator@example.org")
    # The menu item is there for coordinators.
    expect(page.get_by_role("link", name="Unmet demand")).to_have_count(1)
    page.goto(site + "/admin/signposting/demand/?start=2030-03-01&end=2030-03-07")
    expect(page.get_by_role("heading", level=1)).to_have_text("Unmet demand")
    expect(page.locator("#total-low-result")).to_have_text("3")

    grid = page.get_by_role(
        "table", name="Low-result searches by outcome or kind of support and postcode district"
    )
    expect(grid.get_by_role("row", name=re.compile("Get out and about"))).to_contain_text("2")
    expect(page.get_by_role("img", name="Low-result searches per day")).to_be_visible()
    page.get_by_text("Low-result searches per day as a table").click()
    expect(page.get_by_role("row", name="2 Mar 2")).to_be_visible()
    supply = page.get_by_role("table", name="Live services based in each district")
    expect(supply.get_by_role("row", name=re.compile("^BL3"))).to_contain_text("1")
    assert_no_axe_violations(page)

    # A longer period, chosen with the form, takes in the search on 9 March.
    page.get_by_label("To", exact=True).fill("2030-03-31")
    page.get_by_role("button", name="Show this period").click()
    expect(page.locator("#total-low-result")).to_have_text("4")
    expect(page.get_by_role("heading", name="1 March 2030 to 31 March 2030")).to_be_visible()
    assert_no_axe_violations(page)

    # The CSV download has the same figures.
    href = page.get_by_role("link", name="Unmet demand (CSV)").get_attribute("href")
    response = page.request.get(site + href)
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "Get out and about,outcome,get-out-and-about,BL3,2,1" in response.text()

"""The holder's data rights in a real browser: they read who has seen their information
(including what their helper did), download all their data as a zip, and read what erasing
would remove and keep. Every page is checked with axe (WCAG 2.2 A and AA)."""

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from marketplace import audit
from marketplace.models import AuditEvent
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf
from tests.marketplace.test_audit import add_helper

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def holder(live_url):
    """A holder with a budget and a plan, whose helper has looked at their money."""
    factories.home_page()
    budget = mf.make_budget(
        holder=mf.make_holder(email="sam@example.org", first_name="Sam", last_name="Holder"),
        own_words="Go swimming every week to stay fit",
    )
    helper = add_helper(budget, name="Alex Carer")
    audit.record(actor=helper, action="viewed_ledger", budget=budget)
    return budget.holder


def test_holder_sees_who_has_seen_their_information_and_downloads_it(page, live_url, holder):
    sign_in_to_site(page, live_url, "sam@example.org")

    page.goto(live_url + "/budget/privacy/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Who has seen my information")
    table = page.locator("#audit-events")
    expect(table.locator("tbody tr").first).to_contain_text("Looked at who has seen the information")
    expect(table).to_contain_text("Alex Carer (family member or friend)")
    expect(table).to_contain_text("Looked at the money in and out")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Download all your data").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Download all your data")
    assert_no_axe_violations(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download your data").click()
    download = download_info.value
    assert re.fullmatch(r"my-data-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    archive = zipfile.ZipFile(io.BytesIO(Path(download.path()).read_bytes()))
    data = json.loads(archive.read("data.json"))
    assert data["account"]["email"] == "sam@example.org"
    assert [item["in_your_words"] for item in data["support_plan"]] == ["Go swimming every week to stay fit"]
    assert any(name.startswith("statements/") and name.endswith(".pdf") for name in archive.namelist())
    assert AuditEvent.objects.filter(subject=holder, action="exported_data").count() == 1

    # What erasing would do is explained before anything can be erased.
    page.goto(live_url + "/budget/privacy/")
    page.get_by_role("link", name="Ask us to erase your data").click()
    expect(page.locator("#what-we-keep")).to_contain_text("orders, payments and refunds")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Continue").click()
    page.get_by_role("button", name="Erase my data").click()  # nothing typed: a clear error
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your email address")
    assert_no_axe_violations(page)
    holder.refresh_from_db()
    assert holder.is_active

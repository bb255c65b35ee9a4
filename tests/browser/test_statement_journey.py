"""A holder gets the statement the council asked for, in a real browser: chooses the dates,
sees the summary, downloads the CSV and the PDF. The page has no axe violations, with
JavaScript on and off (with it off the form and the downloads are plain GETs)."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace import services
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.marketplace import factories as mf

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def holder(live_url):
    """A holder whose £400 came in today, who spent £12.40 on a taxi yesterday."""
    factories.home_page()  # where signing in lands
    holder = mf.make_holder(email="sam@example.org", first_name="Sam", last_name="Holder")
    budget = mf.make_budget(
        holder=holder, amount_pence=40_000, starts_on=timezone.localdate() - timedelta(days=1)
    )
    services.record_outside_spending(
        budget=budget,
        by=holder,
        amount_pence=1_240,
        spent_on=timezone.localdate() - timedelta(days=1),
        description="Taxi to the pool",
        payee="Town Cabs",
        plan_outcome=budget.plan.outcomes.get(),
    )
    return holder


def fill_date(page, prefix, day):
    page.locator(f"#id_{prefix}_0").fill(str(day.day))
    page.locator(f"#id_{prefix}_1").fill(str(day.month))
    page.locator(f"#id_{prefix}_2").fill(str(day.year))


def test_holder_chooses_a_period_and_downloads_the_statement(page, holder, live_url):
    today = timezone.localdate()
    start = today - timedelta(days=7)
    sign_in_to_site(page, live_url, "sam@example.org")
    page.goto(live_url + "/budget/statements/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Statements")
    assert_no_axe_violations(page)

    # A slip first: the end before the start.
    fill_date(page, "start", today)
    fill_date(page, "end", start)
    page.get_by_role("button", name="Show statement").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The end date must be the same as or after the start date"
    )
    expect(page.locator("#id_start_0")).to_have_value(str(today.day))
    assert_no_axe_violations(page)

    fill_date(page, "start", start)
    fill_date(page, "end", today)
    page.get_by_role("button", name="Show statement").click()
    expect(page.locator("#statement-money-in")).to_have_text("£400")
    expect(page.locator("#statement-spent")).to_have_text("£12.40")
    expect(page.locator("#statement-closing")).to_have_text("£387.60")
    expect(page.locator("#statement-lines")).to_contain_text("Taxi to the pool")
    assert_no_axe_violations(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="Download the statement as a spreadsheet (CSV)").click()
    assert csv_download.value.suggested_filename == f"statement-{start}-to-{today}.csv"
    with open(csv_download.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert [(r[0], r[12]) for r in rows[1 : rows.index([])]] == [
        (str(today - timedelta(days=1)), "400.00"),
        (str(today - timedelta(days=1)), "-12.40"),
    ]

    with page.expect_download() as pdf_download:
        page.get_by_role("link", name="Download the statement as a PDF").click()
    assert pdf_download.value.suggested_filename == f"statement-{start}-to-{today}.pdf"
    from pypdf import PdfReader

    with open(pdf_download.value.path(), "rb") as handle:
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    assert "Taxi to the pool" in text and "£387.60" in text


def test_statement_page_works_without_javascript(page_nojs, holder, live_url):
    sign_in_to_site(page_nojs, live_url, "sam@example.org")
    page_nojs.goto(live_url + "/budget/statements/")
    page_nojs.get_by_role("link", name="Last 6 months").click()
    expect(page_nojs.locator("#statement-closing")).to_have_text("£387.60")
    assert_no_axe_violations(page_nojs)
    href = page_nojs.get_by_role("link", name="Download the statement as a PDF").get_attribute("href")
    response = page_nojs.request.get(live_url + href)
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="statement-')

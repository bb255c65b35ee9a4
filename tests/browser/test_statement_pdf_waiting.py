"""A council officer opens the PDF of a large shared statement, in a real browser on a desktop
(1280 px) and a phone (390 px): the "Your PDF is being made" page says, politely and without
reloading itself, that it is still being made, then downloads the PDF by itself once it is
ready. Without JavaScript the "Check again" button does the same. No axe violations, nothing
off the side.

No worker runs here: the dummy task backend keeps the task queued, and the test runs the task's
own function when the worker would.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.services import statements
from tests import factories
from tests.browser.axe import assert_no_axe_violations
from tests.browser.conftest import TIMEOUT_MS
from tests.marketplace import factories as mf

pytestmark = pytest.mark.usefixtures("private_media")

WIDTHS = {"desktop": 1280, "phone": 390}


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def sized_page(browser, request):
    context = browser.new_context(viewport={"width": WIDTHS[request.param], "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.fixture
def shared(live_url, settings):
    """A shared statement whose PDF is made by a (not yet run) task: (budget, link, period)."""
    settings.STATEMENT_PDF_INLINE_MAX_LINES = 0
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    factories.home_page()
    budget = mf.make_budget(amount_pence=40_000, contribution_pence=2_000)
    today = timezone.localdate()
    _, token = statements.create_share(
        budget=budget,
        by=budget.holder,
        recipient="Social worker",
        starts_on=today - timedelta(days=7),
        ends_on=today,
        days=14,
    )
    return budget, f"{live_url}/statements/shared/{token}/pdf/", (today - timedelta(days=7), today)


def _made_by_the_worker(budget, period):
    statements.prepare_pdf(budget_pk=budget.pk, starts_on=period[0], ends_on=period[1])


def test_the_waiting_page_says_how_it_is_going_and_downloads_the_pdf_when_ready(sized_page, shared):
    page = sized_page
    budget, pdf_url, period = shared

    response = page.goto(pdf_url)

    assert response.status == 202
    expect(page.get_by_role("heading", level=1)).to_have_text("Your PDF is being made")
    progress = page.get_by_role("status")
    expect(progress).to_have_attribute("aria-live", "polite")
    expect(progress).to_have_text(
        "Your PDF is still being made. This page will download it when it is ready.", timeout=15_000
    )
    expect(page.get_by_role("button", name="Check again")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator('meta[http-equiv="refresh"]').count() == 0
    assert_no_axe_violations(page)

    with page.expect_download(timeout=30_000) as download:
        _made_by_the_worker(budget, period)
    assert download.value.suggested_filename.endswith(".pdf")
    with open(download.value.path(), "rb") as handle:
        assert handle.read(4) == b"%PDF"
    expect(progress).to_have_text("Your PDF is ready. It is downloading now.")
    assert_no_axe_violations(page)


def test_without_javascript_check_again_downloads_the_pdf_once_made(page_nojs, shared):
    budget, pdf_url, period = shared
    page_nojs.goto(pdf_url)
    expect(page_nojs.get_by_role("heading", level=1)).to_have_text("Your PDF is being made")
    expect(page_nojs.get_by_role("status")).to_have_text("")

    _made_by_the_worker(budget, period)
    with page_nojs.expect_download() as download:
        page_nojs.get_by_role("button", name="Check again").click()
    assert download.value.suggested_filename.endswith(".pdf")

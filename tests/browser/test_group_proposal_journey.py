"""A group proposal in a real browser, at desktop width and at 390 px: a holder proposes
"swimming on Tuesday mornings near BL3, 3 to 4 people"; another holder joins it; a provider
nearby offers a price per place; once enough have joined the proposer chooses the offer; the
provider opens the emailed link, finds the marketplace's group form filled in from the
proposal and saves it; the joiner is told, takes their place from their own budget against
their own plan outcome, and the group goes ahead. Every page of ours is checked with axe
(WCAG 2.2 A and AA), and at 390 px nothing scrolls sideways.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from marketplace.models import GroupActivity, Order
from marketplace.services import pooling
from signposting.models import Need
from signposting.needs import groups
from tests.browser.axe import assert_no_axe_violations
from tests.browser.two_factor import sign_in_to_site
from tests.factories import make_listing
from tests.marketplace import factories as mf

pytestmark = pytest.mark.usefixtures("private_media")


@pytest.fixture
def people(live_url, settings):
    """A provider ready to be paid with a swimming listing in BL3 on Tuesday mornings, and three
    holders with budgets: the proposer, one who joins in the browser, one who joins already."""
    settings.SITE_BASE_URL = live_url  # links in emails and from the marketplace point here
    provider, _ = mf.make_provider_member(email="jo@example.org")
    provider.name = "Jo's Swims"
    provider.save()
    mf.make_ready_account(provider)
    make_listing(title="Swimming buddy", provider=provider, base_postcode="BL3", slots=("tue-morning",))
    budgets = {}
    for key, email in (
        ("proposer", "sam@example.org"),
        ("joiner", "ria@example.org"),
        ("third", "ted@example.org"),
    ):
        holder = mf.make_holder(email=email, first_name=key.title(), last_name="Holder")
        budgets[key] = mf.make_budget(holder=holder, amount_pence=40_000, own_words="Go swimming every week")
    return budgets


def check_page(page, title):
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    assert_no_axe_violations(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "scrolls sideways"


def fill_date(page, prefix, day):
    page.locator(f"#id_{prefix}_0").fill(str(day.day))
    page.locator(f"#id_{prefix}_1").fill(str(day.month))
    page.locator(f"#id_{prefix}_2").fill(str(day.year))


@pytest.mark.parametrize("width", [1280, 390])
def test_a_group_proposal_fills_and_is_run_by_a_provider(browser, people, live_url, width):
    viewport = {"width": width, "height": 900}
    pages = [browser.new_context(viewport=viewport, locale="en-GB").new_page() for _ in range(3)]
    proposer, joiner, provider = pages
    for page in pages:
        page.set_default_timeout(15_000)

    # 1. The proposer proposes a group; a smallest group above the largest is explained.
    sign_in_to_site(proposer, live_url, "sam@example.org")
    proposer.goto(live_url + "/needs/")
    proposer.get_by_role("button", name="Propose a group").click()  # a link drawn as a button
    check_page(proposer, "Propose a group")
    proposer.get_by_label("Get out and about").check()
    words = proposer.get_by_label("What would the group do, and when?")
    words.fill("Swimming on Tuesday mornings at the leisure centre.")
    proposer.get_by_label("Postcode district").fill("BL3")
    proposer.get_by_label("Tuesday morning").check()
    proposer.get_by_label("Smallest group that could run").fill("5")
    proposer.get_by_label("Largest group").fill("4")
    proposer.get_by_role("button", name="Propose group").click()
    expect(proposer.locator(".govuk-error-summary")).to_contain_text(
        "The largest group must be the same as or more than the smallest"
    )
    assert_no_axe_violations(proposer)
    expect(words).to_have_value("Swimming on Tuesday mornings at the leisure centre.")
    proposer.get_by_label("Smallest group that could run").fill("3")
    proposer.get_by_role("button", name="Propose group").click()
    check_page(proposer, "Your group proposal in BL3")
    expect(proposer.locator("main")).to_contain_text("1 of the 3 people needed have joined")
    need = Need.objects.get()

    # 2. Another holder finds it and joins (nobody's name is shown).
    sign_in_to_site(joiner, live_url, "ria@example.org")
    joiner.goto(live_url + "/needs/")
    joiner.get_by_role("link", name=re.compile("Get out and about in BL3")).click()
    check_page(joiner, "A group proposed in BL3")
    assert "Proposer" not in joiner.content() and "sam@" not in joiner.content()
    joiner.get_by_role("button", name="Join this group").click()
    check_page(joiner, "A group proposed in BL3")
    expect(joiner.locator("main")).to_contain_text("You joined this group")
    # A third person joins too, so the proposal has enough.
    groups.join_group(need=need, by=people["third"].holder)

    # 3. The provider nearby offers a price per place.
    sign_in_to_site(provider, live_url, "jo@example.org")
    provider.goto(live_url + "/my/needs-near-you/")
    check_page(provider, "Needs near you")
    provider.get_by_role("link", name=re.compile("Offer to help")).click()
    check_page(provider, "Offer to help in BL3")
    provider.get_by_label("Your price, £").fill("8")
    provider.get_by_label("per session").check()
    provider.get_by_label("Message to the person").fill("I teach swimming at Castle Leisure on Tuesdays.")
    provider.get_by_role("button", name="Send offer").click()
    check_page(provider, "Needs near you")

    # 4. Enough have joined: the proposer chooses the offer.
    proposer.goto(f"{live_url}/needs/{need.public_id}/")
    check_page(proposer, "Your group proposal in BL3")
    expect(proposer.locator("main")).to_contain_text("3 people have joined: enough to choose an offer")
    proposer.get_by_role("button", name=re.compile("Choose this offer")).click()
    check_page(proposer, "Your group proposal in BL3")
    expect(proposer.locator(".govuk-notification-banner")).to_contain_text("asked them to set up the group")

    # 5. The provider opens the emailed link: the group form is filled in from the proposal.
    email = next(m for m in mail.outbox if "was chosen" in m.subject)
    link = re.search(r"Set up the group: (\S+)", email.body).group(1)
    assert link.startswith(live_url)
    provider.goto(link)
    check_page(provider, "Offer a group activity")
    expect(provider.get_by_label("Price for one person, for each of those")).to_have_value("8.00")
    expect(provider.get_by_label("How many places?")).to_have_value("4")
    expect(provider.get_by_label("How many people must join for it to go ahead?")).to_have_value("3")
    start = timezone.localdate() + timedelta(days=14)
    provider.get_by_label("Name of the activity").fill("Tuesday swimming group")
    fill_date(provider, "starts_on", start)
    fill_date(provider, "ends_on", start + timedelta(days=28))
    fill_date(provider, "join_by", start - timedelta(days=3))
    provider.get_by_label("Hold places and take payment only once the group is on").check()
    provider.get_by_role("button", name="Offer the activity").click()
    check_page(provider, "Tuesday swimming group")
    activity = GroupActivity.objects.get()
    need.refresh_from_db()
    assert need.activity_ref == activity.public_id

    # 6. The joiner is told, and takes their place from their own budget and outcome.
    assert any(m.to == ["ria@example.org"] and "take your place" in m.subject for m in mail.outbox)
    joiner.goto(f"{live_url}/needs/{need.public_id}/")
    check_page(joiner, "A group proposed in BL3")
    joiner.get_by_role("button", name="Take your place in the group").click()  # a link drawn as a button
    check_page(joiner, "Tuesday swimming group")
    joiner.get_by_label("Go swimming every week").check()
    joiner.get_by_role("button", name=re.compile("^Join")).click()
    check_page(joiner, "Tuesday swimming group")
    for key in ("proposer", "third"):
        budget = people[key]
        pooling.join_activity(
            activity=activity, budget=budget, by=budget.holder, plan_outcome=budget.plan.outcomes.first()
        )
    joiner.reload()
    expect(joiner.locator("#activity-status")).to_have_text("Going ahead")
    share = Order.objects.get(activity=activity, budget=people["joiner"])
    assert (share.total_pence, share.plan_outcome.plan.budget_id) == (800, people["joiner"].pk)
    for page in pages:
        page.context.close()

"""Demand made visible: "Start something local" (counts by district and outcome, small numbers
suppressed, a table without JavaScript, the coordinators' guide ending in the listing wizard),
the needs figures in the coordinators' report, and the demo's needs in Bolton.
"""

from datetime import date, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cms.models import Role, StartSomethingLocalGuide
from directory.models import Outcome, PostcodeDistrict
from search.models import LowResultSearch
from signposting import report
from signposting.models import Need
from signposting.needs import demand
from signposting.needs import services as needs
from tests.factories import ProviderFactory, UserFactory, make_listing

pytestmark = pytest.mark.django_db


def post(*, district="BL3", outcome="get-out-and-about", words="Someone to swim with.", user=None):
    return needs.post_need(
        by=user or UserFactory(first_name="Margaret", last_name="Hughes"),
        outcomes=[Outcome.objects.get(slug=outcome)],
        own_words=words,
        district=PostcodeDistrict.objects.get(code=district),
    )


def low_result(district, outcomes, n):
    LowResultSearch.objects.bulk_create(
        [LowResultSearch(outcomes=outcomes, district=district, result_count=0) for _ in range(n)]
    )


def test_counts_below_the_threshold_show_as_fewer_than_5(client):
    for _ in range(6):
        post(district="BL3")
    post(district="BL1", outcome="eat-well")
    low_result("BL3", "get-out-and-about", 2)
    low_result("BL1", "eat-well", 7)
    rows = {(r.district, r.outcome_slug): (str(r.needs), str(r.searches)) for r in demand.demand_table()}
    assert rows[("BL3", "get-out-and-about")] == ("6", "fewer than 5")
    assert rows[("BL1", "eat-well")] == ("fewer than 5", "7")
    body = client.get(reverse("signposting:start_something_local")).content.decode()
    assert "<table" in body and "fewer than 5" in body and ">6<" in body and ">7<" in body
    assert "Margaret" not in body and "Hughes" not in body and "swim with" not in body


def test_the_threshold_is_a_setting(settings):
    settings.DEMAND_MIN_COUNT = 2
    post()
    post()
    (row,) = demand.demand_table()
    assert str(row.needs) == "2"


def test_rows_with_only_small_counts_are_left_out_of_the_whole_site_view_but_shown_for_a_district(client):
    post(district="BL4")
    assert demand.demand_table() == []
    body = client.get(reverse("signposting:start_something_local") + "?district=bl4").content.decode()
    assert "fewer than 5" in body and "BL4" in body


def test_expired_and_hidden_needs_are_not_counted():
    for _ in range(5):
        post()
    Need.objects.filter(pk=Need.objects.first().pk).update(hidden=True)
    with time_machine.travel(timezone.now() + timedelta(weeks=9)):
        assert demand.demand_table(district="BL3") == []
    assert demand.demand_table(district="BL3")[0].needs.count == 4


def test_the_guide_is_editable_by_coordinators_and_ends_in_the_listing_wizard(client):
    body = client.get(reverse("signposting:start_something_local")).content.decode()
    assert "regulated personal care" in body.lower() or "personal care" in body
    assert reverse("my:cqc_check") in body and reverse("my:dashboard") in body
    guide = StartSomethingLocalGuide.load()
    guide.body = "<p>Talk to your neighbours first.</p>"
    guide.save()
    assert (
        "Talk to your neighbours first."
        in client.get(reverse("signposting:start_something_local")).content.decode()
    )
    coordinator = UserFactory(role=Role.COORDINATOR, is_staff=True)
    assert coordinator.has_perm("cms.change_startsomethinglocalguide")
    assert coordinator.has_perm("signposting.change_need")


# --- The coordinators' report ------------------------------------------------------------------


def test_the_report_counts_needs_posted_answered_accepted_and_days_to_first_offer(client, directory):
    provider = ProviderFactory()
    member = UserFactory(role=Role.PROVIDER)
    provider.members.add(member)
    listing = make_listing(provider=provider, slots=())
    start = timezone.now()
    poster = UserFactory()
    with time_machine.travel(start, tick=False):
        answered, accepted, _unanswered = (post(user=poster, words=f"Need {i}.") for i in range(3))
    for need, days in ((answered, 2), (accepted, 4)):
        with time_machine.travel(start + timedelta(days=days), tick=False):
            needs.make_offer(
                need=need, listing=listing, by=member, price_pence=1500, price_unit="hour", message="Yes"
            )
    needs.accept_offer(offer=accepted.offers.get(), by=poster)
    period = report.Period(timezone.localdate(start) - timedelta(days=1), timezone.localdate(start))
    (row,) = report.needs_summary(period=period)
    assert (row.outcome, row.district, row.posted, row.answered, row.accepted) == (
        "Get out and about",
        "BL3",
        3,
        2,
        1,
    )
    assert row.median_days_to_first_offer == 3.0
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    query = f"?start={period.start.isoformat()}&end={period.end.isoformat()}"
    body = client.get(reverse("signposting_report") + query).content.decode()
    assert "Needs posted and answered" in body and "Need 0." not in body


def test_the_report_csv_has_the_needs_section():
    post()
    period = report.Period(date.today() - timedelta(days=1), date.today() + timedelta(days=1))
    lines = report.csv_text("needs", period=period).splitlines()
    assert lines[0] == "outcome,district,posted,answered,offer accepted,met (paid),median days to first offer"
    assert lines[1] == "Get out and about,BL3,1,0,0,0,"


# --- The demo ----------------------------------------------------------------------------------


def test_the_demo_posts_a_few_needs_and_a_group_proposal_in_bolton_once(home):
    from directory.demo import load_demo

    load_demo()
    load_demo()
    codes = set(Need.objects.values_list("district__code", flat=True))
    assert Need.objects.count() == 6 and codes <= {f"BL{i}" for i in range(1, 10)}
    assert all(n.is_open() for n in Need.objects.all())
    group = Need.objects.get(min_people__isnull=False)
    assert (group.min_people, group.max_people, group.members.count()) == (4, 8, 2)

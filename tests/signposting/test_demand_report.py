"""The coordinators' unmet-demand report: its figures equal ones worked out by hand from a
fixed set of logged searches, it holds nothing personal, and only coordinators see it.
"""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from directory.models import Check
from search.models import LowResultSearch
from search.query import parse_query
from search.services import search_listings, vocabularies
from signposting import report
from signposting import services as signposting
from signposting.models import Enquiry, ProfessionalVerification
from tests.factories import ProviderFactory, UserFactory, make_check, make_listing

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
PERIOD = report.Period(date(2030, 3, 1), date(2030, 3, 7))

# (when, outcomes, categories, district, results): nine searches, one outside the period.
LOGGED = [
    (datetime(2030, 3, 1, 9, 0), "get-out-and-about", "", "BL3", 0),
    (datetime(2030, 3, 1, 23, 30), "get-out-and-about", "", "BL3", 0),  # still 1 March in London
    (datetime(2030, 3, 2, 10, 0), "get-out-and-about", "", "BL3", 2),
    (datetime(2030, 3, 2, 11, 0), "get-out-and-about,eat-well", "", "BL3", 1),
    (datetime(2030, 3, 4, 12, 0), "eat-well", "", "BL1", 0),
    (datetime(2030, 3, 4, 13, 0), "eat-well", "", "BL1", 0),
    (datetime(2030, 3, 6, 14, 0), "", "gardening-and-home-help", "BL4", 1),
    (datetime(2030, 3, 7, 23, 59), "", "", "BL5", 2),  # a place only: "any support"
    (datetime(2030, 3, 8, 0, 1), "eat-well", "", "BL1", 0),  # the day after the period
]


@pytest.fixture
def logged(db):
    for when, outcomes, categories, district, results in LOGGED:
        row = LowResultSearch.objects.create(
            outcomes=outcomes, categories=categories, district=district, result_count=results
        )
        # created_at is auto_now_add; set the time the search happened.
        LowResultSearch.objects.filter(pk=row.pk).update(created_at=when.replace(tzinfo=LONDON))


def test_unmet_demand_rows_equal_the_hand_count(logged):
    rows = [(r.label, r.district, r.searches, r.no_results) for r in report.unmet_demand(period=PERIOD)]
    assert rows == [
        ("Get out and about", "BL3", 4, 2),
        ("Eat well", "BL1", 2, 2),
        ("Any support", "BL5", 1, 0),
        ("Eat well", "BL3", 1, 0),
        ("Gardening and home help", "BL4", 1, 0),
    ]
    assert report.total_low_result_searches(period=PERIOD) == 8


def test_heat_grid_equals_the_hand_count(logged):
    grid = report.heat_grid(report.unmet_demand(period=PERIOD))
    assert grid.districts == ["BL3", "BL1", "BL4", "BL5"]  # by total: 5, 2, 1, 1
    assert grid.maximum == 4
    assert dict(grid.rows) == {
        "Get out and about": [(4, 4), (0, 0), (0, 0), (0, 0)],
        "Eat well": [(1, 1), (2, 2), (0, 0), (0, 0)],
        "Any support": [(0, 0), (0, 0), (0, 0), (1, 1)],
        "Gardening and home help": [(0, 0), (0, 0), (1, 1), (0, 0)],
    }


def test_over_time_counts_each_day_in_local_time(logged):
    unit, buckets = report.over_time(period=PERIOD)
    assert unit == "day"
    assert [(b.start.day, b.count) for b in buckets] == [
        (1, 2),
        (2, 2),
        (3, 0),
        (4, 2),
        (5, 0),
        (6, 1),
        (7, 1),
    ]
    assert buckets[0].label == "1 Mar"


def test_over_time_uses_weeks_and_months_for_longer_periods(logged):
    unit, buckets = report.over_time(period=report.Period(date(2030, 2, 1), date(2030, 4, 30)))
    assert unit == "week"
    by_week = {b.start: b.count for b in buckets}
    assert by_week[date(2030, 2, 25)] == 4  # Mon 25 Feb to Sun 3 Mar
    assert by_week[date(2030, 3, 4)] == 5  # Mon 4 to Sun 10 Mar, including 8 March
    assert sum(by_week.values()) == 9
    unit, buckets = report.over_time(period=report.Period(date(2029, 10, 1), date(2030, 9, 30)))
    assert unit == "month"
    assert [(b.label, b.count) for b in buckets if b.count] == [("Mar 2030", 9)]


def test_supply_by_district_counts_live_listings_and_sets_them_beside_demand(logged, directory):
    make_listing(title="A", base_postcode="BL3 5AA")
    make_listing(title="B", base_postcode="BL3", intake="full")
    make_listing(title="C", base_postcode="BL1")
    make_listing(title="Draft", base_postcode="BL1", publish=False)
    rows = {
        r.district: (r.listings, r.taking_new, r.low_result_searches)
        for r in report.supply_by_district(period=PERIOD)
    }
    assert rows == {"BL3": (2, 1, 4), "BL1": (1, 1, 2), "BL4": (0, 0, 1), "BL5": (0, 0, 1)}


def test_stale_listings_and_expiring_evidence(directory):
    fresh = make_listing(title="Fresh")
    make_listing(title="Stale", last_confirmed_at=timezone.now() - timedelta(days=400))
    today = timezone.localdate()
    make_check(fresh.provider, kind=Check.Kind.DBS, expires_on=today + timedelta(days=10))
    make_check(fresh.provider, kind=Check.Kind.PUBLIC_LIABILITY, expires_on=today + timedelta(days=90))
    make_check(
        fresh.provider, kind=Check.Kind.SAFEGUARDING, expires_on=today + timedelta(days=5), verified=False
    )
    assert [listing.title for listing in report.stale_listings()] == ["Stale"]
    assert [check.kind for check in report.expiring_evidence()] == [Check.Kind.DBS]


def test_signposting_rates_equal_the_hand_count(directory):
    professional = UserFactory(role=Role.PROFESSIONAL)
    ProfessionalVerification.objects.create(
        user=professional, verified_at=timezone.now(), method="coordinator"
    )
    a, b, c = (make_listing(title=t) for t in ("A", "B", "C"))
    first = signposting.create_shortlist(owner=professional, title="One")
    second = signposting.create_shortlist(owner=professional, title="Two")
    signposting.create_shortlist(owner=professional, title="Three")  # never used
    for shortlist, listings in ((first, (a, b)), (second, (a, c))):
        for listing in listings:
            signposting.add_to_shortlist(shortlist=shortlist, listing=listing, by=professional)
    signposting.record_open(shortlist=first)
    signposting.record_open(shortlist=second)
    for listing, shortlist in ((a, first), (a, first), (b, first), (c, None)):
        Enquiry.objects.create(
            listing=listing, shortlist=shortlist, name="X", reply_to="x@example.org", message="Hi"
        )

    summary = report.signposting_summary(period=report.Period.last(1))
    assert summary.shortlists == 3
    assert summary.shortlists_opened == 2
    assert summary.shortlists_with_contact == 1
    assert summary.listings_shortlisted == 4
    assert summary.listings_contacted == 2  # A and B on the first shortlist
    assert summary.enquiries_from_shortlists == 3
    assert summary.enquiries_total == 4
    assert (summary.open_rate, summary.contact_rate, summary.listing_contact_rate) == (67, 33, 50)


def test_csv_export_has_the_same_figures(logged):
    rows = list(csv.reader(io.StringIO(report.csv_text("demand", period=PERIOD))))
    assert rows[0] == [
        "outcome or category",
        "kind",
        "slug",
        "district",
        "low-result searches",
        "with no results",
    ]
    assert rows[1] == ["Get out and about", "outcome", "get-out-and-about", "BL3", "4", "2"]
    assert len(rows) == 6
    over_time = list(csv.reader(io.StringIO(report.csv_text("over-time", period=PERIOD))))
    assert over_time[1:3] == [["2030-03-01", "2"], ["2030-03-02", "2"]]


def test_csv_cells_that_look_like_formulas_are_quoted(directory):
    make_listing(title='=HYPERLINK("http://evil")', last_confirmed_at=timezone.now() - timedelta(days=400))
    rows = list(csv.reader(io.StringIO(report.csv_text("stale", period=PERIOD))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil")'


# --- Nothing personal -------------------------------------------------------------------


def test_a_search_that_finds_little_logs_what_and_where_but_never_who(client, directory):
    query = parse_query(
        QueryDict("q=Mrs+Margaret+Patel+dementia+carer&near=BL3+5AA&outcome=get-out-and-about"),
        vocabularies=vocabularies(),
    )
    search_listings(query=query)
    (logged,) = LowResultSearch.objects.values()
    assert set(logged) == {"id", "created_at", "outcomes", "categories", "district", "result_count"}
    assert logged["outcomes"] == "get-out-and-about"
    assert logged["district"] == "BL3"  # the outward code only, never the full postcode
    assert "Patel" not in str(logged) and "5AA" not in str(logged)


def test_the_report_page_shows_no_search_words_or_postcodes(client, directory):
    query = parse_query(
        QueryDict("q=Margaret+Patel&near=BL3+5AA&outcome=get-out-and-about"), vocabularies=vocabularies()
    )
    search_listings(query=query)
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    body = client.get(reverse("signposting_report")).content.decode()
    assert "Get out and about" in body
    assert "Margaret" not in body and "Patel" not in body and "5AA" not in body


# --- Who sees it ------------------------------------------------------------------------


def test_only_coordinators_and_superusers_see_the_report(client, logged):
    url = reverse("signposting_report") + "?start=2030-03-01&end=2030-03-07"
    assert client.get(url).status_code == 302  # to the admin sign-in

    professional = UserFactory(role=Role.PROFESSIONAL, is_staff=True)
    client.force_login(professional)
    response = client.get(url)
    assert response.status_code == 302 and "Get out and about" not in response.content.decode()
    assert client.get(reverse("signposting_report_csv", args=["demand"])).status_code == 302

    # Someone who may use the admin (an editor) but is not a coordinator is turned away too.
    from django.contrib.auth.models import Permission

    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(editor)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert "Unmet demand" not in client.get(reverse("wagtailadmin_home")).content.decode()

    for user in (
        UserFactory(role=Role.COORDINATOR, is_staff=True),
        UserFactory(is_superuser=True, is_staff=True),
    ):
        client.force_login(user)
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200
        assert '<strong id="total-low-result">8</strong>' in body
        assert "Unmet demand" in client.get(reverse("wagtailadmin_home")).content.decode()


def test_coordinator_downloads_a_section_as_csv(client, logged):
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    response = client.get(
        reverse("signposting_report_csv", args=["supply"]) + "?start=2030-03-01&end=2030-03-07"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="supply-2030-03-01-to-2030-03-07.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["district", "live listings based there", "taking new people", "low-result searches"]
    assert ["BL3", "0", "0", "4"] in rows
    assert client.get(reverse("signposting_report_csv", args=["people"])).status_code == 404


def test_a_bad_period_keeps_what_was_typed_and_says_so(client, logged):
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    response = client.get(reverse("signposting_report") + "?start=2030-03-07&end=2030-03-01")
    body = response.content.decode()
    assert "The end date must be the same as or after the start date." in body
    assert 'value="2030-03-07"' in body and 'value="2030-03-01"' in body
    assert "Those dates did not work, so this shows the last 90 days." in body


def test_report_page_figures_and_chart(client, logged, directory):
    provider = ProviderFactory()
    make_listing(title="A", base_postcode="BL3", provider=provider)
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    body = client.get(reverse("signposting_report") + "?start=2030-03-01&end=2030-03-07").content.decode()
    assert "1 March 2030 to 7 March 2030" in body
    assert '<td class="lsm-heat-4">4</td>' in body
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in body
    assert "<title>1 Mar: 2</title>" in body
    assert reverse("signposting_report_csv", args=["demand"]) + "?start=2030-03-01&amp;end=2030-03-07" in body

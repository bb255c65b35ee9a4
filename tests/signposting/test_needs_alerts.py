"""Demand alerts: a would-be provider asks to hear when demand for an outcome grows in a
district; the daily run emails once each time demand reaches a new multiple of the threshold,
never twice for the same rise; a listing they start afterwards counts as new supply.
"""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from cms.site import site_url
from directory.models import Outcome, PostcodeDistrict
from search.models import LowResultSearch
from signposting.models import DemandAlert, ListingStarted
from signposting.needs import alerts
from signposting.needs import services as needs
from tests.factories import ProviderFactory, UserFactory, make_listing

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("threshold_three")]


@pytest.fixture
def threshold_three():
    with override_settings(DEMAND_MIN_COUNT=3):
        yield


@pytest.fixture
def would_be():
    return UserFactory(email="cook@example.org")


def post_needs(count, *, district="BL1", outcome="eat-well"):
    for n in range(count):
        needs.post_need(
            by=UserFactory(),
            outcomes=[Outcome.objects.get(slug=outcome)],
            own_words=f"A lunch club ({n}).",
            district=PostcodeDistrict.objects.get(code=district),
        )


def alert_for(user, district="BL1", outcome="eat-well"):
    alert, _ = alerts.register_alert(
        user=user,
        outcome=Outcome.objects.get(slug=outcome),
        district=PostcodeDistrict.objects.get(code=district),
    )
    return alert


def test_a_would_be_provider_adds_an_alert_and_a_bad_district_is_explained(client, would_be):
    url = reverse("signposting:demand_alerts")
    assert client.get(url).status_code == 302  # sign in first
    client.force_login(would_be)
    eat_well = Outcome.objects.get(slug="eat-well")

    response = client.post(url, {"outcome": str(eat_well.pk), "postcode": "ZZ99"})
    page = response.content.decode()
    assert "We do not know the postcode district ZZ99" in page and 'value="ZZ99"' in page
    assert not DemandAlert.objects.exists()

    response = client.post(url, {"outcome": str(eat_well.pk), "postcode": "bl1 4aa"}, follow=True)
    assert "We will email you when more people ask for “Eat well” in BL1" in response.content.decode()
    response = client.post(url, {"outcome": str(eat_well.pk), "postcode": "BL1"}, follow=True)
    assert "You already have an alert" in response.content.decode()
    assert DemandAlert.objects.get().district.code == "BL1"


def test_demand_crossing_the_threshold_is_emailed_once_and_again_only_at_the_next_level(would_be):
    post_needs(1)
    alert = alert_for(would_be)
    assert alerts.send_demand_alerts() == 0  # 1 is below the threshold of 3

    post_needs(1)
    LowResultSearch.objects.create(outcomes="eat-well", district="BL1", result_count=0)
    assert alerts.send_demand_alerts() == 1
    [email] = mail.outbox
    assert email.to == ["cook@example.org"] and "BL1" in email.subject and "Eat well" in email.subject
    assert site_url("/start-something-local/?district=BL1") in email.body
    assert alerts.send_demand_alerts() == 0  # the same rise is never told twice

    post_needs(2)  # 5: not yet the next level (6)
    assert alerts.send_demand_alerts() == 0
    post_needs(1)
    assert alerts.send_demand_alerts() == 1
    alert.refresh_from_db()
    assert alert.level_sent == 2 and len(mail.outbox) == 2


def test_demand_already_there_when_the_alert_is_made_is_not_news(would_be):
    post_needs(4)
    alert_for(would_be)
    assert alerts.send_demand_alerts() == 0


def test_other_places_and_outcomes_do_not_set_an_alert_off(would_be):
    alert_for(would_be)
    post_needs(3, district="BL3")
    post_needs(3, outcome="get-out-and-about")
    assert alerts.send_demand_alerts() == 0


def test_the_command_sends_and_says_how_many(would_be, capsys):
    alert_for(would_be)
    post_needs(3)
    call_command("send_demand_alerts")
    assert "Sent 1 demand alert." in capsys.readouterr().out
    assert len(mail.outbox) == 1


def test_only_its_owner_can_stop_an_alert(client, would_be):
    alert = alert_for(would_be)
    client.force_login(UserFactory())
    url = reverse("signposting:demand_alert_delete", args=[alert.public_id])
    assert client.post(url).status_code == 404
    client.force_login(would_be)
    client.post(url)
    assert not DemandAlert.objects.exists()


def test_a_listing_started_after_a_demand_alert_counts_as_new_supply(would_be, directory):
    provider = ProviderFactory()
    provider.members.add(would_be)
    alert_for(would_be)
    post_needs(3)
    alerts.send_demand_alerts()

    listing = make_listing(title="Lunch club", provider=provider, base_postcode="BL1", outcomes=("eat-well",))

    started = ListingStarted.objects.get()
    assert (started.listing_id, started.after, started.outcome.slug) == (listing.pk, "alert", "eat-well")
    unrelated = make_listing(title="Swims", provider=ProviderFactory(), outcomes=("eat-well",))
    assert not ListingStarted.objects.filter(listing=unrelated).exists()


def test_the_demand_page_links_to_alerts_for_the_district(client):
    page = client.get(reverse("signposting:start_something_local") + "?district=BL1").content.decode()
    assert re.search(r'href="/start-something-local/alerts/\?district=BL1"', page)


# --- "Send alerts now" on the coordinators' report ------------------------------------------------


def _messages(response) -> list[str]:
    return [str(m).strip() for m in response.context["messages"]]


def test_a_coordinator_sends_alerts_now_and_a_second_press_sends_nothing(client):
    from cms.models import Role

    people = [UserFactory(email=f"cook{n}@example.org") for n in range(3)]
    for person in people:
        alert_for(person)
    post_needs(3)  # demand reaches the threshold of 3 in BL1
    client.force_login(UserFactory(role=Role.COORDINATOR, is_staff=True))
    report = client.get(reverse("signposting_report")).content.decode()
    assert "Send alerts now" in report and '<strong id="demand-alert-count">3</strong>' in report

    url = reverse("signposting_send_demand_alerts")
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("signposting_report") + "#alerts-heading"
    assert "3 alerts sent." in _messages(response)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)

    response = client.post(url, follow=True)
    assert _messages(response) == [
        "No demand has reached a new level since the last alerts, so none were sent."
    ]
    assert len(mail.outbox) == 3


def test_only_coordinators_can_send_alerts_now(client, would_be):
    from django.contrib.auth.models import Permission

    alert = alert_for(would_be)
    post_needs(3)
    url = reverse("signposting_send_demand_alerts")
    editor = UserFactory(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    for person in (None, would_be, editor):
        client.logout()
        if person:
            client.force_login(person)
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"] != reverse("signposting_report") + "#alerts-heading"
    assert mail.outbox == []
    alert.refresh_from_db()
    assert alert.level_sent == 0

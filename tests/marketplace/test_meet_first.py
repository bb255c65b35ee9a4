"""Meet first, then agree: the person asks, the provider offers times, the person picks one, both
are reminded, and afterwards both say whether to go ahead. The request step opens only when both
said yes, and neither side ever reads the other's private reason for a "no"."""

import json
import re
import zipfile
from datetime import timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from marketplace import audit
from marketplace.models import AuditEvent, Delegate, MeetFirst
from marketplace.services import meet_first, privacy
from marketplace.services.common import InvalidState, NotPermitted, SelfDealing
from tests.marketplace import factories as mf
from tests.marketplace.test_audit import add_helper

pytestmark = pytest.mark.django_db

HOLDER_SECRET = "Their van smelt of smoke"
PROVIDER_SECRET = "The house has a big dog I am allergic to"
PROVIDER_MESSAGE = "Sorry, my Tuesdays are full now"


@pytest.fixture
def world():
    return mf.World()


def booked(world, *, hours_ago=1):
    """A meeting asked for, offered, chosen, and (by moving its time back) already happened."""
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    soon = timezone.now() + timedelta(days=2)
    meet = meet_first.offer_times(meet=meet, by=world.provider_user, times=[soon], where="Library café")
    meet = meet_first.choose_time(meet=meet, by=world.holder, chosen=meet.offered_times[0])
    # The meeting happens: its time is now in the past (the clock cannot be moved for real).
    MeetFirst.objects.filter(pk=meet.pk).update(chosen_time=timezone.now() - timedelta(hours=hours_ago))
    meet.refresh_from_db()
    return meet


# --- The steps ---------------------------------------------------------------------------------


def test_the_steps_from_asking_to_both_saying_yes(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        meet = meet_first.ask(
            budget=world.budget,
            by=world.holder,
            listing=world.listing,
            kind="call",
            plan_outcome=world.plan_outcome,
        )
    assert meet.status == MeetFirst.Status.ASKED
    assert mail.outbox[-1].subject == "Someone would like to meet first"
    assert world.provider_user.email in mail.outbox[-1].to

    times = [timezone.now() + timedelta(days=3), timezone.now() + timedelta(days=1)]
    meet = meet_first.offer_times(meet=meet, by=world.provider_user, times=times, where="I will phone you")
    assert meet.status == MeetFirst.Status.OFFERED
    assert meet.offered_times == sorted(times)

    meet = meet_first.choose_time(meet=meet, by=world.holder, chosen=meet.offered_times[1])
    assert meet.status == MeetFirst.Status.BOOKED
    assert meet.chosen_time == max(times)
    MeetFirst.objects.filter(pk=meet.pk).update(chosen_time=timezone.now() - timedelta(minutes=5))
    meet.refresh_from_db()

    meet_first.decide(meet=meet, by=world.holder, decision="yes")
    assert not meet_first.request_step_open(MeetFirst.objects.get(pk=meet.pk))
    meet = meet_first.decide(meet=meet, by=world.provider_user, decision="yes")
    assert meet.status == MeetFirst.Status.DECIDED
    assert meet_first.request_step_open(meet)


def test_nobody_can_answer_before_the_meeting_has_happened(world):
    meet = booked(world)
    MeetFirst.objects.filter(pk=meet.pk).update(chosen_time=timezone.now() + timedelta(hours=2))
    meet.refresh_from_db()
    with pytest.raises(InvalidState):
        meet_first.decide(meet=meet, by=world.holder, decision="yes")
    assert not meet_first.may_decide(world.holder, meet)


def test_each_side_answers_once(world):
    meet = booked(world)
    meet_first.decide(meet=meet, by=world.holder, decision="no", private_reason=HOLDER_SECRET)
    with pytest.raises(InvalidState):
        meet_first.decide(meet=meet, by=world.holder, decision="yes")
    assert MeetFirst.objects.get(pk=meet.pk).person_decision == "no"


def test_the_provider_must_offer_future_times_and_at_most_three(world):
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    with pytest.raises(meet_first.MeetFirstError, match="in the future") as past:
        meet_first.offer_times(meet=meet, by=world.provider_user, times=[timezone.now() - timedelta(hours=1)])
    assert past.value.field == "time_1"
    four = [timezone.now() + timedelta(days=n) for n in range(1, 5)]
    with pytest.raises(meet_first.MeetFirstError, match="up to 3"):
        meet_first.offer_times(meet=meet, by=world.provider_user, times=four)
    with pytest.raises(meet_first.MeetFirstError, match="at least one"):
        meet_first.offer_times(meet=meet, by=world.provider_user, times=[])


def test_only_an_offered_time_can_be_chosen(world):
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    meet = meet_first.offer_times(
        meet=meet, by=world.provider_user, times=[timezone.now() + timedelta(days=2)], where="Café"
    )
    with pytest.raises(meet_first.MeetFirstError, match="one of the times"):
        meet_first.choose_time(meet=meet, by=world.holder, chosen=timezone.now() + timedelta(days=5))


def test_one_open_meeting_per_listing(world):
    meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    with pytest.raises(InvalidState, match="already asked"):
        meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="call")


def test_a_meet_first_copies_the_listing_price(world):
    from tests import factories

    listing = factories.make_listing(
        title="Paid hello", provider=world.provider, meet_first=True, meet_first_price_pence=1500
    )
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=listing, kind="visit")
    assert meet.price_pence == 1500


# --- Who may do what ---------------------------------------------------------------------------


def test_a_helper_who_may_only_look_cannot_ask_or_answer(world):
    viewer = add_helper(world.budget)
    with pytest.raises(NotPermitted):
        meet_first.ask(budget=world.budget, by=viewer, listing=world.listing, kind="visit")
    meet = booked(world)
    with pytest.raises(NotPermitted):
        meet_first.decide(meet=meet, by=viewer, decision="yes")


def test_a_helper_who_may_request_asks_and_is_audited_as_themselves(world):
    helper = add_helper(world.budget)
    Delegate.objects.filter(user=helper).update(can_request=True)
    meet = meet_first.ask(budget=world.budget, by=helper, listing=world.listing, kind="video")
    event = AuditEvent.objects.filter(action="asked_meet_first").get()
    assert event.actor == helper
    assert event.object_id == str(meet.public_id)
    assert audit.describe("asked_meet_first") == "Asked a provider to meet first"


def test_a_provider_in_the_holders_own_circle_cannot_meet_themselves(world):
    world.provider.members.add(world.holder)
    with pytest.raises(SelfDealing):
        meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")


def test_another_provider_cannot_offer_times(world):
    _, stranger = mf.make_provider_member()
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    with pytest.raises(NotPermitted):
        meet_first.offer_times(meet=meet, by=stranger, times=[timezone.now() + timedelta(days=1)])


# --- "No" reasons stay private ------------------------------------------------------------------


def test_no_reasons_stay_with_their_own_side(world, client):
    meet = booked(world)
    meet_first.decide(meet=meet, by=world.holder, decision="no", private_reason=HOLDER_SECRET)
    meet_first.decide(
        meet=meet,
        by=world.provider_user,
        decision="no",
        private_reason=PROVIDER_SECRET,
        message=PROVIDER_MESSAGE,
    )

    client.force_login(world.holder)
    page = client.get(reverse("marketplace:meet_first_detail", args=[meet.public_id])).content.decode()
    assert HOLDER_SECRET in page  # their own reason
    assert PROVIDER_MESSAGE in page  # written for them
    assert PROVIDER_SECRET not in page

    client.force_login(world.provider_user)
    page = client.get(
        reverse("marketplace:provider_meet_first_detail", args=[meet.public_id])
    ).content.decode()
    assert PROVIDER_SECRET in page
    assert HOLDER_SECRET not in page
    assert "No" in page

    # Nor in the emails each side was sent.
    for message in mail.outbox:
        assert HOLDER_SECRET not in message.body
        assert PROVIDER_SECRET not in message.body


def test_the_holders_data_export_has_their_reason_but_not_the_providers(world):
    meet = booked(world)
    meet_first.decide(meet=meet, by=world.holder, decision="no", private_reason=HOLDER_SECRET)
    meet_first.decide(
        meet=meet,
        by=world.provider_user,
        decision="no",
        private_reason=PROVIDER_SECRET,
        message=PROVIDER_MESSAGE,
    )
    data = privacy.export_data(user=world.holder)
    [row] = data["meet_first"]
    assert row["your_private_reason"] == HOLDER_SECRET
    assert row["their_message_to_you"] == PROVIDER_MESSAGE
    assert PROVIDER_SECRET not in json.dumps(data)
    archive = zipfile.ZipFile(BytesIO(privacy.export_zip(user=world.holder)))
    assert HOLDER_SECRET in archive.read("data.json").decode()


def test_erasure_calls_off_open_meetings_and_removes_the_words(world):
    meet = meet_first.ask(
        budget=world.budget, by=world.holder, listing=world.listing, kind="visit", message="Side door code 12"
    )
    done = booked(mf.World(budget=mf.make_budget()))  # somebody else's, untouched
    privacy.erase_personal_data(user=world.holder, by=world.holder)
    meet.refresh_from_db()
    assert meet.status == MeetFirst.Status.CANCELLED
    assert meet.message == ""
    assert MeetFirst.objects.get(pk=done.pk).status == MeetFirst.Status.BOOKED


# --- The request step ----------------------------------------------------------------------------


def test_the_request_step_is_closed_until_both_say_yes(world, client):
    meet = booked(world)
    client.force_login(world.holder)
    step = reverse("marketplace:meet_first_request", args=[meet.public_id])
    detail = reverse("marketplace:meet_first_detail", args=[meet.public_id])

    assert client.get(step)["Location"] == detail
    meet_first.decide(meet=meet, by=world.holder, decision="yes")
    assert client.get(step)["Location"] == detail
    assert "go-to-request" not in client.get(detail).content.decode()

    meet_first.decide(meet=meet, by=world.provider_user, decision="yes")
    assert client.get(step)["Location"] == reverse("marketplace:request_new", args=[world.listing.public_id])
    assert "go-to-request" in client.get(detail).content.decode()


def test_a_provider_no_keeps_the_request_step_closed(world, client):
    meet = booked(world)
    meet_first.decide(meet=meet, by=world.holder, decision="yes")
    meet_first.decide(meet=meet, by=world.provider_user, decision="no")
    client.force_login(world.holder)
    response = client.get(reverse("marketplace:meet_first_request", args=[meet.public_id]))
    assert response["Location"] == reverse("marketplace:meet_first_detail", args=[meet.public_id])


def test_the_request_step_pre_fills_the_plan_outcome(world, client):
    meet = meet_first.ask(
        budget=world.budget,
        by=world.holder,
        listing=world.listing,
        kind="visit",
        plan_outcome=world.plan_outcome,
    )
    MeetFirst.objects.filter(pk=meet.pk).update(
        status=MeetFirst.Status.DECIDED,
        time_1=timezone.now(),
        chosen_time=timezone.now(),
        person_decision="yes",
        provider_decision="yes",
    )
    client.force_login(world.holder)
    response = client.get(reverse("marketplace:meet_first_request", args=[meet.public_id]), follow=True)
    assert response.request["QUERY_STRING"] == "outcome=get-out-and-about"
    tag = re.search(rf'<input[^>]*value="{world.plan_outcome.public_id}"[^>]*>', response.content.decode())
    assert "checked" in tag.group(0)


# --- Pages and bad input --------------------------------------------------------------------------


def test_bad_times_are_named_and_what_was_typed_is_kept(world, client):
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    client.force_login(world.provider_user)
    day = timezone.localdate() + timedelta(days=3)
    response = client.post(
        reverse("marketplace:provider_meet_first_detail", args=[meet.public_id]),
        {
            "time_1_on_0": day.day,
            "time_1_on_1": day.month,
            "time_1_on_2": day.year,
            "time_1_at": "25 o'clock",
            "where": "Library café",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter the time like 14:30 or 2:30pm" in page
    assert 'href="#id_time_1_at"' in page  # the error summary links to the field
    assert "25 o&#x27;clock" in page and "Library café" in page
    assert MeetFirst.objects.get(pk=meet.pk).status == MeetFirst.Status.ASKED


def test_a_time_in_the_past_is_refused_on_the_page(world, client):
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    client.force_login(world.provider_user)
    day = timezone.localdate() - timedelta(days=2)
    response = client.post(
        reverse("marketplace:provider_meet_first_detail", args=[meet.public_id]),
        {
            "time_1_on_0": day.day,
            "time_1_on_1": day.month,
            "time_1_on_2": day.year,
            "time_1_at": "10am",
            "where": "x",
        },
    )
    assert "Offer a time in the future" in response.content.decode()


def test_asking_without_choosing_how_names_the_field(world, client):
    client.force_login(world.holder)
    response = client.post(
        reverse("marketplace:meet_first_new", args=[world.listing.public_id]), {"message": "Mornings please"}
    )
    page = response.content.decode()
    assert "Select how you would like to meet" in page
    assert "Mornings please" in page
    assert not MeetFirst.objects.exists()


def test_someone_elses_meeting_is_not_found(world, client):
    meet = booked(world)
    client.force_login(mf.make_holder())
    assert client.get(reverse("marketplace:meet_first_detail", args=[meet.public_id])).status_code == 404
    _, other_provider = mf.make_provider_member()
    client.force_login(other_provider)
    assert (
        client.get(reverse("marketplace:provider_meet_first_detail", args=[meet.public_id])).status_code
        == 404
    )


# --- Reminders -------------------------------------------------------------------------------------


def test_reminders_and_the_go_ahead_question_are_sent_once(world):
    meet = meet_first.ask(budget=world.budget, by=world.holder, listing=world.listing, kind="visit")
    at = timezone.now() + timedelta(hours=30)
    meet = meet_first.offer_times(meet=meet, by=world.provider_user, times=[at], where="Café")
    meet_first.choose_time(meet=meet, by=world.holder, chosen=at)
    mail.outbox.clear()

    assert meet_first.remind_due(now=timezone.now()) == {"reminded": 0, "asked": 0}  # 30 hours away
    day_before = at - timedelta(hours=20)
    assert meet_first.remind_due(now=day_before) == {"reminded": 1, "asked": 0}
    assert meet_first.remind_due(now=day_before) == {"reminded": 0, "asked": 0}
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == sorted(
        [f"Reminder: meeting {world.provider.name}", f"Reminder: meeting {world.holder}"]
    )

    after = at + timedelta(hours=1)
    assert meet_first.remind_due(now=after) == {"reminded": 0, "asked": 1}
    assert meet_first.remind_due(now=after) == {"reminded": 0, "asked": 0}
    assert any(m.subject.startswith("Do you want to go ahead") for m in mail.outbox)


def test_the_daily_command_runs_and_refuses_a_bad_date(world):
    from io import StringIO

    out = StringIO()
    call_command("remind_meet_first", stdout=out)
    assert "Reminded 0 meeting(s)" in out.getvalue()
    with pytest.raises(CommandError, match="--date must look like"):
        call_command("remind_meet_first", "--date", "tomorrow")

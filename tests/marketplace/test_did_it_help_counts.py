"""Did it help, what is left: one reminder if a question is not answered; a provider's own counts
in /my/ and a professional's counts for the people they signposted, both counts only and hidden
below OUTCOME_REPORT_MIN_COUNT."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from marketplace.services import outcome_checks
from signposting import services as signposting
from tests.marketplace import factories as mf
from tests.marketplace.test_did_it_help import paid_order
from tests.signposting.test_shortlists import make_professional

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return mf.World()


def _answered(world, count, *, helped="a_lot", connections="more", tag="a"):
    for n in range(count):
        order = paid_order(world, days=14, reference=f"pi_counts_{tag}_{n}")
        [check] = outcome_checks.open_due_checks(today=order.ends_on)
        outcome_checks.answer(check=check, by=world.holder, helped=helped, connections=connections)


# --- One reminder --------------------------------------------------------------------------


def test_an_unanswered_question_is_reminded_about_once_after_the_set_days(world, settings):
    settings.OUTCOME_CHECK_REMIND_AFTER_DAYS = 14
    order = paid_order(world, days=14)
    asked_on = order.ends_on
    outcome_checks.ask_due(today=asked_on)
    assert [m.subject for m in mail.outbox][-1] == "Did your support help?"
    mail.outbox.clear()

    # Asked on the day it was due; the reminder goes 14 days after that, once.
    outcome_checks.ask_due(today=asked_on + timedelta(days=13))
    assert mail.outbox == []
    outcome_checks.ask_due(today=asked_on + timedelta(days=14))
    outcome_checks.ask_due(today=asked_on + timedelta(days=30))

    (reminder,) = mail.outbox
    assert reminder.subject == "A reminder: did your support help?"
    assert reminder.to == [world.holder.email]
    assert "Go swimming every week" in reminder.body


def test_an_answered_question_gets_no_reminder(world, settings):
    settings.OUTCOME_CHECK_REMIND_AFTER_DAYS = 14
    order = paid_order(world, days=14)
    outcome_checks.ask_due(today=order.ends_on)
    [check] = order.outcome_checks.all()
    outcome_checks.answer(check=check, by=world.holder, helped="a_bit", connections="same")
    mail.outbox.clear()
    outcome_checks.ask_due(today=order.ends_on + timedelta(days=60))
    assert mail.outbox == []


# --- A provider's own counts -----------------------------------------------------------------


def test_a_provider_sees_their_own_counts_only_once_there_are_enough(client, world, settings):
    settings.OUTCOME_REPORT_MIN_COUNT = 3
    client.force_login(world.provider_user)
    _answered(world, 2, tag="few")

    page = client.get(reverse("my:dashboard")).content.decode()
    assert "Did your support help?" in page
    assert "Not enough answers yet" in page
    assert 'id="answer-counts"' not in page

    _answered(world, 1, helped="not_yet", connections="fewer", tag="third")
    page = client.get(reverse("my:dashboard")).content.decode()
    assert 'id="answer-counts"' in page
    counts = outcome_checks.provider_counts(provider=world.provider, viewer=world.provider_user)
    assert (counts.answers, counts.helped_a_lot, counts.not_yet, counts.fewer_people) == (3, None, None, None)

    # Another provider's team never sees these counts, on their page or by asking.
    _other, other_member = mf.make_provider_member()
    with pytest.raises(outcome_checks.NotPermitted):
        outcome_checks.provider_counts(provider=world.provider, viewer=other_member)
    client.force_login(other_member)
    page = client.get(reverse("my:dashboard")).content.decode()
    assert 'id="answer-counts"' not in page


# --- A professional's counts for the people they signposted ----------------------------------


def test_a_professional_sees_counts_for_people_who_saved_their_shortlist_and_bought_from_it(
    client, world, settings
):
    settings.OUTCOME_REPORT_MIN_COUNT = 3
    professional = make_professional()
    shortlist = signposting.create_shortlist(owner=professional, title="Options for S")
    signposting.add_to_shortlist(shortlist=shortlist, listing=world.listing, by=professional)
    # Bought before the shortlist was saved: the signposting cannot have led to it.
    _answered(world, 3, tag="before")
    signposting.save_to_account(shortlist=shortlist, user=world.holder)
    client.force_login(professional)
    url = reverse("signposting:signposted_outcomes")

    assert "Not enough answers yet" in client.get(url).content.decode()

    _answered(world, 3, tag="after")
    page = client.get(url).content.decode()
    assert 'id="answer-counts"' in page
    counts = signposting.signposted_outcome_counts(professional=professional)
    assert (counts.answers, counts.helped_a_lot, counts.more_people) == (3, 3, 3)
    # Counts only: nothing names the person or the provider.
    assert world.holder.email not in page
    assert world.provider.name not in page

    # Another professional, whose shortlist nobody saved, has nothing to count.
    other = make_professional()
    assert signposting.signposted_outcome_counts(professional=other).answers == 0

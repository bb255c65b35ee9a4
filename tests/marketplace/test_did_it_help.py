"""Did it help? Paid support is asked about a few weeks in and at its end; the person (or a
helper who may ask for support) answers; the answers show on their plan, their list and their
statement, and as counts with small numbers hidden for coordinators. They never reach search,
ranking or a provider's public page, and the free-text note stays with the holder."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from marketplace import services
from marketplace.models import Delegate, OutcomeCheck
from marketplace.services import outcome_checks, payments
from marketplace.services.statements import build_statement
from search.backends import get_search_backend
from search.query import SearchQuery
from tests.marketplace import factories as mf
from tests.marketplace.test_audit import add_helper, make_coordinator

pytestmark = pytest.mark.django_db
NOTE = "Jo makes me laugh; I want Tuesdays too"


def paid_order(world, *, days=60, starts_in=0, reference="pi_help_1"):
    """An order for `days` of support starting `starts_in` days from today, paid."""
    start = timezone.localdate() + timedelta(days=starts_in)
    support_request = services.request_support(
        budget=world.budget,
        by=world.holder,
        listing=world.listing,
        price=world.listing.prices.first(),
        quantity=2,
        starts_on=start,
        ends_on=start + timedelta(days=days),
        plan_outcome=world.plan_outcome,
    )
    order = services.accept_request(support_request=support_request, by=world.provider_user)
    payments.record_payment(
        order=order, payment_intent_id=reference, amount_pence=order.total_pence, currency="gbp"
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def world():
    return mf.World()


def test_long_support_is_asked_about_a_few_weeks_in_and_at_its_end(world):
    order = paid_order(world, days=60)
    start = order.starts_on
    assert outcome_checks.open_due_checks(today=start + timedelta(days=27)) == []
    early = outcome_checks.open_due_checks(today=start + timedelta(days=28))
    assert [(c.kind, c.due_on) for c in early] == [("early", start + timedelta(days=28))]
    # Running again the same day, or later, never asks the same question twice.
    assert outcome_checks.open_due_checks(today=start + timedelta(days=40)) == []
    end = outcome_checks.open_due_checks(today=start + timedelta(days=61))
    assert [(c.kind, c.due_on) for c in end] == [("end", order.ends_on)]
    assert OutcomeCheck.objects.filter(order=order).count() == 2


def test_short_support_is_asked_about_once_at_its_end(world):
    order = paid_order(world, days=14)
    checks = outcome_checks.open_due_checks(today=order.ends_on)
    assert [c.kind for c in checks] == ["end"]


def test_unpaid_and_cancelled_orders_are_not_asked_about(world):
    unpaid = world.order()
    assert outcome_checks.open_due_checks(today=unpaid.ends_on + timedelta(days=1)) == []


def test_the_holder_and_helpers_who_may_request_are_emailed_once(world):
    order = paid_order(world, days=14)
    asker = add_helper(world.budget, name="Sam")
    Delegate.objects.filter(user=asker).update(can_request=True)
    looker = add_helper(world.budget, name="Viewer")
    mail.outbox.clear()

    assert outcome_checks.ask_due(today=order.ends_on) == 1
    assert outcome_checks.ask_due(today=order.ends_on + timedelta(days=1)) == 0
    [message] = mail.outbox
    assert set(message.to) == {world.holder.email, asker.email}
    assert looker.email not in message.to
    assert "Go swimming every week" in message.body
    assert reverse("marketplace:did_it_help") in message.body


def test_holder_answers_and_sees_it_on_the_plan_and_the_list(client, world):
    order = paid_order(world, days=14)
    [check] = outcome_checks.open_due_checks(today=order.ends_on)
    OutcomeCheck.objects.filter(pk=check.pk).update(due_on=timezone.localdate())
    client.force_login(world.holder)

    listing = client.get(reverse("marketplace:did_it_help")).content.decode()
    answer_url = reverse("marketplace:did_it_help_answer", args=[check.public_id])
    assert answer_url in listing

    # Nothing chosen: each question says what is missing, and the note typed is kept.
    response = client.post(answer_url, {"note": NOTE})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select whether it helped" in page
    assert "Select whether you see more people, the same or fewer" in page
    assert NOTE.replace("'", "&#x27;") in page
    assert not OutcomeCheck.objects.get(pk=check.pk).is_answered

    response = client.post(answer_url, {"helped": "a_lot", "connections": "more", "note": NOTE})
    assert response.status_code == 302
    saved = OutcomeCheck.objects.get(pk=check.pk)
    assert (saved.helped, saved.connections, saved.note, saved.answered_by) == (
        "a_lot",
        "more",
        NOTE,
        world.holder,
    )

    plan = client.get(reverse("marketplace:plan")).content.decode()
    assert "Did it help: a lot" in plan
    answers = client.get(reverse("marketplace:did_it_help")).content.decode()
    assert "Helped: a lot. People: more people." in answers
    assert "Jo makes me laugh" in answers
    # Answering again changes nothing.
    client.post(answer_url, {"helped": "not_yet", "connections": "fewer"})
    assert OutcomeCheck.objects.get(pk=check.pk).helped == "a_lot"


def test_a_view_only_helper_sees_answers_but_not_the_note_and_cannot_answer(client, world):
    order = paid_order(world, days=14)
    [check] = outcome_checks.open_due_checks(today=order.ends_on)
    outcome_checks.answer(check=check, by=world.holder, helped="a_bit", connections="same", note=NOTE)
    [second] = outcome_checks.open_due_checks(today=paid_order(world, days=14, reference="pi_2").ends_on)
    helper = add_helper(world.budget)
    client.force_login(helper)

    page = client.get(reverse("marketplace:did_it_help")).content.decode()
    assert "Helped: a bit" in page
    assert "Jo makes me laugh" not in page
    response = client.post(
        reverse("marketplace:did_it_help_answer", args=[second.public_id]),
        {"helped": "a_lot", "connections": "more"},
    )
    assert response.status_code == 403
    assert not OutcomeCheck.objects.get(pk=second.pk).is_answered


def test_someone_elses_check_is_not_found(client, world):
    order = paid_order(world, days=14)
    [check] = outcome_checks.open_due_checks(today=order.ends_on)
    stranger = mf.make_budget().holder
    client.force_login(stranger)
    url = reverse("marketplace:did_it_help_answer", args=[check.public_id])
    assert client.get(url).status_code == 404
    assert client.post(url, {"helped": "a_lot", "connections": "more"}).status_code == 404
    assert not OutcomeCheck.objects.get(pk=check.pk).is_answered


def test_the_statement_shows_answers_and_the_note_only_when_the_holder_shares_it(world):
    order = paid_order(world, days=14)
    [check] = outcome_checks.open_due_checks(today=order.ends_on)
    outcome_checks.answer(check=check, by=world.holder, helped="a_lot", connections="more", note=NOTE)
    today = timezone.localdate()

    statement = build_statement(budget=world.budget, starts_on=today, ends_on=today)
    [answer] = statement.helped
    assert (answer.own_words, answer.helped, answer.connections, answer.note) == (
        "Go swimming every week",
        "A lot",
        "More people",
        "",
    )
    OutcomeCheck.objects.filter(pk=check.pk).update(note_in_statements=True)
    statement = build_statement(budget=world.budget, starts_on=today, ends_on=today)
    assert statement.helped[0].note == NOTE
    # Money is untouched by answers: the statement's totals are the ledger's.
    assert statement.spent_pence == order.total_pence


def test_only_the_holder_can_put_the_note_in_statements(world):
    order = paid_order(world, days=14)
    [check] = outcome_checks.open_due_checks(today=order.ends_on)
    helper = add_helper(world.budget)
    Delegate.objects.filter(user=helper).update(can_request=True)
    outcome_checks.answer(
        check=check, by=helper, helped="a_bit", connections="same", note=NOTE, note_in_statements=True
    )
    assert OutcomeCheck.objects.get(pk=check.pk).note_in_statements is False


def _answers(world, count, helped="a_lot"):
    for n in range(count):
        order = paid_order(world, days=14, reference=f"pi_report_{helped}_{n}")
        [check] = outcome_checks.open_due_checks(today=order.ends_on)
        outcome_checks.answer(check=check, by=world.holder, helped=helped, connections="more")


def test_the_report_hides_small_numbers(client, world, settings):
    settings.OUTCOME_REPORT_MIN_COUNT = 3
    _answers(world, 4, "a_lot")
    _answers(world, 1, "not_yet")
    [row] = outcome_checks.outcomes_report()
    assert (row.answers, row.helped_a_lot, row.not_yet, row.more_people) == (5, 4, None, 5)

    client.force_login(make_coordinator())
    page = client.get(reverse("marketplace_outcomes_report")).content.decode()
    assert "Get out and about" in page
    assert "fewer than 3" in page


def test_a_group_below_the_floor_shows_no_figures(world, settings):
    settings.OUTCOME_REPORT_MIN_COUNT = 5
    _answers(world, 2)
    [row] = outcome_checks.outcomes_report()
    assert row.answers is None and row.figures == (None,) * 5


def test_the_report_is_for_coordinators_only(client, world):
    client.force_login(world.holder)
    response = client.get(reverse("marketplace_outcomes_report"))
    assert response.status_code in (302, 403)
    assert "Did support help?" not in response.content.decode()


def test_answers_never_reach_search_ranking_or_the_public_listing_page(client, world):
    other_provider, _ = mf.make_provider_member()
    mf.make_listing(other_provider, title="Swimming buddy too")
    query = SearchQuery(text="swimming")

    backend = get_search_backend()
    backend.rebuild()

    def ranking():
        return [hit.listing_id for hit in backend.search(query).hits]

    before = ranking()
    assert world.listing.pk in before and len(before) == 2
    _answers(world, 6, "not_yet")
    OutcomeCheck.objects.update(note=NOTE)
    assert ranking() == before
    page = client.get(world.listing.url).content.decode()
    assert "Jo makes me laugh" not in page
    assert "Did it help" not in page and "Not yet" not in page


def test_the_daily_command_asks_once(world, capsys):
    order = paid_order(world, days=14)
    mail.outbox.clear()
    call_command("ask_did_it_help", date=order.ends_on.isoformat())
    call_command("ask_did_it_help", date=order.ends_on.isoformat())
    assert len(mail.outbox) == 1
    assert "Asked 1 budget holder" in capsys.readouterr().out
    with pytest.raises(CommandError, match="--date must look like"):
        call_command("ask_did_it_help", "--date", "next Tuesday")


def test_answers_are_in_the_holders_data_export_and_the_note_goes_when_they_are_erased(world):
    from marketplace.services import privacy

    order = paid_order(world, days=14)
    [check] = outcome_checks.open_due_checks(today=order.ends_on)
    outcome_checks.answer(check=check, by=world.holder, helped="a_bit", connections="fewer", note=NOTE)

    [exported] = privacy.export_data(user=world.holder)["did_it_help"]
    assert (exported["helped"], exported["people"], exported["note"]) == ("A bit", "Fewer people", NOTE)

    privacy.erase_personal_data(user=world.holder, by=world.holder)
    kept = OutcomeCheck.objects.get(pk=check.pk)
    assert (kept.helped, kept.connections, kept.note) == ("a_bit", "fewer", "")

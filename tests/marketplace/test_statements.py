"""Statements: what the holder hands the council, built from real payments, refunds, a pooled
share, a contribution and spending outside the site, each made on its own (travelled-to) day
through the services and the Stripe test server. Every figure asserted is worked out by hand
below, not by the code under test.

The story (a £400 budget every 4 weeks from Monday 2 March 2026, £20 contribution, 4 weeks'
contingency = £400; swimming at £18.50 an hour):
- 2 Mar: period 1 opens (+£400, +£20); order A, 3 hours (£55.50), paid.
- 10 Mar: order B, 2 hours (£37) from 10 Apr, paid.
- 30 Mar: period 2 opens (+£400, +£20) (booked when the refund below looks for its period).
- 2 Apr: B cancelled before it starts: refunded £37.
- 5 Apr: order C, 4 hours (£74) from 20 Apr to 4 May, paid.
- 8 Apr: a place in the group "Lunch club", 2 sessions at £12 (£24), paid.
- 12 Apr: £12.40 taxi paid outside the site, with a receipt.
- 27 Apr: period 3 opens (+£400, +£20).
The statement is for 15 March to 30 April 2026.
"""

import csv
import io
import re
import time
import zipfile
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pypdf import PdfReader

from marketplace import services
from marketplace.models import AuditEvent, GroupActivity, LedgerEntry, Order
from marketplace.services import pooling, statements
from tests.marketplace import factories as mf
from tests.marketplace.fixtures import post_webhook

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
START, END = date(2026, 3, 15), date(2026, 4, 30)


def on(time_machine, day: date):
    time_machine.move_to(datetime(day.year, day.month, day.day, 10, 0, tzinfo=LONDON), tick=False)


def pay(client, stripe_server, order, by):
    """Pay through Checkout on the Stripe test server; the signed webhook records it."""
    services.start_checkout(
        order=order, by=by, success_url="http://testserver/s", cancel_url="http://testserver/c"
    )
    order.refresh_from_db()
    event = stripe_server.complete_checkout(order.checkout_session_id, deliver=False)
    assert post_webhook(client, event).status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    return order


def ask(budget, listing, *, quantity, starts_on, ends_on, plan_outcome):
    return services.request_support(
        budget=budget,
        by=budget.holder,
        listing=listing,
        price=listing.prices.first(),
        quantity=quantity,
        starts_on=starts_on,
        ends_on=ends_on,
        plan_outcome=plan_outcome,
    )


@pytest.fixture
def story(client, stripe_server, time_machine):
    on(time_machine, date(2026, 3, 2))
    holder = mf.make_holder(first_name="Alex", last_name="Morgan")
    budget = mf.make_budget(
        holder=holder,
        amount_pence=40_000,
        contribution_pence=2_000,
        contingency_weeks=4,
        starts_on=date(2026, 3, 2),
        own_words="Go swimming every week",
    )
    swimming = budget.plan.outcomes.get()
    lunch = mf.add_plan_outcome(budget, "Meet people at the lunch club", slug="see-friends-and-family")
    provider, provider_user = mf.make_provider_member()
    provider.name, provider.legal_name = "Jo's Swims", "Jo Bloggs"
    provider.save()
    mf.make_connected_account(provider, stripe_server)
    listing = mf.make_listing(provider, price_pence=1_850)

    def agreed(quantity, starts_on, ends_on, plan_outcome=swimming):
        support_request = ask(
            budget,
            listing,
            quantity=quantity,
            starts_on=starts_on,
            ends_on=ends_on,
            plan_outcome=plan_outcome,
        )
        return services.accept_request(support_request=support_request, by=provider_user)

    order_a = pay(client, stripe_server, agreed(3, date(2026, 3, 9), date(2026, 3, 23)), holder)

    on(time_machine, date(2026, 3, 10))
    order_b = pay(client, stripe_server, agreed(2, date(2026, 4, 10), date(2026, 4, 24)), holder)

    on(time_machine, date(2026, 4, 2))
    services.cancel_order(order=order_b, by=holder, reason="Changed my plans")

    on(time_machine, date(2026, 4, 5))
    order_c = pay(client, stripe_server, agreed(4, date(2026, 4, 20), date(2026, 5, 4)), holder)
    activity = pooling.create_activity(
        provider=provider,
        by=provider_user,
        listing=listing,
        title="Lunch club",
        when="Wednesday 12 to 2pm",
        starts_on=date(2026, 4, 15),
        ends_on=date(2026, 4, 15),
        unit_price_pence=1_200,
        units_per_place=2,
        places=6,
        min_places=1,
        join_by=date(2026, 4, 14),
        if_not_filled=GroupActivity.IfNotFilled.REFUND_EVERYONE,
    )
    share = pooling.join_activity(activity=activity, budget=budget, by=holder, plan_outcome=lunch)

    on(time_machine, date(2026, 4, 8))
    share = pay(client, stripe_server, share, holder)

    on(time_machine, date(2026, 4, 12))
    services.record_outside_spending(
        budget=budget,
        by=holder,
        amount_pence=1_240,
        spent_on=date(2026, 4, 12),
        description="Taxi to the pool",
        payee="Town Cabs",
        plan_outcome=swimming,
        receipt=SimpleUploadedFile("my taxi receipt.png", PNG, content_type="image/png"),
    )

    on(time_machine, date(2026, 5, 1))
    services.open_periods(budget=budget)
    order_b.refresh_from_db()
    return {
        "budget": budget,
        "holder": holder,
        "a": order_a,
        "b": order_b,
        "c": order_c,
        "share": share,
        "lunch": lunch,
    }


# (date, type, amount) of every ledger entry from 15 Mar to 30 Apr, worked out from the story.
EXPECTED_LINES = [
    ("2026-03-30", "Council payment", "400.00"),
    ("2026-03-30", "Your contribution", "20.00"),
    ("2026-04-02", "Refund", "37.00"),
    ("2026-04-05", "Payment to a provider", "-74.00"),
    ("2026-04-08", "Payment to a provider", "-24.00"),
    ("2026-04-12", "Spending outside this site", "-12.40"),
    ("2026-04-27", "Council payment", "400.00"),
    ("2026-04-27", "Your contribution", "20.00"),
]


def test_statement_totals_match_the_hand_worked_figures(story):
    statement = statements.build_statement(budget=story["budget"], starts_on=START, ends_on=END)

    # Before 15 Mar: £400 + £20 in, A £55.50 and B £37 out.
    assert statement.opening_balance_pence == 40_000 + 2_000 - 5_550 - 3_700  # 32,750
    assert statement.money_in_pence == 40_000 + 40_000
    assert statement.client_contribution_pence == 2_000 + 2_000
    assert statement.spent_pence == 7_400 + 2_400 + 1_240  # 11,040
    assert statement.refunds_pence == 3_700
    assert statement.closing_balance_pence == 32_750 + 80_000 + 4_000 - 11_040 + 3_700  # 109,410
    assert statement.contingency_pence == 40_000  # 4 weeks of £400 per 4 weeks
    assert statement.surplus_pence == 109_410 - 40_000
    lunch_label = story["lunch"].outcome.label
    assert {(t.own_words, t.spent_pence) for t in statement.by_outcome} == {
        ("Go swimming every week", 7_400 + 1_240 - 3_700),  # C + taxi - B's refund
        ("Meet people at the lunch club", 2_400),
    }
    assert {t.outcome_label for t in statement.by_outcome} == {"Get out and about", lunch_label}
    assert [(line.occurred_on.isoformat(), line.kind_label) for line in statement.lines] == [
        (day, kind) for day, kind, _ in EXPECTED_LINES
    ]


def test_lines_carry_the_order_provider_outcome_and_references(story):
    statement = statements.build_statement(budget=story["budget"], starts_on=START, ends_on=END)
    by_day = {line.occurred_on: line for line in statement.lines}

    order_c = by_day[date(2026, 4, 5)]
    assert order_c.provider_trading_name == "Jo's Swims"
    assert order_c.provider_legal_name == "Jo Bloggs"
    assert (order_c.quantity, order_c.unit_price_pence, order_c.order_total_pence) == (4, 1_850, 7_400)
    assert (order_c.service_starts_on, order_c.service_ends_on) == (date(2026, 4, 20), date(2026, 5, 4))
    assert order_c.continues_after_period  # runs to 4 May, the statement ends 30 April
    assert order_c.payment_reference == story["c"].payment.payment_intent_id
    assert order_c.order_reference == story["c"].reference
    assert (order_c.outcome_label, order_c.own_words) == ("Get out and about", "Go swimming every week")

    refund = by_day[date(2026, 4, 2)]
    assert story["b"].payment.payment_intent_id in refund.details
    assert story["b"].reference in refund.details
    assert refund.refund_reference == story["b"].payment.refunds.get().refund_id

    pooled = by_day[date(2026, 4, 8)]
    assert pooled.group_activity == "Group activity: Lunch club (your share)"
    assert not pooled.continues_after_period
    assert by_day[date(2026, 4, 12)].payee == "Town Cabs"


def test_the_period_boundary_counts_money_on_the_day_it_moved(story):
    # A statement for 1 to 4 April: only B's refund, although B was paid in March.
    statement = statements.build_statement(
        budget=story["budget"], starts_on=date(2026, 4, 1), ends_on=date(2026, 4, 4)
    )
    assert [(line.kind, line.amount_pence) for line in statement.lines] == [("refund", 3_700)]
    assert statement.spent_pence == 0
    assert statement.closing_balance_pence == 32_750 + 40_000 + 2_000 + 3_700


def test_csv_rows_equal_the_ledger_lines_then_the_totals(story):
    statement = statements.build_statement(budget=story["budget"], starts_on=START, ends_on=END)
    text = statements.statement_csv(statement)

    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    header = rows[0]
    blank = rows.index([])
    table = [dict(zip(header, row, strict=True)) for row in rows[1:blank]]
    assert [(r["Date"], r["Type"], r["Amount"]) for r in table] == EXPECTED_LINES
    ledger = LedgerEntry.objects.filter(budget=story["budget"], occurred_on__range=(START, END))
    assert [(r["Date"], r["Amount"]) for r in table] == [
        (e.occurred_on.isoformat(), f"{e.amount_pence / 100:.2f}") for e in ledger
    ]
    order_c = table[3]
    assert order_c["Paid to (trading name)"] == "Jo's Swims"
    assert order_c["Provider legal name"] == "Jo Bloggs"
    assert (order_c["Service from"], order_c["Service to"]) == ("2026-04-20", "2026-05-04")
    assert order_c["Continues after this period"] == "Yes"
    assert (order_c["Units"], order_c["Unit"], order_c["Unit price"], order_c["Order total"]) == (
        "4",
        "hour",
        "18.50",
        "74.00",
    )
    assert order_c["Own words"] == "Go swimming every week"
    assert order_c["Payment reference"] == story["c"].payment.payment_intent_id
    assert table[4]["Group activity"] == "Group activity: Lunch club (your share)"
    assert table[5]["Receipt"] == "my taxi receipt.png"

    totals = {row[0]: row[1] for row in rows[blank + 1 :]}
    assert totals["From"] == "2026-03-15" and totals["To"] == "2026-04-30"
    assert totals["Opening balance"] == "327.50"
    assert totals["Money in from the council"] == "800.00"
    assert totals["Client contribution"] == "40.00"
    assert totals["Spent"] == "110.40"
    assert totals["Refunds"] == "37.00"
    assert totals["Closing balance"] == "1094.10"
    assert totals["Council contingency"] == "400.00"
    assert totals["SURPLUS above the contingency"] == "694.10"
    assert totals["Spent on: Get out and about"] == "49.40"


def _squashed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_is_tagged_text_with_every_line_and_total(story):
    statement = statements.build_statement(budget=story["budget"], starts_on=START, ends_on=END)

    reader = PdfReader(io.BytesIO(statements.statement_pdf(statement)))

    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == "Statement for Alex Morgan, 15 Mar 2026 to 30 Apr 2026"
    text = _squashed("".join(page.extract_text() for page in reader.pages))
    for needle in (
        # the lines, in the PDF's own money format
        "£400",
        "£20",
        "£37",
        "-£74",
        "-£24",
        "-£12.40",
        story["b"].payment.payment_intent_id,
        story["c"].payment.payment_intent_id,
        story["share"].payment.payment_intent_id,
        story["c"].reference,
        "continuesafterthisperiod",
        "Groupactivity:Lunchclub(yourshare)",
        "Taxitothepool.ReceiptkeptTownCabs",
        "Jo'sSwims(JoBloggs)",
        # the totals
        "Openingbalance£327.50",
        "Moneyinfromthecouncil£800",
        "Clientcontribution£40",
        "Spent£110.40",
        "Refunds£37",
        "Closingbalance£1,094.10",
        "Councilcontingency£400",
        "SURPLUSabovethecontingency£694.10",
        "GetoutandaboutGoswimmingeveryweek£49.40",
    ):
        assert needle in text, needle
    assert text.count("Paymenttoaprovider") == 2


def test_receipts_zip_holds_each_payment_receipt_and_the_uploaded_one(story):
    statement = statements.build_statement(budget=story["budget"], starts_on=START, ends_on=END)

    archive = zipfile.ZipFile(io.BytesIO(statements.receipts_zip(statement)))

    names = archive.namelist()
    taxi = next(n for n in names if n.startswith("outside-spending/"))
    assert re.fullmatch(r"outside-spending/2026-04-12-taxi-to-the-pool-[0-9a-f]{8}\.png", taxi)
    assert archive.read(taxi) == PNG
    assert sorted(n for n in names if n.startswith("payments/")) == [
        f"payments/2026-04-05-order-{story['c'].reference}.html",
        f"payments/2026-04-08-order-{story['share'].reference}.html",
    ]  # A and B were paid before the period
    receipt = archive.read(f"payments/2026-04-05-order-{story['c'].reference}.html").decode()
    assert story["c"].payment.payment_intent_id in receipt and "Jo Bloggs" in receipt
    index = list(csv.reader(io.StringIO(archive.read("index.csv").decode("utf-8-sig"))))
    assert sorted(row[0] for row in index[1:]) == sorted(n for n in names if n != "index.csv")


def test_statement_reads_its_lines_in_a_fixed_number_of_queries(story):
    with CaptureQueriesContext(connection) as few:
        statements.build_statement(
            budget=story["budget"], starts_on=date(2026, 4, 1), ends_on=date(2026, 4, 4)
        )
    with CaptureQueriesContext(connection) as many:
        statements.build_statement(budget=story["budget"], starts_on=date(2026, 3, 1), ends_on=END)
    assert len(many) == len(few) <= 3


def test_text_from_people_cannot_become_a_spreadsheet_formula(client, stripe_server):
    world = mf.connected_world(stripe_server)
    world.provider.name = '=HYPERLINK("http://evil.example","Click")'
    world.provider.legal_name = "+44 Ltd"
    world.provider.save()
    pay(client, stripe_server, world.order(), world.holder)
    services.record_outside_spending(
        budget=world.budget,
        by=world.holder,
        amount_pence=500,
        spent_on=date.today(),
        description="@SUM(A1:A9)",
        payee="-2+3",
        plan_outcome=world.plan_outcome,
    )
    today = date.today()
    statement = statements.build_statement(budget=world.budget, starts_on=today, ends_on=today)

    rows = list(csv.reader(io.StringIO(statements.statement_csv(statement)[1:])))

    header, paid, outside = rows[0], dict(zip(rows[0], rows[2], strict=True)), rows[3]
    assert paid["Paid to (trading name)"] == '\'=HYPERLINK("http://evil.example","Click")'
    assert paid["Provider legal name"] == "'+44 Ltd"
    outside = dict(zip(header, outside, strict=True))
    assert outside["Details"] == "'@SUM(A1:A9)"
    assert outside["Paid to (trading name)"] == "'-2+3"
    assert outside["Amount"] == "-5.00"  # our own numbers stay numbers
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell


# --- The page and downloads ----------------------------------------------------------------


def test_holder_sees_the_summary_and_downloads_all_three_files(client, story):
    client.force_login(story["holder"])
    query = {"start": "2026-03-15", "end": "2026-04-30"}

    page = client.get(reverse("marketplace:statements"), query)
    csv_response = client.get(reverse("marketplace:statement_csv"), query)
    pdf_response = client.get(reverse("marketplace:statement_pdf"), query)
    zip_response = client.get(reverse("marketplace:statement_receipts"), query)

    html = page.content.decode()
    assert page.status_code == 200
    assert '<dd class="govuk-summary-list__value" id="statement-closing"><strong>£1,094.10</strong>' in html
    assert "Surplus: £694.10 more than the council" in html
    assert "Continues after this period" in html
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        csv_response["Content-Disposition"] == 'attachment; filename="statement-2026-03-15-to-2026-04-30.csv"'
    )
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    assert pdf_response["Content-Type"] == "application/pdf"
    assert (
        pdf_response["Content-Disposition"] == 'attachment; filename="statement-2026-03-15-to-2026-04-30.pdf"'
    )
    assert pdf_response.content.startswith(b"%PDF")
    assert zip_response["Content-Type"] == "application/zip"
    assert (
        zip_response["Content-Disposition"] == 'attachment; filename="receipts-2026-03-15-to-2026-04-30.zip"'
    )
    events = list(
        AuditEvent.objects.filter(budget=story["budget"], action__contains="statement").values_list(
            "action", "detail", "actor_role"
        )
    ) + list(
        AuditEvent.objects.filter(action="downloaded_receipts").values_list("action", "detail", "actor_role")
    )
    assert events == [
        ("viewed_statement", "15 Mar 2026 to 30 Apr 2026", "the holder"),
        ("downloaded_statement", "CSV, 15 Mar 2026 to 30 Apr 2026", "the holder"),
        ("downloaded_statement", "PDF, 15 Mar 2026 to 30 Apr 2026", "the holder"),
        ("downloaded_receipts", "15 Mar 2026 to 30 Apr 2026", "the holder"),
    ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            {"start": (10, 4, 2026), "end": (1, 4, 2026)},
            "The end date must be the same as or after the start date",
        ),
        ({"start": (1, 4, 2018), "end": (1, 4, 2026)}, "A statement can cover up to 7 years"),
        ({"start": (1, 4, 2026), "end": (1, 1, 2099)}, "The end date must be today or in the past"),
        ({"start": (31, 2, 2026), "end": (1, 4, 2026)}, "The start date must be a real date"),
    ],
)
def test_bad_dates_get_a_clear_message_and_keep_what_was_typed(client, typed, message):
    budget = mf.make_budget()
    client.force_login(budget.holder)
    query = {f"{name}_{i}": str(part) for name, parts in typed.items() for i, part in enumerate(parts)}

    response = client.get(reverse("marketplace:statements"), query)

    html = response.content.decode()
    assert message in html
    assert "There is a problem" in html
    assert "<title>Error: Statements" in html
    assert f'value="{typed["start"][2]}"' in html and f'value="{typed["end"][2]}"' in html
    assert "statement-balances" not in html  # no statement for a bad period
    assert not AuditEvent.objects.filter(action="viewed_statement").exists()


def test_a_download_with_bad_dates_explains_and_sends_no_file(client):
    budget = mf.make_budget()
    client.force_login(budget.holder)

    response = client.get(reverse("marketplace:statement_csv"), {"start": "2026-04-10", "end": "2026-04-01"})

    assert response.status_code == 400
    assert "The end date must be the same as or after the start date" in response.content.decode()
    assert "Content-Disposition" not in response


def test_quick_picks_end_today():
    today = date(2026, 11, 22)
    picks = {label.split(" (")[0]: (start, end) for label, start, end in statements.quick_periods(today)}
    assert picks == {
        "Last 6 months": (date(2026, 5, 23), today),
        "This budget year": (date(2026, 4, 1), today),
        "Last 12 months": (date(2025, 11, 23), today),
    }
    assert statements.quick_periods(date(2027, 2, 1))[1][1] == date(2026, 4, 1)


def test_first_visit_shows_this_budget_year(client):
    budget = mf.make_budget(amount_pence=30_000)
    client.force_login(budget.holder)

    html = client.get(reverse("marketplace:statements")).content.decode()

    today = date.today()
    year_start = date(today.year if today.month >= 4 else today.year - 1, 4, 1)
    assert f"Statement: {statements.period_words(year_start, today)}" in html
    assert 'id="statement-money-in">£300<' in html
    assert timedelta(0) <= today - year_start < timedelta(days=366)


# --- Large statements: the PDF is made in the background and kept -------------------------


def _stored_pdfs(settings) -> list:
    folder = settings.PRIVATE_MEDIA_ROOT / "statement-pdfs"
    return sorted(folder.rglob("*.pdf")) if folder.exists() else []


def _once_made(client, query, *, seconds=60):
    """Press "Check again" until the PDF comes (as a person would), or give up after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        response = client.get(reverse("marketplace:statement_pdf"), query)
        if response.status_code == 200:
            return response
        assert response.status_code == 202
        time.sleep(0.2)
    raise AssertionError("the statement PDF was never made")


# transactional_db: the PDF is made in another thread, which must see the story's data.
def test_a_large_pdf_is_made_off_the_request_once_kept_and_served_again(
    client, story, settings, transactional_db
):
    settings.STATEMENT_PDF_INLINE_MAX_LINES = 5  # the story's statement has 8 lines
    client.force_login(story["holder"])
    query = {"start": "2026-03-15", "end": "2026-04-30"}

    # Even with the immediate task backend (the test settings') the request does not wait.
    waiting = client.get(reverse("marketplace:statement_pdf"), query)
    assert waiting.status_code == 202
    assert _squashed("Your PDF is being made") in _squashed(waiting.content.decode())
    first = _once_made(client, query)
    second = client.get(reverse("marketplace:statement_pdf"), query)

    assert first.status_code == second.status_code == 200
    first_pdf, second_pdf = b"".join(first.streaming_content), b"".join(second.streaming_content)
    assert first_pdf.startswith(b"%PDF") and first_pdf == second_pdf
    text = _squashed("".join(page.extract_text() for page in PdfReader(io.BytesIO(first_pdf)).pages))
    assert _squashed("Jo's Swims (Jo Bloggs)") in text and _squashed("Go swimming every week") in text
    assert len(_stored_pdfs(settings)) == 1
    assert AuditEvent.objects.filter(action="downloaded_statement").count() == 2


def test_while_a_large_pdf_is_being_made_the_person_is_told_and_can_check_again(client, story, settings):
    settings.STATEMENT_PDF_INLINE_MAX_LINES = 5
    # A worker would run the task later: the dummy backend keeps it queued instead.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(story["holder"])
    query = {"start": "2026-03-15", "end": "2026-04-30"}

    waiting = client.get(reverse("marketplace:statement_pdf"), query)
    assert waiting.status_code == 202
    page = _squashed(waiting.content.decode())
    assert _squashed("Your PDF is being made") in page and _squashed("has 8 lines") in page
    assert not _stored_pdfs(settings)
    assert not AuditEvent.objects.filter(action="downloaded_statement").exists()

    # The worker runs the queued task; the same address now downloads the PDF.
    statements.prepare_pdf(
        budget_pk=story["budget"].pk, starts_on=date(2026, 3, 15), ends_on=date(2026, 4, 30)
    )
    ready = client.get(reverse("marketplace:statement_pdf"), query)
    assert ready.status_code == 200
    assert b"".join(ready.streaming_content).startswith(b"%PDF")


def _made_by_the_worker(client, story, query):
    """Ask for the PDF (queued: the dummy backend stands for a worker not yet run), then run the
    task as a worker would and download it."""
    assert client.get(reverse("marketplace:statement_pdf"), query).status_code == 202
    statements.prepare_pdf(
        budget_pk=story["budget"].pk,
        starts_on=date.fromisoformat(query["start"]),
        ends_on=date.fromisoformat(query["end"]),
    )
    return client.get(reverse("marketplace:statement_pdf"), query)


def test_a_kept_pdf_is_not_served_once_the_ledger_changes(client, story, settings):
    settings.STATEMENT_PDF_INLINE_MAX_LINES = 5
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client.force_login(story["holder"])
    query = {"start": "2026-03-15", "end": "2026-04-30"}
    _made_by_the_worker(client, story, query)
    services.record_outside_spending(
        budget=story["budget"],
        by=story["holder"],
        amount_pence=500,
        spent_on=date(2026, 4, 20),
        description="Bus fare",
        plan_outcome=story["budget"].plan.outcomes.first(),
    )

    response = _made_by_the_worker(client, story, query)

    text = _squashed(
        "".join(p.extract_text() for p in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages)
    )
    assert _squashed("Bus fare") in text
    assert len(_stored_pdfs(settings)) == 2

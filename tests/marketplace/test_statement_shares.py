"""Who may see and download statements, and read-only links for the council: made and stopped
by the holder only, opened without signing in, dead once expired or stopped, and audited."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from marketplace.models import AuditEvent, Delegate, LedgerEntry, StatementShare
from tests import factories
from tests.marketplace import factories as mf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

STATEMENT_URLS = ["statements", "statement_csv", "statement_pdf", "statement_receipts"]


def _period():
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def _delegate(budget, *, statements=False, status=Delegate.Status.ACTIVE):
    user = factories.UserFactory()
    Delegate.objects.create(
        budget=budget,
        user=user,
        name="Chris",
        email=user.email,
        status=status,
        can_download_statements=statements,
    )
    return user


@pytest.fixture
def budget():
    return mf.make_budget(amount_pence=40_000)


def _get(client, name):
    return client.get(reverse(f"marketplace:{name}"), _period())


def test_anonymous_people_are_sent_to_sign_in(client):
    for name in [*STATEMENT_URLS, "statement_shares"]:
        response = _get(client, name)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_holder_may_see_and_download(client, budget):
    client.force_login(budget.holder)
    assert [_get(client, name).status_code for name in STATEMENT_URLS] == [200, 200, 200, 200]


def test_a_view_only_delegate_cannot_download_but_a_statements_delegate_can(client, budget):
    client.force_login(_delegate(budget, statements=False))
    for name in STATEMENT_URLS:
        response = _get(client, name)
        assert response.status_code == 403
        assert "You cannot see statements" in response.content.decode()
        assert "Content-Disposition" not in response

    client.force_login(_delegate(budget, statements=True))
    responses = [_get(client, name) for name in STATEMENT_URLS]
    assert [r.status_code for r in responses] == [200, 200, 200, 200]
    assert "£400" in responses[0].content.decode()
    assert AuditEvent.objects.filter(
        action="downloaded_statement", actor_role="helper (family member or friend)"
    )


def test_a_view_only_delegate_may_download_one_receipt_but_not_every_receipt_at_once(client, budget):
    """The one download rule (marketplace.acting.DOWNLOAD_NEEDS): a receipt needs "view"; a
    statement or the receipts zip needs "download statements"."""
    entry = LedgerEntry.objects.create(
        budget=budget,
        period=budget.periods.first(),
        kind=LedgerEntry.Kind.OUTSIDE,
        amount_pence=-1_240,
        description="Bus to the pool",
        occurred_on=timezone.localdate(),
        receipt=SimpleUploadedFile("ticket.png", PNG, "image/png"),
    )
    receipt_url = reverse("marketplace:spending_receipt", args=[entry.public_id])
    client.force_login(_delegate(budget, statements=False))

    receipt = client.get(receipt_url)
    zip_response = _get(client, "statement_receipts")

    assert receipt.status_code == 200
    assert b"".join(receipt.streaming_content) == PNG
    assert zip_response.status_code == 403
    assert "Content-Disposition" not in zip_response
    # Someone who is not a helper at all gets nothing.
    client.force_login(factories.UserFactory())
    assert client.get(receipt_url).status_code == 404


def test_a_withdrawn_delegate_gets_nothing_at_once(client, budget):
    user = _delegate(budget, statements=True)
    client.force_login(user)
    assert _get(client, "statement_csv").status_code == 200
    Delegate.objects.filter(user=user).update(status=Delegate.Status.WITHDRAWN)

    for name in STATEMENT_URLS:
        response = _get(client, name)
        assert response.status_code == 302  # to "Your budget", which says they have none
        assert response["Location"] == reverse("marketplace:dashboard")


def test_another_holder_sees_only_their_own_budget_and_cannot_touch_the_links(client, budget):
    share = StatementShare.objects.create(
        budget=budget,
        recipient="Dana Whitfield, social worker",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        token_hash="a" * 64,
        expires_at=timezone.now() + timedelta(days=7),
    )
    other = mf.make_budget(amount_pence=12_300)
    client.force_login(other.holder)
    session = client.session
    session["acting_budget"] = str(budget.public_id)  # tries to act for someone else
    session.save()

    page = _get(client, "statements").content.decode()
    revoke = client.post(reverse("marketplace:statement_share_revoke", args=[share.public_id]))

    assert "£123" in page and "£400" not in page
    assert revoke.status_code == 404
    share.refresh_from_db()
    assert share.revoked_at is None
    assert "Dana Whitfield" not in client.get(reverse("marketplace:statement_shares")).content.decode()


def test_only_the_holder_may_manage_links(client, budget):
    client.force_login(_delegate(budget, statements=True))
    response = client.get(reverse("marketplace:statement_shares"))
    assert response.status_code == 403
    assert "Only the budget holder can share statements" in response.content.decode()


def _make_link(client, budget, days=14, recipient="Sam Patel, social worker"):
    client.force_login(budget.holder)
    today = timezone.localdate()
    start = today - timedelta(days=10)
    response = client.post(
        reverse("marketplace:statement_shares"),
        {
            "recipient": recipient,
            "start_0": start.day,
            "start_1": start.month,
            "start_2": start.year,
            "end_0": today.day,
            "end_1": today.month,
            "end_2": today.year,
            "expires_in_days": days,
        },
        follow=True,
    )
    html = response.content.decode()
    link = re.search(r'id="new-link" type="text" value="([^"]+)"', html).group(1)
    client.logout()
    return link.replace("http://testserver", "")


def test_holder_makes_a_link_the_council_opens_without_signing_in(client, budget):
    path = _make_link(client, budget)
    token = path.rstrip("/").rsplit("/", 1)[1]
    share = StatementShare.objects.get()
    assert share.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43 and token not in share.token_hash
    assert timedelta(days=13, hours=23) < share.expires_at - timezone.now() <= timedelta(days=14)

    page = client.get(path)
    csv_file = client.get(path + "csv/")
    pdf_file = client.get(path + "pdf/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Direct payment statement" in html and "£400" in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    for response in (page, csv_file, pdf_file):
        assert response["Referrer-Policy"] == "no-referrer"
        assert response["Cache-Control"] == "no-store"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert csv_file["Content-Type"] == "text/csv; charset=utf-8"
    assert pdf_file.content.startswith(b"%PDF")
    events = AuditEvent.objects.filter(actor_role="someone with a shared link").order_by("sequence")
    assert [(e.action, e.object_id, e.actor_id) for e in events] == [
        ("opened_shared_statement", str(share.public_id), None),
        ("downloaded_statement", str(share.public_id), None),
        ("downloaded_statement", str(share.public_id), None),
    ]
    assert events[2].detail.startswith("PDF, ")
    assert not AuditEvent.objects.filter(detail__contains="Sam Patel").exists()
    assert AuditEvent.objects.filter(action="shared_statement", object_id=str(share.public_id)).exists()


def test_a_stopped_link_is_gone_at_once_and_says_nothing(client, budget):
    path = _make_link(client, budget)
    share = StatementShare.objects.get()
    client.force_login(budget.holder)
    client.post(reverse("marketplace:statement_share_revoke", args=[share.public_id]))
    client.logout()

    for url in (path, path + "csv/", path + "pdf/"):
        response = client.get(url)
        assert response.status_code == 410
        html = response.content.decode()
        assert "This link no longer works" in html
        assert "£400" not in html and budget.holder.last_name not in html
        assert response["Referrer-Policy"] == "no-referrer"
    assert AuditEvent.objects.filter(action="revoked_share", object_id=str(share.public_id)).exists()
    assert not AuditEvent.objects.filter(action="opened_shared_statement").exists()


def test_an_expired_link_is_gone(client, budget, time_machine):
    path = _make_link(client, budget, days=7)

    time_machine.move_to(timezone.now() + timedelta(days=7, minutes=1))
    response = client.get(path)

    assert response.status_code == 410
    assert "has run out" in response.content.decode()


def test_a_tampered_or_unknown_link_is_not_found(client, budget):
    path = _make_link(client, budget)
    token = path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")

    for url in (
        reverse("marketplace:shared_statement", args=[tampered]),
        reverse("marketplace:shared_statement_csv", args=[tampered]),
        reverse("marketplace:shared_statement", args=["x" * 500]),
    ):
        response = client.get(url)
        assert response.status_code == 404
        assert "We cannot find this statement" in response.content.decode()
        assert response["Cache-Control"] == "no-store"
    assert not AuditEvent.objects.filter(action="opened_shared_statement").exists()


def test_making_a_link_needs_a_recipient_and_a_good_period(client, budget):
    client.force_login(budget.holder)

    response = client.post(
        reverse("marketplace:statement_shares"),
        {
            "recipient": "",
            "start_0": "5",
            "start_1": "5",
            "start_2": "2026",
            "end_0": "1",
            "end_1": "5",
            "end_2": "2026",
        },
    )

    html = response.content.decode()
    assert "Enter who the link is for" in html
    assert "The end date must be the same as or after the start date" in html
    assert "Choose how long the link should work" in html
    assert not StatementShare.objects.exists()

"""The "Your PDF is being made" page and its status address: the page says how to get the PDF
without JavaScript, points its script at the status address, and the status address answers
only to those who may download the PDF, saying when it is ready and where it is.

The dummy task backend stands for a worker that has not run yet (none runs in tests); the test
then runs the task's own function, as the worker would.
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import AuditEvent, Delegate
from marketplace.services import statements
from tests import factories
from tests.marketplace import factories as mf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("private_media")]


@pytest.fixture
def budget(settings):
    settings.STATEMENT_PDF_INLINE_MAX_LINES = 0  # every statement with a line is made by a task
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    return mf.make_budget(amount_pence=40_000)


def _period():
    today = timezone.localdate()
    return today - timedelta(days=30), today


def _query():
    start, end = _period()
    return {"start": start.isoformat(), "end": end.isoformat()}


def _made_by_the_worker(budget):
    start, end = _period()
    statements.prepare_pdf(budget_pk=budget.pk, starts_on=start, ends_on=end)


def test_waiting_page_points_its_script_at_the_status_address_and_keeps_check_again(client, budget):
    client.force_login(budget.holder)

    page = client.get(reverse("marketplace:statement_pdf"), _query())

    html = page.content.decode()
    assert page.status_code == 202
    status_url = reverse("marketplace:statement_pdf_status")
    assert f'data-pdf-status-url="{status_url}?start=' in html
    assert 'id="pdf-progress" role="status" aria-live="polite"' in html
    assert 'src="/static/marketplace/pdf_status.mjs"' in html and 'type="module"' in html
    assert 'http-equiv="refresh"' not in html
    assert 'id="check-again"' in html  # the way to the PDF without JavaScript


def test_status_says_not_ready_then_ready_with_the_pdf_address(client, budget):
    client.force_login(budget.holder)
    client.get(reverse("marketplace:statement_pdf"), _query())

    waiting = client.get(reverse("marketplace:statement_pdf_status"), _query())
    assert waiting.status_code == 200
    assert waiting.json()["ready"] is False
    assert "still being made" in waiting.json()["message"]
    assert waiting["Cache-Control"] == "private, no-store"

    _made_by_the_worker(budget)
    ready = client.get(reverse("marketplace:statement_pdf_status"), _query()).json()

    assert ready["ready"] is True
    assert ready["message"] == "Your PDF is ready. It is downloading now."
    pdf = client.get(ready["pdf_url"])
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    # Asking is not downloading: only the download itself is in the audit log.
    assert AuditEvent.objects.filter(action="downloaded_statement").count() == 1


def test_status_is_refused_to_people_who_may_not_download_the_statement(client, budget):
    assert client.get(reverse("marketplace:statement_pdf_status"), _query()).status_code == 302

    viewer = factories.UserFactory()
    Delegate.objects.create(
        budget=budget, user=viewer, name="Chris", email=viewer.email, status=Delegate.Status.ACTIVE
    )
    client.force_login(viewer)
    refused = client.get(reverse("marketplace:statement_pdf_status"), _query())
    assert refused.status_code == 403
    assert "ready" not in refused.content.decode()


def test_status_with_a_bad_period_says_so(client, budget):
    client.force_login(budget.holder)
    response = client.get(reverse("marketplace:statement_pdf_status"), {"start": "2026-02-31", "end": "x"})
    assert response.status_code == 400
    assert response.json()["problems"] == ["Choose the start and end dates of the statement again"]


def test_shared_link_status_works_while_the_link_does_and_stops_with_it(client, budget):
    start, end = _period()
    share, token = statements.create_share(
        budget=budget, by=budget.holder, recipient="Social worker", starts_on=start, ends_on=end, days=14
    )
    page = client.get(reverse("marketplace:shared_statement_pdf", args=[token]))
    status_url = reverse("marketplace:shared_statement_pdf_status", args=[token])
    assert page.status_code == 202 and f'data-pdf-status-url="{status_url}"' in page.content.decode()
    assert client.get(status_url).json()["ready"] is False

    _made_by_the_worker(budget)
    status = client.get(status_url)
    assert status.json() == {
        "ready": True,
        "pdf_url": reverse("marketplace:shared_statement_pdf", args=[token]),
        "message": "Your PDF is ready. It is downloading now.",
    }
    assert status["Referrer-Policy"] == "no-referrer"

    statements.revoke_share(share=share, by=budget.holder)
    assert client.get(status_url).status_code == 410

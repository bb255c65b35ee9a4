"""The mail server is down: people's actions still succeed, and their emails go later, once.

Emails go through the task queue (cms/mail.py). These tests run the queue as a deployment
with a worker does (django_tasks_db's DatabaseBackend, drained by its own worker loop) and
Django's real SMTP backend pointed at a port on 127.0.0.1 where nothing listens; then a small
SMTP server (tests/faults/smtp_server.py) starts on that port, and the retry delivers.
"""

import logging
import socket
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from cms import mail
from marketplace.models import Order
from signposting.models import Enquiry
from tests.factories import ProviderFactory, make_listing
from tests.marketplace import factories as mf

from .smtp_server import SMTPTestServer

# Real commits: the worker reads the tasks the request wrote, as a separate worker would.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

RETRY_DELAYS = [60, 300]
ENQUIRY = {
    "name": "Margaret Patel",
    "reply_to": "margaret@example.org",
    "message": "Could you take me swimming on Saturday mornings?",
}


def free_port() -> int:
    """A port on 127.0.0.1 where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_port(settings):
    """Django's SMTP backend and a queue with a worker; the mail server's port is closed."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 2
    settings.EMAIL_RETRY_DELAYS = RETRY_DELAYS
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    cache.clear()  # the enquiry rate limit counts in the cache
    return port


@pytest.fixture
def smtp_server(smtp_port):
    """start() brings the mail server up on the port that was closed."""
    servers = []

    def start() -> SMTPTestServer:
        servers.append(SMTPTestServer(smtp_port).start())
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def run_worker() -> None:
    """Run every task that is due now, as `manage.py db_worker --batch` would."""
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="faults-test-worker",
        excluded_queue_names=[],
    ).run()


def email_tasks():
    return DBTaskResult.objects.filter(task_path="cms.mail.deliver_email_task").order_by("enqueued_at")


def mail_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "cms.mail" and r.levelno == logging.WARNING]


@pytest.fixture
def listing(home):
    from tests import factories

    factories.directory_page()
    provider = ProviderFactory(name="Jo's Swimming", email="office@swimbuddy.example")
    return make_listing(title="Swimming buddy", provider=provider, contact_email="hello@swimbuddy.example")


def test_an_enquiry_succeeds_while_mail_is_down_and_is_emailed_once_when_it_comes_back(
    client, listing, smtp_server, caplog
):
    caplog.set_level(logging.WARNING, logger="cms.mail")
    data = {"listing": str(listing.public_id), "shortlist": "", **ENQUIRY}

    response = client.post(reverse("signposting:enquiry_new"), data)
    assert response.status_code == 302
    assert "Message sent" in client.get(response["Location"]).content.decode()

    run_worker()  # sends the enquiry email: the connection is refused

    (warning,) = mail_warnings(caplog)
    assert "'New enquiry about Swimming buddy'" in warning
    assert "attempt 1 of 3" in warning
    assert "Connection refused" in warning or "ConnectionRefusedError" in warning
    retry = email_tasks().last()
    assert retry.status == "READY"
    assert retry.args_kwargs["args"][1] == 2  # the second attempt
    assert timedelta(seconds=55) < retry.run_after - timezone.now() <= timedelta(seconds=60)
    assert Enquiry.objects.get().notified_at is not None  # handed to the queue, not lost

    server = smtp_server()
    run_worker()
    assert server.received == [], "the retry waits for its backoff"

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        run_worker()
        run_worker()  # nothing more is due: a second pass sends nothing

    (delivered,) = server.received
    message = delivered.message
    assert message["Subject"] == "New enquiry about Swimming buddy"
    assert message["Reply-To"] == "margaret@example.org"
    assert set(delivered.rcpt_to) == {"hello@swimbuddy.example", "office@swimbuddy.example"}
    assert "Could you take me swimming on Saturday mornings?" in message.get_body().get_content()
    assert [t.status for t in email_tasks()] == ["SUCCESSFUL", "SUCCESSFUL"]
    assert len(mail_warnings(caplog)) == 1


def test_a_provider_accepts_a_request_while_mail_is_down_and_the_holder_hears_later(
    client, smtp_server, caplog
):
    caplog.set_level(logging.WARNING, logger="cms.mail")
    world = mf.World(amount_pence=20_000)
    support_request = mf.make_request(budget=world.budget, listing=world.listing)
    run_worker()  # the "new request" email fails too; only the acceptance is followed below
    client.force_login(world.provider_user)

    response = client.post(
        reverse("marketplace:request_accept", args=[support_request.public_id]), follow=True
    )

    assert "You accepted the request. We have told the person." in response.content.decode()
    assert Order.objects.get().status == Order.Status.AWAITING_PAYMENT
    run_worker()
    assert any("'Your support is agreed'" in w and "attempt 1 of 3" in w for w in mail_warnings(caplog))

    server = smtp_server()
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        run_worker()
    agreed = [r for r in server.received if r.message["Subject"] == "Your support is agreed"]
    assert len(agreed) == 1
    assert agreed[0].rcpt_to == [world.holder.email]
    assert len([r for r in server.received if r.message["Subject"] == "New request for support"]) == 1


def test_after_the_last_attempt_the_failure_is_logged_as_an_error_and_nothing_more_is_queued(
    smtp_port, caplog
):
    caplog.set_level(logging.WARNING, logger="cms.mail")
    mail.send_mail("Hello", "Body", None, ["someone@example.org"])
    start = timezone.now()
    for minutes in (0, 2, 8):  # each attempt after the one before's backoff (60 s, 300 s)
        with time_machine.travel(start + timedelta(minutes=minutes)):
            run_worker()

    assert email_tasks().count() == len(RETRY_DELAYS) + 1
    assert not email_tasks().filter(status="READY").exists()
    errors = [r.getMessage() for r in caplog.records if r.name == "cms.mail" and r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "Gave up sending email 'Hello' to someone@example.org after 3 attempts" in errors[0]


def test_without_a_worker_the_caller_hears_of_the_failure_and_keeps_its_own_fallback(
    settings, smtp_port, client, listing
):
    # The immediate backend (no worker deployed) cannot run a task later: the error reaches
    # the caller, as Django's send_mail would raise it; the enquiry stays unsent for a later run.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(mail.MailNotSent):
        mail.send_mail("Hello", "Body", None, ["someone@example.org"])

    response = client.post(
        reverse("signposting:enquiry_new"), {"listing": str(listing.public_id), "shortlist": "", **ENQUIRY}
    )

    assert response.status_code == 302
    assert Enquiry.objects.get().notified_at is None

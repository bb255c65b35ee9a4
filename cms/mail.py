"""Every email the site sends goes through the task queue, and is tried again if the mail
server cannot be reached.

`send(email)` takes a built `EmailMessage`/`EmailMultiAlternatives`; `send_mail(...)` takes the
arguments of `django.core.mail.send_mail`. Both queue `deliver_email_task` with the message as
plain JSON. When the SMTP connection fails (refused, timed out, dropped, or the server
answers with an error) the task logs a warning and queues itself again to run after a
backoff (`settings.EMAIL_RETRY_DELAYS`, seconds), so one message is tried at most
`len(EMAIL_RETRY_DELAYS) + 1` times and, once it goes, goes once.

A backoff needs a backend that can run a task later (`django_tasks_db.DatabaseBackend` with
`manage.py db_worker`). The immediate backend (the default when no worker is deployed)
cannot, so there the failure reaches the caller as `MailNotSent` (an `OSError`, as
`django.core.mail.send_mail` would raise), unless it passed `fail_silently=True`: each
caller keeps the fallback it already had (a reminder is tried again the next day).
"""

import base64
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.utils import timezone
from django_tasks import TaskResultStatus, task

logger = logging.getLogger(__name__)

DEFAULT_RETRY_DELAYS = (60, 300, 1800)


class MailNotSent(OSError):
    """The message could not be sent and no later attempt could be queued."""


def retry_delays() -> list[int]:
    """Seconds to wait before each further attempt (settings.EMAIL_RETRY_DELAYS)."""
    return [int(s) for s in getattr(settings, "EMAIL_RETRY_DELAYS", DEFAULT_RETRY_DELAYS)]


def to_json(email: EmailMessage) -> dict:
    """The message as JSON a task can carry (text and binary attachments both survive)."""
    attachments = []
    for attachment in email.attachments:
        filename, content, mimetype = attachment
        if isinstance(content, bytes):
            attachments.append([filename, base64.b64encode(content).decode("ascii"), mimetype, "base64"])
        else:
            attachments.append([filename, content, mimetype, "text"])
    return {
        "subject": email.subject,
        "body": email.body,
        "from_email": email.from_email,
        "to": list(email.to),
        "cc": list(email.cc),
        "bcc": list(email.bcc),
        "reply_to": list(email.reply_to),
        "headers": dict(email.extra_headers),
        "alternatives": [list(a) for a in getattr(email, "alternatives", [])],
        "attachments": attachments,
    }


def from_json(message: dict) -> EmailMultiAlternatives:
    """The message `to_json` described, ready to send."""
    email = EmailMultiAlternatives(
        message["subject"],
        message["body"],
        message["from_email"],
        message["to"],
        cc=message["cc"],
        bcc=message["bcc"],
        reply_to=message["reply_to"],
        headers=message["headers"],
    )
    for content, mimetype in message["alternatives"]:
        email.attach_alternative(content, mimetype)
    for filename, content, mimetype, encoding in message["attachments"]:
        email.attach(filename, base64.b64decode(content) if encoding == "base64" else content, mimetype)
    return email


def _describe(message: dict) -> str:
    return f"{message['subject']!r} to {', '.join(message['to'] + message['cc'] + message['bcc'])}"


@task()
def deliver_email_task(message: dict, attempt: int = 1) -> bool | None:
    """Send one message; on an SMTP failure queue the next attempt.

    True: sent. None: not sent, the next attempt is queued. False: not sent, and no later
    attempt will be made (attempts used up, or the backend cannot run a task later).
    """
    try:
        from_json(message).send()
    except (smtplib.SMTPException, OSError) as exc:
        delays = retry_delays()
        if attempt > len(delays):
            logger.error("Gave up sending email %s after %d attempts: %r", _describe(message), attempt, exc)
            # Nothing is queued any more: nobody would hear of it otherwise.
            return False
        if not deliver_email_task.get_backend().supports_defer:
            logger.warning(
                "Could not send email %s: %r; the task backend cannot try again later",
                _describe(message),
                exc,
            )
            return False
        run_after = timezone.now() + timedelta(seconds=delays[attempt - 1])
        deliver_email_task.using(run_after=run_after).enqueue(message, attempt + 1)
        logger.warning(
            "Could not send email %s (attempt %d of %d): %r; trying again after %s",
            _describe(message),
            attempt,
            len(delays) + 1,
            exc,
            run_after.isoformat(timespec="seconds"),
        )
        return None
    return True


def send(email: EmailMessage, *, fail_silently: bool = False) -> int:
    """Queue one built message for sending; returns 1.

    Raises MailNotSent when it could not be sent and no retry could be queued (immediate
    backend only), unless `fail_silently`.
    """
    result = deliver_email_task.enqueue(to_json(email))
    # Only the immediate backend has finished by now; a queued task's outcome comes later.
    lost = result.is_finished and (result.status == TaskResultStatus.FAILED or result.return_value is False)
    if lost and not fail_silently:
        raise MailNotSent(f"Could not send email {email.subject!r}")
    return 1


def send_mail(subject, message, from_email, recipient_list, *, fail_silently=False, html_message=None) -> int:
    """`django.core.mail.send_mail`, through the queue (see `send`)."""
    email = EmailMultiAlternatives(subject, message, from_email, recipient_list)
    if html_message:
        email.attach_alternative(html_message, "text/html")
    return send(email, fail_silently=fail_silently)

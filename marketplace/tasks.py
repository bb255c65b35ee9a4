"""Background tasks for the marketplace (django-tasks): the emails each step sends, settling
group activities, asking "did it help", and making large statement PDFs (always off the request:
`enqueue_off_request`).

Task arguments must be JSON, so they take the step's name and the request's database id.
"""

import logging
import threading

from django.db import connections
from django_tasks import TaskResultStatus, task
from django_tasks.backends.immediate import ImmediateBackend

logger = logging.getLogger(__name__)


@task()
def send_notification_task(what: str, request_pk: int) -> int:
    """Email the people a step in a request's life concerns; returns how many emails were sent."""
    from .emails import send_notification

    return send_notification(what, request_pk)


@task()
def send_group_email_task(what: str, activity_pk: int) -> int:
    """Email the people a step in a group activity concerns ("going_ahead", "called_off")."""
    from .services.pooling import send_group_emails

    return send_group_emails(what, activity_pk)


@task()
def settle_group_activities_task(today: str | None = None) -> dict[str, int]:
    """Settle every group activity past its last day to join (as `manage.py settle_group_activities`).

    `today` is an ISO date ("2026-03-01"), because task arguments must be JSON.
    """
    from datetime import date

    from .services.pooling import settle_due_activities, summarise

    return summarise(settle_due_activities(today=date.fromisoformat(today) if today else None))


@task()
def prepare_statement_pdf_task(budget_pk: int, starts_on: str, ends_on: str) -> str:
    """Make a large statement's PDF and keep it for download (dates are ISO strings: JSON)."""
    from datetime import date

    from .services.statements import prepare_pdf

    return prepare_pdf(
        budget_pk=budget_pk, starts_on=date.fromisoformat(starts_on), ends_on=date.fromisoformat(ends_on)
    )


@task()
def ask_did_it_help_task(today: str | None = None) -> int:
    """Ask about paid support a few weeks in or ended (as `manage.py ask_did_it_help`).

    `today` is an ISO date, because task arguments must be JSON. Returns emails queued.
    """
    from datetime import date

    from .services.outcome_checks import ask_due

    return ask_due(today=date.fromisoformat(today) if today else None)


@task()
def remind_meet_first_task() -> dict[str, int]:
    """Remind both sides of meetings in the next day and ask about ones that happened (as
    `manage.py remind_meet_first`). Returns how many of each were sent."""
    from .services.meet_first import remind_due

    return remind_due()


def enqueue_off_request(task_to_run, *args) -> None:
    """Enqueue `task_to_run` so that it never runs inside the web request.

    With a worker backend (django_tasks_db.DatabaseBackend and `manage.py db_worker`) this is an
    ordinary enqueue. The immediate backend would run the task right here, so the request would
    wait for it (a 5,000-line statement PDF takes about a minute, past any worker timeout): then
    the task is enqueued from a background thread of this process instead, where the immediate
    backend runs it while the person is shown "being made".
    """
    if not isinstance(task_to_run.get_backend(), ImmediateBackend):
        task_to_run.enqueue(*args)
        return
    threading.Thread(
        target=_enqueue_in_thread, args=(task_to_run, args), name=f"task-{task_to_run.name}", daemon=True
    ).start()


def _enqueue_in_thread(task_to_run, args) -> None:
    try:
        result = task_to_run.enqueue(*args)
        if result.status == TaskResultStatus.FAILED:
            logger.error("Background task %s failed: %s", task_to_run.name, result.errors[-1].traceback)
    finally:
        # This thread opened its own database connection: give it back.
        connections.close_all()

"""Background tasks for the marketplace (django-tasks): the emails each step sends.

Task arguments must be JSON, so they take the step's name and the request's database id.
"""

from django_tasks import task


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

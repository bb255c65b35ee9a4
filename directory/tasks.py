"""Background tasks for the directory (django-tasks).

The daily reminders run from cron through `manage.py send_reminders`; these tasks let a
deployment with a task worker run the same work from its own scheduler instead, and let
the site queue a reminder run without waiting for it.
"""

from datetime import date

from django_tasks import task


@task()
def send_reminders_task(today: str | None = None) -> dict[str, int]:
    """Send every due reminder (evidence expiry and yearly confirmation requests).

    `today` is an ISO date ("2026-03-01"), because task arguments must be JSON.
    """
    from .reminders import send_all_reminders

    return send_all_reminders(today=date.fromisoformat(today) if today else None)


@task()
def send_evidence_reminders_task(today: str | None = None) -> int:
    """Send the 30-day, 7-day and expired reminders for evidence of checks."""
    from .reminders import send_evidence_reminders

    return send_evidence_reminders(today=date.fromisoformat(today) if today else None)


@task()
def send_confirmation_requests_task(today: str | None = None) -> int:
    """Ask providers to confirm listings not confirmed for 12 months."""
    from .reminders import send_confirmation_requests

    return send_confirmation_requests(today=date.fromisoformat(today) if today else None)


@task()
def import_feeds_task() -> list[str]:
    """Re-read every registered Open Referral feed (daily), keeping the directory in step."""
    from .oruk.feeds import import_registered_feeds

    return [str(run) for run in import_registered_feeds()]

"""Background tasks for signposting: the enquiry email to a provider, and saved-search alerts.

Both are safe to run twice: an enquiry is claimed before its email goes, and each alert
listing is recorded once per saved search (see signposting/services.py).
"""

from django_tasks import task


@task()
def send_enquiry_email_task(enquiry_id: int) -> bool:
    """Email the provider about one enquiry (once, however often this runs)."""
    from .services import notify_provider

    return notify_provider(enquiry_id=enquiry_id)


@task()
def send_alerts_task(frequency: str) -> int:
    """Send the "new matches" emails for every saved search of this frequency."""
    from .services import send_alerts

    return send_alerts(frequency=frequency)

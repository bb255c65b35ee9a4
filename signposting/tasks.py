"""Background tasks for signposting: the enquiry email to a provider, saved-search alerts, and
the daily digest of needs to providers.

All are safe to run twice: an enquiry is claimed before its email goes, each alert listing
is recorded once per saved search, and each need once per provider (signposting/services.py,
signposting/needs/services.py).
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


@task()
def send_need_digests_task() -> int:
    """Email providers the new needs their listings could meet (the daily digest)."""
    from .needs.services import send_need_digests

    return send_need_digests()


@task()
def send_demand_alerts_task() -> int:
    """Email would-be providers whose demand alerts reached a new level (daily)."""
    from .needs.alerts import send_demand_alerts

    return send_demand_alerts()

"""Background tasks for the marketplace (django-tasks): the emails each step sends.

Task arguments must be JSON, so they take the step's name and the request's database id.
"""

from django_tasks import task


@task()
def send_notification_task(what: str, request_pk: int) -> int:
    """Email the people a step in a request's life concerns; returns how many emails were sent."""
    from .emails import send_notification

    return send_notification(what, request_pk)

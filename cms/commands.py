"""What the site's daily management commands share."""

from datetime import date

from django.core.management.base import CommandError


def date_option(value) -> date | None:
    """The `--date` option of a daily command ("act as if today were…"), or None when not given."""
    if not value:
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date must look like 2026-03-01, not {value!r}") from exc

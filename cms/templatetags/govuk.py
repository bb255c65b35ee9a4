"""Template tags for the GOV.UK form kit (`cms/forms.py`, `cms/templates/includes/govuk/`)."""

from django import template
from django.utils import timezone

from cms.forms import error_summary

register = template.Library()


@register.inclusion_tag("includes/govuk/error_summary.html")
def govuk_error_summary(*forms_and_formsets, error=None, error_anchor=""):
    """The "There is a problem" box for the forms (and formsets) on a page.

    Each problem links to its field's first input. `error` adds a message that belongs to no
    field (linked to `error_anchor` when given). Forms that are None or unbound add nothing,
    so a page can pass every form it may show.
    """
    return {"errors": error_summary(*forms_and_formsets), "error": error, "error_anchor": error_anchor}


@register.filter
def govuk_time(value):
    """A time as GOV.UK writes it, in the site's time zone: "8:22pm", "9am", "12pm" (midday)."""
    if not value:
        return ""
    if hasattr(value, "tzinfo") and hasattr(value, "date") and timezone.is_aware(value):
        value = timezone.localtime(value)
    hour = value.hour % 12 or 12
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{'am' if value.hour < 12 else 'pm'}"

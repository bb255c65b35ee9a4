"""Template tags for the GOV.UK form kit (`cms/forms.py`, `cms/templates/includes/govuk/`)."""

from django import template

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

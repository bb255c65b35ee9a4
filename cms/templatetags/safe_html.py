"""`clean_html`: rich text from providers, cleaned with nh3 just before it is shown.

Provider text is escaped when it is saved (directory.provider_services.text_to_html and the
importers), but a listing's description can also arrive from the admin, an API import or an
older revision; cleaning on the way out means none of those can put script on a public page.
"""

import nh3
from django import template
from django.utils.safestring import mark_safe

register = template.Library()

# What a listing description may contain: the rich text features ListingPage.description allows
# (bold, italic, lists, links), as Wagtail's `richtext` filter renders them.
ALLOWED_TAGS = {"p", "br", "b", "strong", "i", "em", "ol", "ul", "li", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}


@register.filter
def clean_html(value) -> str:
    """Keep only simple formatting and http(s)/mailto/tel links; drop scripts, handlers and styles."""
    cleaned = nh3.clean(
        str(value or ""),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(cleaned)  # noqa: S308 - nh3 has just cleaned it

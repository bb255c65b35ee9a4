"""Template tags other templates use to show signposting: who is a professional, and a
listing's response stats (with no effect on ranking).

    {% load signposting %}
    {% if user|is_professional %}…{% endif %}
    {% response_stats page %}
"""

from django import template

from signposting.services import is_verified_professional, listing_response_stats

register = template.Library()


@register.filter
def is_professional(user) -> bool:
    """True for a verified professional's account."""
    return is_verified_professional(user)


@register.inclusion_tag("signposting/_response_stats.html")
def response_stats(listing):
    """The listing's response rate and typical reply time, once it has enough enquiries."""
    return {"stats": listing_response_stats(listing)}

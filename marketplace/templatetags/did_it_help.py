"""`{% provider_did_it_help provider user %}`: what people said about a provider's paid support,
for the provider's own team in /my/ (counts only, nothing until enough answers exist).

A template tag keeps the directory's provider pages free of marketplace queries: the page
includes `marketplace/did_it_help/_on_my_dashboard.html`, which calls this.
"""

from django import template

from marketplace.services import outcome_checks
from marketplace.services.common import NotPermitted

register = template.Library()


@register.inclusion_tag("marketplace/did_it_help/_provider_counts.html")
def provider_did_it_help(provider, user):
    """The provider's own answer counts (None for anyone not in its team)."""
    try:
        counts = outcome_checks.provider_counts(provider=provider, viewer=user)
    except NotPermitted:
        counts = None
    return {"counts": counts, "provider": provider}

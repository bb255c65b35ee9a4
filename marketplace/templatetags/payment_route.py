"""`{% payment_route_for listing %}`: on a listing's public page, whether its provider can be paid
through the site (and, if not, what a holder can do), so nobody finds out after sending a request.

A template tag keeps the directory's listing page free of marketplace queries."""

from django import template

from marketplace.services.payments import payment_route

register = template.Library()


@register.inclusion_tag("marketplace/_payment_route.html")
def payment_route_for(listing):
    """The payment route box for the listing's provider."""
    return {"route": payment_route(listing.provider), "provider": listing.provider}

"""`{% group_activities_for listing %}`: a listing's group activities open to join, for its public page.

A template tag keeps the directory's listing page free of marketplace queries: the page
includes `marketplace/groups/_on_listing.html`, which calls this.
"""

from django import template

from marketplace.services import pooling

register = template.Library()


@register.inclusion_tag("marketplace/groups/_listing_groups.html")
def group_activities_for(listing):
    """The listing's activities open to join (soonest deadline first), with places left."""
    activities = list(pooling.joinable_activities().filter(listing=listing).order_by("join_by", "starts_on"))
    for activity in activities:
        activity.places_left = max(activity.places - activity.taken, 0)
    return {"activities": activities}

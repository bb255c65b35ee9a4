"""Which listings could meet a need, and which open needs a provider's listings could meet.

A listing matches a need when it is live, shares one of the need's outcomes, serves the need's
district (a district it covers in full, or the district's middle within its travel radius,
the same rule as `ListingPage.serves`) and its availability overlaps the need's. No
availability on either side means "any time" and overlaps everything.
"""

import math

from django.db.models import F, Q

from directory import geo
from directory.models import ListingPage

from ..models import Need

# The largest travel radius a listing may give (ListingPage.service_radius_miles): the first,
# indexed cut of candidates is a box this far round the district.
MAX_RADIUS_MILES = 100


def availability_overlaps(need_mask: int, listing_mask: int) -> bool:
    """True when the need and the listing share a time, or either says "any time"."""
    return not need_mask or not listing_mask or bool(need_mask & listing_mask)


def _availability_q(mask: int) -> Q:
    if not mask:
        return Q()
    return Q(availability=0) | Q(overlap__gt=0)


def listing_serves_district(listing: ListingPage, district) -> bool:
    """True when the district's middle is within the listing's travel radius, or it is covered."""
    if district.code in {d.code for d in listing.served_districts.all()}:
        return True
    if listing.latitude is None:
        return False
    distance = geo.distance_miles(listing.latitude, listing.longitude, district.latitude, district.longitude)
    return distance <= listing.service_radius_miles


def listings_for_need(need: Need):
    """Live listings that could meet `need`, ordered by title (never by any ranking)."""
    district = need.district
    south, north, west, east = geo.bounding_box(district.latitude, district.longitude, MAX_RADIUS_MILES)
    # Each listing's own radius as a box in degrees, so far listings with small radii are cut in
    # SQL; the fixed outer box lets the latitude index narrow the rows first.
    lat_reach = F("service_radius_miles") / geo.MILES_PER_DEGREE_LAT
    lon_reach = F("service_radius_miles") / (
        geo.MILES_PER_DEGREE_LAT * max(math.cos(math.radians(district.latitude)), 0.01)
    )
    place = Q(served_districts=district) | Q(
        latitude__range=(south, north),
        longitude__range=(west, east),
        latitude__gte=district.latitude - lat_reach,
        latitude__lte=district.latitude + lat_reach,
        longitude__gte=district.longitude - lon_reach,
        longitude__lte=district.longitude + lon_reach,
    )
    candidates = (
        ListingPage.objects.live()
        .public()
        .filter(outcomes__in=need.outcomes.all())
        .annotate(overlap=F("availability").bitand(need.availability))
        .filter(_availability_q(need.availability))
        .filter(place)
        .distinct()
        .select_related("provider")
        .prefetch_related("served_districts")
        .order_by("title", "pk")
    )
    return [listing for listing in candidates if listing_serves_district(listing, district)]


def needs_for_listing(listing: ListingPage, *, needs=None):
    """Open needs `listing` could meet (from `needs`, default every open need), newest first."""
    outcome_ids = [outcome.pk for outcome in listing.outcomes.all()]
    queryset = (
        (needs if needs is not None else Need.objects.open()).filter(outcomes__in=outcome_ids).distinct()
    )
    return [
        need
        for need in queryset.select_related("district")
        if availability_overlaps(need.availability, listing.availability)
        and listing_serves_district(listing, need.district)
    ]

"""Imported listings that need a place: finding them, and setting one for several at once.

An imported service with no postcode, coordinates, named service area or organisation address,
and no sign that it is given online or by phone, is saved as a draft with no place
(directory.oruk.importer). Coordinators see those under "Imported: needs a place" in the admin
and set a place for a batch of them here: a postcode (or outward code), a council area or town
(its districts, covered in full), or "available anywhere".
"""

from django.db import transaction

from directory import geo, places, writer
from directory.models import ListingPage


class UnknownPlace(ValueError):
    """The place typed is not a postcode, council area or town we know; `str()` says so."""


def listings_needing_a_place():
    """Listings with no base postcode that are not available anywhere, oldest first."""
    return (
        ListingPage.objects.filter(base_postcode="", available_anywhere=False)
        .select_related("provider")
        .order_by("first_published_at", "pk")
    )


def _place_fields(place: str, *, anywhere: bool) -> dict:
    if anywhere:
        return {"available_anywhere": True}
    text = " ".join((place or "").split())
    if not text:
        raise UnknownPlace("Enter a postcode, council area or town, or choose “available anywhere”.")
    if geo.looks_like_postcode(text):
        return {"base_postcode": str(geo.parse_postcode(text)), "available_anywhere": False}
    districts = places.districts_for_area(text)
    if not districts:
        raise UnknownPlace(f"We do not know a postcode, council area or town called “{text[:60]}”.")
    latitude, longitude = places.centre_of(districts)
    base = min(districts, key=lambda d: (d.latitude - latitude) ** 2 + (d.longitude - longitude) ** 2)
    return {"base_postcode": base.code, "served_districts": districts, "service_radius_miles": 0}


def set_place(*, listings, place: str = "", anywhere: bool = False, user=None) -> int:
    """Give each listing a place and publish it (a coordinator chose it); returns how many.

    `place` is a postcode, outward code, council area or town (its districts are served in
    full); `anywhere` publishes them as available anywhere instead. Raises UnknownPlace,
    changing nothing, when the place is not one we know.
    """
    fields = _place_fields(place, anywhere=anywhere)
    count = 0
    with transaction.atomic():
        for listing in listings:
            page = listing.get_latest_revision_as_object()
            writer.update_listing(page, publish=True, user=user, draft_without_postcode=True, **fields)
            count += 1
    return count

"""Directory services other apps call: finding where a postcode or place is."""

from dataclasses import dataclass

from . import geo
from .models import Place, Postcode, PostcodeDistrict


class PlaceNotFound(LookupError):
    """We cannot place the text on a map; `str()` is a message for the person."""


@dataclass(frozen=True)
class Location:
    """A point people searched from, with how precisely we know it."""

    latitude: float
    longitude: float
    label: str
    district_code: str
    precision: str  # "postcode", "district" or "place"


def locate_postcode(text: str) -> Location | None:
    """Coordinates of a full postcode (or its district when we lack the full one), else None."""
    try:
        parsed = geo.parse_postcode(text)
    except geo.InvalidPostcode:
        return None
    if parsed.is_full:
        found = Postcode.objects.filter(code=str(parsed)).select_related("district").first()
        if found:
            return Location(found.latitude, found.longitude, found.code, found.district.code, "postcode")
    district = PostcodeDistrict.objects.filter(code=parsed.outward, non_geographic=False).first()
    if district:
        return Location(district.latitude, district.longitude, district.code, district.code, "district")
    return None


def locate(*, text: str) -> Location:
    """Where a person is, from a postcode, an outward code or a town name.

    Raises PlaceNotFound, whose text tells the person what to try instead.
    """
    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise PlaceNotFound("Enter a postcode or a town, like BL3 or Farnworth.")
    if "\x00" in cleaned or len(cleaned) > 100:
        # PostgreSQL refuses NUL in a query, and no place name or postcode is this long.
        raise PlaceNotFound("Enter a postcode or a town, like BL3 or Farnworth, using letters and numbers.")
    place = Place.objects.filter(name__iexact=cleaned).select_related("district").first()
    if place:
        return Location(place.latitude, place.longitude, place.name, place.district.code, "place")
    if not geo.looks_like_postcode(cleaned):
        raise PlaceNotFound(
            f"We could not find a place called “{cleaned[:60]}”. "
            "Try a postcode like BL3 or BL1 1RU, or a town like Farnworth."
        )
    parsed = geo.parse_postcode(cleaned)
    location = locate_postcode(str(parsed))
    if location is None:
        raise PlaceNotFound(
            f"We do not know where {parsed} is yet. Try the first half of your postcode or a town name."
        )
    return location

"""Directory services other apps call: finding where a postcode, town or council area is."""

from dataclasses import dataclass

from . import geo, places
from .models import Place, Postcode, PostcodeDistrict


class PlaceNotFound(LookupError):
    """We cannot place the text on a map; `str()` is a message for the person."""


@dataclass(frozen=True)
class Location:
    """A point people searched from, with how precisely we know it.

    `precision` is "postcode", "district", "place" (a town or neighbourhood) or "area" (a
    council area: the point is the middle of its districts, all listed in `district_codes`).
    `note` is a sentence for the person when the point is less precise than what they typed.
    """

    latitude: float
    longitude: float
    label: str
    district_code: str
    precision: str  # "postcode", "district", "place" or "area"
    note: str = ""
    district_codes: tuple[str, ...] = ()


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
    # A terminated district is still found when typed: old letters and records carry it.
    district = PostcodeDistrict.objects.filter(code=parsed.outward, non_geographic=False).first()
    if district:
        note = ""
        if parsed.is_full:
            note = (
                f"We found {district.code} but not the full postcode {parsed}, "
                f"so distances are from the middle of {district.code}."
            )
        return Location(district.latitude, district.longitude, district.code, district.code, "district", note)
    return None


def _area_location(area: places.Area) -> Location:
    latitude, longitude = places.centre_of(area.districts)
    codes = tuple(sorted(d.code for d in area.districts))
    if area.kind == "authority":
        note = f"{area.label} is a council area: distances are from its middle."
        return Location(latitude, longitude, area.label, "", "area", note, codes)
    # A town spread over several districts is placed in the one nearest its middle.
    nearest = min(
        area.districts, key=lambda d: geo.distance_miles(latitude, longitude, d.latitude, d.longitude)
    )
    return Location(latitude, longitude, area.label, nearest.code, "place", area.note, codes)


def locate(*, text: str) -> Location:
    """Where a person is, from a postcode, an outward code, a town or a council area.

    In order: a neighbourhood name (`Place`), a postcode or outward code, a council area
    ("South Gloucestershire"), a town listed in a district ("Chesham"). Raises PlaceNotFound,
    whose text tells the person what to try instead.
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
    if geo.looks_like_postcode(cleaned):
        parsed = geo.parse_postcode(cleaned)
        location = locate_postcode(str(parsed))
        if location is None:
            raise PlaceNotFound(
                f"We do not know where {parsed} is yet. Try the first half of your postcode or a town name."
            )
        return location
    area = places.find_area(cleaned)
    if area is None:
        raise PlaceNotFound(
            f"We could not find a place called “{cleaned[:60]}”. "
            "Try a postcode like BL3 or BL1 1RU, or a town like Farnworth."
        )
    return _area_location(area)


def council_districts(slug: str) -> list[str]:
    """The outward codes of the active districts in the council area `slug` ("bristol")."""
    return list(
        PostcodeDistrict.objects.filter(local_authority_slug=slug, active=True, non_geographic=False)
        .order_by("code")
        .values_list("code", flat=True)
    )

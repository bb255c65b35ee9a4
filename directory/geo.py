"""Parsing UK postcodes and measuring distances. Pure functions: no database."""

import math
import re
from dataclasses import dataclass

# The official pattern (BS 7666), loosened only for spacing and case.
_OUTWARD = r"(?:[A-Z]{1,2}[0-9][A-Z0-9]?)"
_INWARD = r"(?:[0-9][A-Z]{2})"
FULL_RE = re.compile(rf"^({_OUTWARD})\s*({_INWARD})$")
OUTWARD_RE = re.compile(rf"^({_OUTWARD})$")
EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LAT = 69.0


class InvalidPostcode(ValueError):
    """The text is not a UK postcode or outward code; `str()` is a message for the person."""


@dataclass(frozen=True)
class ParsedPostcode:
    """A normalised postcode: `outward` is always set, `inward` only for a full postcode."""

    outward: str
    inward: str = ""

    @property
    def is_full(self) -> bool:
        """True for a full postcode like "BL1 1RU", False for an outward code like "BL1"."""
        return bool(self.inward)

    def __str__(self):
        return f"{self.outward} {self.inward}" if self.inward else self.outward


def parse_postcode(text: str) -> ParsedPostcode:
    """Normalise a full postcode ("bl11ru" -> "BL1 1RU") or outward code ("bl3" -> "BL3").

    Raises InvalidPostcode with a message a person can act on.
    """
    cleaned = re.sub(r"\s+", " ", (text or "").strip().upper())
    if not cleaned:
        raise InvalidPostcode("Enter a postcode, like BL1 1RU, or the first half, like BL1.")
    if len(cleaned) > 10:
        raise InvalidPostcode(f"“{text.strip()[:20]}” is too long to be a postcode.")
    match = FULL_RE.match(cleaned)
    if match:
        return ParsedPostcode(outward=match.group(1), inward=match.group(2))
    match = OUTWARD_RE.match(cleaned)
    if match:
        return ParsedPostcode(outward=match.group(1))
    raise InvalidPostcode(
        f"“{text.strip()}” is not a UK postcode. Enter a postcode like BL1 1RU, or the first half, like BL1."
    )


def looks_like_postcode(text: str) -> bool:
    """True when `text` parses as a postcode or outward code (used to tell places from postcodes)."""
    try:
        parse_postcode(text)
    except InvalidPostcode:
        return False
    return True


def distance_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlmb = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


def bounding_box(lat: float, lon: float, miles: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains the circle of `miles`."""
    dlat = miles / MILES_PER_DEGREE_LAT
    dlon = miles / (MILES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon

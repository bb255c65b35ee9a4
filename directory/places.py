"""Places in Great Britain: loading the national postcode districts and naming areas.

`data/postcode_districts_gb.csv` lists every UK postcode district (terminated ones included)
with its centre, the towns and areas in it and its local authority. It is Doogal's "Postcode
districts" table, derived from the ONS Postcode Directory and OS data (Open Government Licence
v3.0; attribution in `data/README.md`). Migration `directory/0004` loads it, so search works for
any place from the first `migrate`.

Names people type are matched here, ignoring case and punctuation:
- a local authority (council area): "Bristol", "Bristol, City of", "Bristol City Council";
- a town or area listed in a district ("Chesham", "Little Stoke");
- "Town, Council" to pick one of several towns of the same name ("Newport, Isle of Wight").
Terminated districts (no live postcodes) stay in the table for old addresses, but no name,
point or area resolves to them.
"""

import csv
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from django.utils.text import slugify

from . import geo

SHIPPED_CSV = Path(__file__).resolve().parent / "data" / "postcode_districts_gb.csv"
NEIGHBOURHOODS_CSV = Path(__file__).resolve().parent / "data" / "places.csv"
NON_GEOGRAPHIC = "non-geographic"
# A point further than this from every district centre is not in any district we know
# (at sea, abroad); the largest Highland districts have homes about this far from their centre.
MAX_POINT_MILES = 25.0
# The box PostcodeDistrict's constraints allow: the UK and the Crown dependencies.
UK_LAT = (49.0, 61.0)
UK_LON = (-9.0, 3.0)
# Words councils add around a place's name: "Bristol, City of", "Bolton Council", "the Royal
# Borough of Greenwich". Stripped only when what is left still names an authority.
_SUFFIXES = (
    ", city of",
    ", county of",
    " city council",
    " county council",
    " borough council",
    " district council",
    " metropolitan borough council",
    " council",
)
_PREFIXES = ("the ", "city of ", "county of ", "royal borough of ", "london borough of ", "borough of ")


@dataclass(frozen=True)
class Area:
    """What a name stands for: its label, the active districts in it, and what kind of name it is."""

    label: str
    districts: list  # of PostcodeDistrict, active and geographic
    kind: str  # "authority" or "town"
    note: str = ""  # said to the person when the name was ambiguous


def name_key(text: str) -> str:
    """The comparable form of a place name: lower case, no accents or punctuation, "&" as "and".

    "St. Helen's" -> "st helens", "Newcastle-upon-Tyne" -> "newcastle upon tyne".
    """
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    text = text.lower().replace("&", " and ").replace("'", "").replace("\u2019", "").replace(".", "")
    return " ".join(re.sub(r"[^a-z0-9,]+", " ", text).split()).strip(" ,")


def _without_council_words(key: str) -> str:
    for suffix in _SUFFIXES:
        if key.endswith(suffix):
            key = key[: -len(suffix)].strip(" ,")
    return key


def authority_slug(name: str) -> str:
    """The key of a local authority name ("Bristol, City of" -> "bristol"), used in council=."""
    return slugify(_without_council_words(name_key(name)).replace(",", " "))


def _authority_slugs(text: str) -> list[str]:
    """Slugs `text` might mean, most literal first ("City of Bristol" -> city-of-bristol, bristol)."""
    key = _without_council_words(name_key(text))
    candidates = [key]
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            candidates.append(key[len(prefix) :])
    slugs = (slugify(c.replace(",", " ")) for c in candidates)
    return [s for s in dict.fromkeys(slugs) if s]


def towns_of(description: str) -> list[str]:
    """The town and area names in a district's description, without "Non-geographic"."""
    return [t.strip() for t in description.split(",") if t.strip() and t.strip().lower() != NON_GEOGRAPHIC]


# --- loading -------------------------------------------------------------------------------


def read_districts(path: Path = SHIPPED_CSV) -> list[dict]:
    """The rows of the shipped table, as PostcodeDistrict field values."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    districts = []
    for row in rows:
        towns = towns_of(row["towns"])
        authority = row["local_authority"].strip()
        districts.append(
            {
                "code": row["district"].strip().upper(),
                # The table has no post towns; its first named town is the one people know it by.
                "post_town": (towns[0] if towns else authority or row["district"])[:60],
                "description": row["towns"].strip()[:600],
                "latitude": float(row["latitude"]),
                "longitude": float(row["longitude"]),
                "non_geographic": row["towns"].strip().lower().startswith(NON_GEOGRAPHIC),
                "local_authority": authority[:80],
                "local_authority_slug": authority_slug(authority)[:80],
                "active": int(row["active_postcodes"] or 0) > 0,
            }
        )
    return districts


def load_districts(*, PostcodeDistrict, Place=None, path: Path = SHIPPED_CSV, batch_size: int = 1000) -> dict:
    """Create or update every district in the table (and the shipped neighbourhood names).

    Takes the model classes so a migration can pass its historical models. Existing rows are
    updated in place (their full postcodes keep pointing at them); new ones are created in
    batches, so a fresh database loads the whole country in a few queries. Returns counts.
    """
    rows = read_districts(path)
    fields = [f for f in rows[0] if f != "code"]
    existing = {d.code: d for d in PostcodeDistrict.objects.filter(code__in=[r["code"] for r in rows])}
    to_create, to_update = [], []
    for row in rows:
        district = existing.get(row["code"])
        if district is None:
            to_create.append(PostcodeDistrict(**row))
        elif any(getattr(district, name) != row[name] for name in fields):
            for name in fields:
                setattr(district, name, row[name])
            to_update.append(district)
    PostcodeDistrict.objects.bulk_create(to_create, batch_size=batch_size)
    if to_update:
        # bulk_update writes one CASE per field over the batch: small batches keep it linear.
        PostcodeDistrict.objects.bulk_update(to_update, fields, batch_size=100)
    counts = {"created": len(to_create), "updated": len(to_update), "places": 0}
    if Place is not None:
        counts["places"] = load_neighbourhoods(PostcodeDistrict=PostcodeDistrict, Place=Place)
    return counts


def load_neighbourhoods(*, PostcodeDistrict, Place, path: Path = NEIGHBOURHOODS_CSV) -> int:
    """Add the shipped neighbourhood names (finer than districts) that are not there yet."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    have = set(Place.objects.values_list("name", flat=True))
    districts = dict(
        PostcodeDistrict.objects.filter(code__in={r["district"] for r in rows}).values_list("code", "pk")
    )
    new = [
        Place(
            name=row["name"],
            district_id=districts[row["district"]],
            latitude=float(row["latitude"]),
            longitude=float(row["longitude"]),
        )
        for row in rows
        if row["name"] not in have and row["district"] in districts
    ]
    Place.objects.bulk_create(new)
    return len(new)


# --- naming areas ---------------------------------------------------------------------------


def _usable(queryset):
    return queryset.filter(active=True, non_geographic=False)


def _authority(text: str):
    from .models import PostcodeDistrict

    for slug in _authority_slugs(text):
        districts = list(_usable(PostcodeDistrict.objects.filter(local_authority_slug=slug)))
        if districts:
            return districts
    return []


def _towns(text: str, *, authority: str = ""):
    """Active districts that list the town `text`, grouped by council: {authority: [districts]}."""
    from .models import PostcodeDistrict

    key = name_key(text)
    if not key or "," in key:
        return {}
    # A loose database filter on the start of the longest word (before any apostrophe the table
    # may spell: "Bartholomew's"), then an exact comparison of whole names.
    word = max(key.split(), key=len)[:6]
    found = {}
    for district in _usable(PostcodeDistrict.objects.filter(description__icontains=word)):
        if key in {name_key(t) for t in towns_of(district.description)}:
            if authority and district.local_authority_slug != authority:
                continue
            found.setdefault(district.local_authority, []).append(district)
    return found


def find_area(text: str) -> Area | None:
    """The council area or town `text` names, with its active districts; None when unknown.

    A council name wins over a town of the same name ("Bolton" is Bolton's council area).
    A town found in several council areas resolves to the one with most districts (then the
    first alphabetically), and the note says how to choose another.
    """
    cleaned = " ".join((text or "").split())
    if not cleaned:
        return None
    districts = _authority(cleaned)
    if districts:
        return Area(label=districts[0].local_authority, districts=districts, kind="authority")
    town, _, council = cleaned.partition(",")
    council_slugs = _authority_slugs(council) if council.strip() else []
    groups = {}
    for slug in council_slugs or [""]:
        groups = _towns(town, authority=slug)
        if groups:
            break
    if not groups:
        return None
    ranked = sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))
    authority, chosen = ranked[0]
    label = " ".join(town.split())
    # Use the spelling in the table ("Chesham", whatever the case typed).
    for name in towns_of(chosen[0].description):
        if name_key(name) == name_key(label):
            label = name
            break
    note = ""
    if len(ranked) > 1:
        others = ", ".join(f"“{label}, {other}”" for other, _ in ranked[1:4])
        note = (
            f"There is more than one {label}: we used the one in {authority}. "
            f"For another, search for {others}."
        )
    return Area(label=label, districts=chosen, kind="town", note=note)


def centre_of(districts) -> tuple[float, float]:
    """The mean of the districts' centres (good enough for a council area or a town)."""
    return (
        sum(d.latitude for d in districts) / len(districts),
        sum(d.longitude for d in districts) / len(districts),
    )


def districts_for_area(name: str) -> list:
    """The active postcode districts a place name covers, for importers' named service areas.

    `name` may be an outward code ("BS34"), a local authority ("South Gloucestershire",
    "Bristol, City of") or a town ("Chesham"); case and punctuation do not matter. A town found
    in several council areas is ambiguous on its own, so it returns [] unless qualified
    ("Newport, Isle of Wight"). Unknown names return [].
    """
    from .models import PostcodeDistrict

    cleaned = " ".join((name or "").split())
    if geo.looks_like_postcode(cleaned):
        outward = geo.parse_postcode(cleaned).outward
        return list(_usable(PostcodeDistrict.objects.filter(code=outward)))
    area = find_area(cleaned)
    if area is None or area.note:
        return []
    return sorted(area.districts, key=lambda d: d.code)


def district_for_point(latitude: float, longitude: float):
    """The active postcode district whose centre is nearest the point, or None.

    None when the point is outside the UK, or more than MAX_POINT_MILES from every district
    centre (at sea, say). The nearest centre is an approximation of the district boundary,
    good enough to say which district a service is in.
    """
    from .models import PostcodeDistrict

    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (UK_LAT[0] <= latitude <= UK_LAT[1] and UK_LON[0] <= longitude <= UK_LON[1]):
        return None
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(latitude, longitude, MAX_POINT_MILES)
    candidates = _usable(
        PostcodeDistrict.objects.filter(
            latitude__range=(min_lat, max_lat), longitude__range=(min_lon, max_lon)
        )
    )
    best, best_miles = None, MAX_POINT_MILES
    for district in candidates:
        miles = geo.distance_miles(latitude, longitude, district.latitude, district.longitude)
        if miles <= best_miles:
            best, best_miles = district, miles
    return best

"""The shapes Open Referral feeds come in, turned into the one form the mapping reads.

Councils and their suppliers publish more than the ORUK 3.0 API: many still serve the older
1.0-era records, wrapped in one of two kinds of page, or as a plain list. `read_page` takes any
of these documents and returns a `FeedPage`: the records in ORUK 3.0 form (what
`mapping.parse_service` reads), which shape it found, and where the next page is.

Shapes read
-----------
- records: ORUK 3.0 (`schedules`, `attributes`, `addresses`) or ORUK 1.0 (`regular_schedules`,
  `service_taxonomys`, `eligibilitys`, `organisation` or `organization`, locations with
  `physical_addresses` and `accessibility_for_disabilities`, languages as `language`);
- containers: a plain list; the ORUK paged envelope (`contents` with `total_items`/`totalItems`,
  `page_number`, `total_pages`); the Spring Data page many 1.0 APIs return (`content` with
  `totalElements`, `number` counted from 0, `totalPages`, `last`); one record on its own.
  Empty pages are fine.

Values
------
An empty string (or only spaces) and `null` are absent values: `"email": ""` means "no email",
never an error. Ids that are not UUIDs (1.0 feeds often number their records) become a UUID
derived from the feed's address and the id, so the same record maps to the same listing on
every import. A nested part that is not what it should be (a list that is not a list, say) is
left out with a warning a coordinator can act on. No optional package changes what is checked.
"""

import uuid
from dataclasses import dataclass, field

# Keys only ORUK 1.0-era records have.
V1_KEYS = (
    "regular_schedules",
    "holiday_schedules",
    "service_taxonomys",
    "eligibilitys",
    "organisation",
    "fundings",
)
# Keys any ORUK service, organisation or taxonomy record may have: a document whose records have
# none of these is not an Open Referral feed.
KNOWN_KEYS = {
    "id",
    "name",
    "status",
    "description",
    "organization",
    "organization_id",
    "service",
    "location",
    "services",
    "term",
    "taxonomy_terms",
    "contents",
    *V1_KEYS,
}
STATUSES = ("active", "inactive", "defunct", "temporarily closed")
LISTS = (
    "schedules",
    "cost_options",
    "attributes",
    "languages",
    "service_areas",
    "contacts",
    "service_at_locations",
)
_WEEKDAYS = {
    "monday": "MO",
    "tuesday": "TU",
    "wednesday": "WE",
    "thursday": "TH",
    "friday": "FR",
    "saturday": "SA",
    "sunday": "SU",
}
# Ids that are not UUIDs are turned into one in this namespace (with the feed's address).
ID_NAMESPACE = uuid.UUID("5b3f0c1e-8d8a-4f7e-9a57-0c0ed0a1f16e")


class ShapeError(ValueError):
    """The document is not a feed shape we read; `str()` names what was found."""


@dataclass
class FeedPage:
    """One document of a feed, with its records in ORUK 3.0 form."""

    records: list
    version: str  # "3.0", "1.0", "mixed" or "" (no records)
    container: str  # "list", "envelope" (contents), "spring page" (content), "record"
    page_number: int | None = None  # counted from 1, as people count
    total_pages: int | None = None
    total_items: int | None = None
    last: bool = True
    next_page_param: int | None = None  # the value of ?page= for the next page, in the feed's numbering
    notes: list[str] = field(default_factory=list)

    @property
    def shape(self) -> str:
        """What was read, in words: "ORUK 1.0 records in a paged envelope (content/totalElements)"."""
        what = {
            "3.0": "ORUK 3.0 records",
            "1.0": "ORUK 1.0 records",
            "mixed": "ORUK 3.0 and 1.0 records",
        }.get(self.version, "no records")
        where = {
            "list": "a plain list",
            "envelope": "a paged envelope (contents/total_items)",
            "spring page": "a paged envelope (content/totalElements)",
            "record": "a single record",
        }[self.container]
        return f"{what} in {where}"


def _keys(value) -> str:
    names = sorted(value)[:6] if isinstance(value, dict) else []
    return ", ".join(f"“{name}”" for name in names) or "no keys"


def _first(doc: dict, *names):
    for name in names:
        if isinstance(doc.get(name), int) and not isinstance(doc.get(name), bool):
            return doc[name]
    return None


def read_page(doc) -> FeedPage:
    """The records of one feed document in ORUK 3.0 form; raises ShapeError for an unknown shape."""
    if isinstance(doc, list):
        page = FeedPage(records=doc, version="", container="list")
    elif isinstance(doc, dict) and "contents" in doc:
        page = _envelope(doc, "contents", "envelope")
    elif isinstance(doc, dict) and "content" in doc and isinstance(doc.get("content"), list):
        page = _envelope(doc, "content", "spring page")
    elif isinstance(doc, dict) and "openapi_url" in doc:
        raise ShapeError(
            "This is an ORUK API's front page (/), not a feed: give the address of its /services "
            "endpoint, or a file saved from it."
        )
    elif isinstance(doc, dict) and "id" in doc:
        page = FeedPage(records=[doc], version="", container="record")
    elif isinstance(doc, dict):
        raise ShapeError(
            f"The feed is a JSON object without “contents”, “content” or “id” (it has {_keys(doc)}): "
            "expected a list of services, a paged /services response or one service. Nothing was imported."
        )
    else:
        raise ShapeError(
            f"The feed is a JSON {type(doc).__name__}; expected a list of services, a paged "
            "/services response or one service. Nothing was imported."
        )
    objects = [record for record in page.records if isinstance(record, dict)]
    if page.records and not any(KNOWN_KEYS & record.keys() for record in objects):
        found = objects[0] if objects else page.records[0]
        what = f"objects with {_keys(found)}" if objects else f"JSON {type(found).__name__} values"
        raise ShapeError(
            f"The feed's records are {what}, not Open Referral services, organisations or "
            "taxonomies (they have no “id”, “name” or “status”). Nothing was imported."
        )
    versions = {
        "1.0" if any(key in record for key in V1_KEYS) or _v1_nested(record) else "3.0" for record in objects
    }
    page.version = versions.pop() if len(versions) == 1 else ("mixed" if versions else "")
    return page


def _envelope(doc: dict, key: str, container: str) -> FeedPage:
    records = doc[key]
    if not isinstance(records, list):
        raise ShapeError(f"The feed's “{key}” is not a list. Nothing was imported.")
    total_items = _first(doc, "total_items", "totalItems", "totalElements")
    total_pages = _first(doc, "total_pages", "totalPages")
    if container == "spring page":
        number = _first(doc, "number")  # Spring counts pages from 0
        page_number = None if number is None else number + 1
        next_param = None if number is None else number + 1
    else:
        page_number = _first(doc, "page_number", "pageNumber")
        next_param = None if page_number is None else page_number + 1
    if isinstance(doc.get("last"), bool):
        last = doc["last"]
    elif page_number is not None and total_pages is not None:
        last = page_number >= total_pages
    else:
        last = not records
    # An empty page ends the feed, whatever its counts say.
    last = last or not records
    return FeedPage(
        records=records,
        version="",
        container=container,
        page_number=page_number,
        total_pages=total_pages,
        total_items=total_items,
        last=last,
        next_page_param=None if last else next_param,
    )


def _list_of(value) -> list:
    """`value` if it is a list, else nothing (a garbled feed may put anything anywhere)."""
    return value if isinstance(value, list) else []


def _v1_nested(record: dict) -> bool:
    for sal in _list_of(record.get("service_at_locations")):
        location = sal.get("location") if isinstance(sal, dict) else None
        if isinstance(location, dict) and (
            "physical_addresses" in location or "accessibility_for_disabilities" in location
        ):
            return True
    return any(isinstance(item, dict) and "language" in item for item in _list_of(record.get("languages")))


# --- records -----------------------------------------------------------------------------------


def absent_removed(value):
    """`value` with every empty string, string of spaces and null left out, at any depth."""
    if isinstance(value, dict):
        return {
            key: absent_removed(item)
            for key, item in value.items()
            if item is not None and not (isinstance(item, str) and not item.strip())
        }
    if isinstance(value, list):
        return [absent_removed(item) for item in value if item is not None]
    return value


def record_id(value, *, source: str = "") -> str | None:
    """The record's id as a UUID string: its own when it is one, else one derived from it."""
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        return None
    text = str(value).strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(ID_NAMESPACE, f"{source}#{text}"))


def service(record: dict, warnings: list[str], *, source: str = "") -> dict:
    """One service (3.0 or 1.0) as ORUK 3.0, with bad parts left out and a warning for each.

    Raises ValueError saying why when it cannot be a listing at all (no id, no name).
    """
    record = absent_removed(record)
    if "id" not in record:
        raise ValueError("has no id")
    given_id = record["id"]
    record["id"] = record_id(given_id, source=source)
    if record["id"] is None:
        raise ValueError(f"its id {given_id!r} is not text or a number")
    if not isinstance(record.get("name"), str):
        raise ValueError("has no name" if "name" not in record else "its name is not text")
    status = record.get("status")
    if status is None:
        warnings.append("has no status: treated as active")
        record["status"] = "active"
    elif not isinstance(status, str) or status.strip().lower() not in STATUSES:
        warnings.append(f"status “{status}” is not one of {', '.join(STATUSES)}: treated as active")
        record["status"] = "active"
    else:
        record["status"] = status.strip().lower()
    _from_v1(record, warnings, source=source)
    for name in ("url", "email", "description", "summary", "alert"):
        if name in record and not isinstance(record[name], str):
            warnings.append(f"{name} is not text: left out")
            del record[name]
    organization = record.get("organization")
    if organization is not None and not isinstance(organization, dict):
        warnings.append("organization is not an object with an id and a name: left out")
        del record["organization"]
    elif isinstance(organization, dict) and "id" in organization:
        organization["id"] = record_id(organization["id"], source=source)
    if "organization_id" in record:
        record["organization_id"] = record_id(record["organization_id"], source=source)
    for name in LISTS:
        if name in record:
            record[name] = _objects(record[name], name, warnings)
    return record


def organization(record: dict, *, source: str = "") -> dict:
    """One organisation as ORUK 3.0; raises ValueError when it has no id or name."""
    record = absent_removed(record)
    if "id" not in record or record_id(record["id"], source=source) is None:
        raise ValueError("has no id")
    if not isinstance(record.get("name"), str):
        raise ValueError("has no name")
    record["id"] = record_id(record["id"], source=source)
    return record


def _objects(value, name: str, warnings: list[str]) -> list:
    if not isinstance(value, list):
        warnings.append(f"{name} is not a list: left out")
        return []
    kept = [item for item in value if isinstance(item, dict)]
    if len(kept) < len(value):
        warnings.append(f"{len(value) - len(kept)} of its {name} are not objects: left out")
    return kept


def _from_v1(record: dict, warnings: list[str], *, source: str) -> None:
    """Rename the 1.0-era parts of a service to their 3.0 names, in place."""
    if "organisation" in record and "organization" not in record:
        record["organization"] = record.pop("organisation")
    if "regular_schedules" in record and "schedules" not in record:
        record["schedules"] = [
            _schedule(item)
            for item in _objects(record.pop("regular_schedules"), "regular_schedules", warnings)
        ]
    if "service_taxonomys" in record and "attributes" not in record:
        record["attributes"] = [
            _attribute(item)
            for item in _objects(record.pop("service_taxonomys"), "service_taxonomys", warnings)
        ]
    for item in _objects(record.pop("eligibilitys", []), "eligibilitys", warnings):
        # Who it is for in words ("Care leavers"): mapping.parse_audiences reads these.
        if isinstance(item.get("eligibility"), str) and item["eligibility"].strip():
            record.setdefault("eligibility_texts", []).append(item["eligibility"])
        for age in ("minimum_age", "maximum_age"):
            if age in item and age not in record:
                record[age] = item[age]
    if "languages" in record and isinstance(record["languages"], list):
        record["languages"] = [
            {"name": item["language"], **item} if isinstance(item, dict) and "language" in item else item
            for item in record["languages"]
        ]
    if isinstance(record.get("service_at_locations"), list):
        for sal in record["service_at_locations"]:
            location = sal.get("location") if isinstance(sal, dict) else None
            if isinstance(location, dict):
                _location_from_v1(location)


def _schedule(item: dict) -> dict:
    schedule = dict(item)
    weekday = str(item.get("weekday") or "").strip().lower()
    if "byday" not in schedule and weekday in _WEEKDAYS:
        schedule["byday"] = _WEEKDAYS[weekday]
    return schedule


def _attribute(item: dict) -> dict:
    taxonomy = item.get("taxonomy") if isinstance(item.get("taxonomy"), dict) else {}
    term = {"id": taxonomy.get("id"), "name": taxonomy.get("name"), "taxonomy": taxonomy.get("vocabulary")}
    return {"taxonomy_term": {key: value for key, value in term.items() if value is not None}}


def _location_from_v1(location: dict) -> None:
    if "physical_addresses" in location and "addresses" not in location:
        location["addresses"] = [a for a in location.pop("physical_addresses") or [] if isinstance(a, dict)]
    if "accessibility_for_disabilities" in location and "accessibility" not in location:
        location["accessibility"] = [
            {"description": a.get("accessibility")}
            for a in location.pop("accessibility_for_disabilities") or []
            if isinstance(a, dict) and a.get("accessibility")
        ]

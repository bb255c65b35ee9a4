"""Listings, providers and vocabulary terms as Open Referral UK 3.0 dicts, and back again.

Export (model -> dict) functions take rows the caller has already fetched, with their
relations prefetched, and never query the database themselves: a page of 50 services costs
the same handful of queries as a page of 5. Import (dict -> plain values) is pure as well:
`parse_service` reads one ORUK service into a `ServiceData`, which the importer resolves
against the database. Both directions live here so that what we write, we can read back
(`import_oruk` of our own `/services` export gives the same listings).

What is published, and what never is (docs/openreferral.md says the same for people):
- a listing's location is its postcode district (outward code) and the district's centre,
  never its full postcode or exact coordinates: many providers work from home;
- contact details come only from the listing's public contact fields, never from
  `Provider.email` / `Provider.phone` (private), and never the provider's legal name (for a
  sole trader that is a person's name);
- checks (DBS, insurance) are not published: their references are personal, and a
  verification cannot be carried into another directory;
- nothing from the marketplace (budgets, plans, orders) is reachable from these objects.

ORUK ids are UUIDs. Services use `ListingPage.public_id`, organisations `Provider.public_id`,
taxonomy terms the vocabulary term's `public_id`. Objects we have no row for (schedules, cost
options, areas…) get uuid5 ids derived from the listing, so they stay the same between
requests. Locations and service-at-locations use the listing's id with fixed bits flipped
instead: that is just as stable, and reversible, so `/service_at_locations/{id}` is a single
indexed lookup rather than a scan of every listing.
"""

import re
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from html import escape
from html.parser import HTMLParser

from directory import geo, writer
from directory.fields import DAYS, PARTS, SLOT_BITS, slots_to_mask
from directory.models import ListingPage, ListingPrice, Outcome, Provider
from directory.writer import text_to_html

ORUK_VERSION = "HSDS-UK-3.0"
NAMESPACE = uuid.UUID("7ab77645-a010-489d-8dc0-c8ecd9409be4")
OUTCOMES_TAXONOMY_ID = uuid.uuid5(NAMESPACE, "outcomes")
CATEGORIES_TAXONOMY_ID = uuid.uuid5(NAMESPACE, "categories")
OUTCOMES_TAXONOMY_NAME = "Broad outcomes"
CATEGORIES_TAXONOMY_NAME = "Kinds of support"

# Flip only bits outside the version and variant fields, so a derived id is still a
# well-formed UUID of the same version as the listing's.
_KEEP_VERSION_AND_VARIANT = ((1 << 128) - 1) ^ ((0xF << 76) | (0x3 << 62))
_LOCATION_MASK = 0x217EE461028F4206B7E623E11D3F678A & _KEEP_VERSION_AND_VARIANT
_SERVICE_AT_LOCATION_MASK = 0x692A187D65F44DD599E63A6B8EBBB695 & _KEEP_VERSION_AND_VARIANT

DAY_CODES = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
_CODE_DAYS = {code: day for day, code in DAY_CODES.items()}
# Minutes after midnight when each part of the day starts and ends, for reading feeds that
# give opening times. Overnight runs past midnight (22:00 to 06:00 the next morning).
PART_MINUTES = {
    "morning": (6 * 60, 12 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 22 * 60),
    "overnight": (22 * 60, 30 * 60),
}
# A schedule that names a day but no times or parts of day: ordinary daytime hours.
DEFAULT_PARTS = ("morning", "afternoon")

EVENING_SUFFIX = " (evenings and weekends)"
MAX_AGE = 120
MAX_RADIUS_MILES = 100
DEFAULT_RADIUS_MILES = 5
# What an organisation is called in the export when it has said nothing about itself.
NOT_STATED = "not stated"
COMPANY_SCHEMES = {"GB-COH"}
# How feeds name kinds of organisation (their `legal_status`), for the kinds we know. Anything
# else is kept as the feed says it (Provider.stated_type) and our kind stays "not stated".
LEGAL_STATUS_WORDS = (
    ("community interest company", Provider.BusinessType.CIC),
    (" cic", Provider.BusinessType.CIC),
    ("charit", Provider.BusinessType.CHARITY),
    ("sole trader", Provider.BusinessType.SOLE_TRADER),
    ("self-employed", Provider.BusinessType.SOLE_TRADER),
    ("partnership", Provider.BusinessType.PARTNERSHIP),
    ("limited", Provider.BusinessType.LIMITED_COMPANY),
    (" ltd", Provider.BusinessType.LIMITED_COMPANY),
)
# Words that say a service is given online or by phone (in a location type, a service area, a
# delivery term, or the service's own name and summary): with no place, it is available anywhere.
_REMOTE_RE = re.compile(
    r"\b(online|on-line|virtual|by phone|by telephone|telephone|phone line|helpline|webchat|web chat|"
    r"video call|remote|remotely|national|nationwide|anywhere)\b",
    re.IGNORECASE,
)
# Age ranges feeds give as text ("18-25", "65+", "over 65s"): years, for the audience mapping.
_AGE_RANGE_RE = re.compile(r"\b(\d{1,2})\s*(?:-|to|\u2013)\s*(\d{1,3})\b")
_AGE_FROM_RE = re.compile(r"\b(?:(\d{1,2})\s*\+|(?:over|aged)\s+(\d{1,2})s?\b)", re.IGNORECASE)


# --- ids ------------------------------------------------------------------------------------


def location_id(listing_id: uuid.UUID) -> uuid.UUID:
    """The id of a listing's (district-level) location."""
    return uuid.UUID(int=listing_id.int ^ _LOCATION_MASK)


def service_at_location_id(listing_id: uuid.UUID) -> uuid.UUID:
    """The id of the link between a listing and its location."""
    return uuid.UUID(int=listing_id.int ^ _SERVICE_AT_LOCATION_MASK)


def listing_id_for_service_at_location(sal_id: uuid.UUID) -> uuid.UUID:
    """The listing's public_id behind a service-at-location id (the inverse of the above)."""
    return uuid.UUID(int=sal_id.int ^ _SERVICE_AT_LOCATION_MASK)


def _child_id(listing_id: uuid.UUID, name: str) -> str:
    return str(uuid.uuid5(listing_id, name))


# --- text -----------------------------------------------------------------------------------

_BLOCK_TAGS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "table", "tr"}


class _TextExtractor(HTMLParser):
    """Rich text to plain text: paragraphs apart by a blank line, list items as "- item" lines."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.lists: list[list] = []  # [kind, number] for each open list
        self.hidden = 0  # inside <script> or <style>, whose text is not text

    def _end_block(self):
        text = "".join(self.current)
        lines = [" ".join(line.split()) for line in text.split("\n")]
        block = "\n".join(line for line in lines if line)
        if block:
            self.blocks.append(block)
        self.current = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag == "br":
            self.current.append("\n")
        elif tag == "li":
            if self.lists:
                kind = self.lists[-1]
                kind[1] += 1
                bullet = f"{kind[1]}. " if kind[0] == "ol" else "- "
            else:
                bullet = "- "
            self.current.append("\n" + bullet)
        elif tag in _BLOCK_TAGS:
            self._end_block()
            if tag in ("ul", "ol"):
                self.lists.append([tag, 0])

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag == "li":
            self.current.append("\n")
        elif tag in _BLOCK_TAGS:
            if tag in ("ul", "ol") and self.lists:
                self.lists.pop()
            self._end_block()

    def handle_data(self, data):
        if self.hidden:
            return
        # Source line breaks inside HTML are just spaces; only <br> and blocks break lines.
        self.current.append(data.replace("\n", " "))

    def text(self) -> str:
        self._end_block()
        return "\n\n".join(self.blocks)


def html_to_text(html: str) -> str:
    """Plain text from rich text: tags dropped, entities decoded, paragraphs kept."""
    extractor = _TextExtractor()
    extractor.feed(html or "")
    extractor.close()
    return extractor.text()


def _shorten(text: str, limit: int) -> str:
    """`text` cut at a word boundary to fit `limit` characters, with an ellipsis if cut."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


# --- export: vocabularies ---------------------------------------------------------------------


def taxonomy(kind: str, terms=None) -> dict:
    """One of the two published taxonomies ("outcomes" or "categories"), with its terms if given."""
    if kind == "outcomes":
        data = {
            "id": str(OUTCOMES_TAXONOMY_ID),
            "name": OUTCOMES_TAXONOMY_NAME,
            "description": (
                "What support helps a person achieve: the Care Act 2014 eligibility outcomes, the "
                "carer outcomes and the wellbeing areas, in plain English."
            ),
        }
    else:
        data = {
            "id": str(CATEGORIES_TAXONOMY_ID),
            "name": CATEGORIES_TAXONOMY_NAME,
            "description": "The kind of service offered, such as meals, gardening or companionship.",
        }
    if terms is not None:
        data["taxonomy_terms"] = [taxonomy_term(term) for term in terms]
    return data


def taxonomy_term(term) -> dict:
    """An Outcome or Category as an ORUK taxonomy term of its taxonomy."""
    if isinstance(term, Outcome):
        taxonomy_id, taxonomy_name = OUTCOMES_TAXONOMY_ID, OUTCOMES_TAXONOMY_NAME
        description = term.description or term.statutory_wording
    else:
        taxonomy_id, taxonomy_name = CATEGORIES_TAXONOMY_ID, CATEGORIES_TAXONOMY_NAME
        description = term.description
    return {
        "id": str(term.public_id),
        "name": term.label,
        "description": description or term.label,
        "taxonomy": taxonomy_name,
        "taxonomy_id": str(taxonomy_id),
        "term": term.label,
    }


# --- export: organisations and services -------------------------------------------------------


def organization_description(provider: Provider) -> str:
    """What the export says about an organisation: only what it, or a coordinator, said.

    Its own description when it has one; else its kind and (when confirmed) that it is a small
    local provider; else that its type and size are not stated. Never a guess.
    """
    if provider.description.strip():
        return provider.description.strip()
    kind = provider.stated_type or (provider.get_business_type_display() if provider.business_type else "")
    if provider.is_small_local_provider:
        return f"{kind or 'Organisation'}: a small local provider of 8 or fewer people."
    if kind:
        return f"{kind}. Size {NOT_STATED}."
    return f"Type and size {NOT_STATED}."


def organization(provider: Provider) -> dict:
    """A provider as an ORUK organisation: its trading name and what it says it is, nothing private."""
    data = {
        "id": str(provider.public_id),
        "name": provider.name,
        "description": organization_description(provider),
    }
    # A company number is on the public register; other kinds' numbers may not be.
    if provider.company_number and provider.business_type in (
        Provider.BusinessType.LIMITED_COMPANY,
        Provider.BusinessType.CIC,
    ):
        data["organization_identifiers"] = [
            {
                "id": _child_id(provider.public_id, "identifier:GB-COH"),
                "organization_id": str(provider.public_id),
                "identifier_scheme": "GB-COH",
                "identifier_type": "Company number",
                "identifier": provider.company_number,
            }
        ]
    return data


def related(listing: ListingPage, name: str) -> list:
    """A listing's `name` relation as a list, from the `oruk_<name>` list the API prefetched.

    Going through the relation's manager costs a queryset clone per call even when the rows
    are prefetched (modelcluster builds one each time), which at 50 listings a page was most
    of the request; a listing that was not prefetched (a revision, a test) still works.
    """
    prefetched = getattr(listing, f"oruk_{name}", None)
    return prefetched if prefetched is not None else list(getattr(listing, name).all())


def _pounds(pence: int) -> float:
    return float(Decimal(pence) / 100)


def _unit_text(price: ListingPrice) -> str:
    text = price.get_unit_display()
    if price.unit_minutes and price.unit != ListingPrice.Unit.HOUR:
        text += f" ({price.unit_minutes} minutes)"
    return text


def _prices(listing: ListingPage) -> list[ListingPrice]:
    # Prefetched in (sort_order, pk) order by the API; sorting here keeps the order the same
    # when the caller did not prefetch. None sort orders (set outside the admin) go first.
    return sorted(
        related(listing, "prices"), key=lambda p: (p.sort_order is not None, p.sort_order or 0, p.pk or 0)
    )


def fees(listing: ListingPage) -> str:
    """The prices in one line of text, for people reading the `fees` field."""
    parts = []
    for price in _prices(listing):
        text = f"{price.description}: £{_pounds(price.weekday_pence):.2f} {_unit_text(price)}"
        if price.evening_weekend_pence is not None:
            text += f", evenings and weekends £{_pounds(price.evening_weekend_pence):.2f}"
        parts.append(text)
    return "; ".join(parts)


def cost_options(listing: ListingPage) -> list[dict]:
    """Each price as a cost option in pounds; an evening/weekend rate is an option of its own."""
    sid = str(listing.public_id)
    options = []
    for index, price in enumerate(_prices(listing)):
        rates = [("weekday", price.description, price.weekday_pence)]
        if price.evening_weekend_pence is not None:
            rates.append(("evening", price.description + EVENING_SUFFIX, price.evening_weekend_pence))
        for rate, option, pence in rates:
            options.append(
                {
                    "id": _child_id(listing.public_id, f"cost:{index}:{rate}"),
                    "service_id": sid,
                    "option": option,
                    "amount": _pounds(pence),
                    "amount_description": _unit_text(price),
                    # HSDS 3.0 field; the UK profile leaves it out, so we say it explicitly.
                    "currency": "GBP",
                }
            )
    return options


def _join(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def schedules(listing: ListingPage) -> list[dict]:
    """One weekly schedule per day the listing is available, naming the parts of the day.

    Availability is kept as parts of the day, not clock times, so we publish no opening and
    closing times we do not have.
    """
    sid = str(listing.public_id)
    mask = listing.availability or 0
    result = []
    for day, day_label in DAYS:
        parts = [label.lower() for part, label in PARTS if mask & SLOT_BITS[f"{day}-{part}"]]
        if not parts:
            continue
        result.append(
            {
                "id": _child_id(listing.public_id, f"schedule:{day}"),
                "service_id": sid,
                "freq": "WEEKLY",
                "interval": 1,
                "byday": DAY_CODES[day],
                "description": f"{day_label}: {_join(parts)}",
            }
        )
    return result


def service_areas(listing: ListingPage) -> list[dict]:
    """The districts served in full, then the distance the provider travels from its base."""
    sid = str(listing.public_id)
    outward = listing.outward_code
    areas = []
    for district in sorted(related(listing, "served_districts"), key=lambda d: d.code):
        areas.append(
            {
                "id": _child_id(listing.public_id, f"area:{district.code}"),
                "service_id": sid,
                "name": district.code,
                "service_area": f"All of the {district.code} postcode district ({district.post_town})",
            }
        )
    if listing.available_anywhere and not outward:
        text = "Available anywhere: given online or by phone"
        return [
            *areas,
            {
                "id": _child_id(listing.public_id, "area:anywhere"),
                "service_id": sid,
                "name": text,
                "service_area": text,
            },
        ]
    base = f"the base in {outward}" if outward else "the provider's base"
    radius = listing.service_radius_miles
    text = f"Up to {radius} miles from {base}" if radius else f"Only at {base}: people come to the provider"
    areas.append(
        {
            "id": _child_id(listing.public_id, "area:radius"),
            "service_id": sid,
            "name": text,
            "service_area": text,
        }
    )
    return areas


def location(listing: ListingPage, district=None) -> dict | None:
    """The listing's base at postcode-district level (outward code and district centre), or None."""
    outward = listing.outward_code
    if not outward:
        return None
    lid = str(location_id(listing.public_id))
    data = {
        "id": lid,
        "location_type": "physical",
        "name": f"{outward}, {district.post_town}" if district else outward,
        "description": f"Based in the {outward} postcode district. The exact address is not published.",
    }
    if district:
        data["latitude"] = district.latitude
        data["longitude"] = district.longitude
    data["addresses"] = [
        {
            "id": _child_id(listing.public_id, "address"),
            "location_id": lid,
            # Required by the schema, but a street would identify a home: left empty on purpose.
            "address_1": "",
            "city": district.post_town if district else "",
            "state_province": "",
            "postal_code": outward,
            "country": "GB",
            "address_type": "physical",
        }
    ]
    accessibility = []
    if listing.accessibility:
        accessibility.append(
            {
                "id": _child_id(listing.public_id, "accessibility"),
                "location_id": lid,
                "description": listing.accessibility,
            }
        )
    # One entry per access feature, described by its label, so a reader (and our own importer,
    # which recognises the labels) can tell them apart from the free text.
    for feature in related(listing, "access_features"):
        accessibility.append(
            {
                "id": _child_id(listing.public_id, f"accessibility:{feature.slug}"),
                "location_id": lid,
                "description": feature.label,
            }
        )
    if accessibility:
        data["accessibility"] = accessibility
    return data


def service_at_location(listing: ListingPage, district=None) -> dict | None:
    """The link between a listing and its location, with the location nested, or None."""
    loc = location(listing, district)
    if loc is None:
        return None
    return {
        "id": str(service_at_location_id(listing.public_id)),
        "service_id": str(listing.public_id),
        "location_id": loc["id"],
        "location": loc,
    }


def contacts(listing: ListingPage) -> list[dict]:
    """The listing's public contact, if it has a name or phone number."""
    if not (listing.contact_name or listing.contact_phone):
        return []
    cid = _child_id(listing.public_id, "contact")
    contact = {"id": cid, "service_id": str(listing.public_id)}
    if listing.contact_name:
        contact["name"] = listing.contact_name
    if listing.contact_phone:
        phone = {
            "id": _child_id(listing.public_id, "phone"),
            "contact_id": cid,
            "number": listing.contact_phone,
        }
        if listing.contact_notes:
            phone["description"] = listing.contact_notes
        # HSDS 3.0 gives contacts phones; the UK profile's contact schema does not list them
        # but allows them, and without them a listing's public phone number has nowhere to go.
        contact["phones"] = [phone]
    return [contact]


def languages(listing: ListingPage) -> list[dict]:
    """The languages support is given in, with HSDS 3.0's name and ISO code."""
    sid = str(listing.public_id)
    return [
        {
            "id": _child_id(listing.public_id, f"language:{lang.code}"),
            "service_id": sid,
            "name": lang.name,
            "code": lang.code,
        }
        for lang in sorted(related(listing, "languages"), key=lambda lang: lang.code)
    ]


def attributes(listing: ListingPage) -> list[dict]:
    """Links from the listing to its outcomes and categories, each with the term nested."""
    sid = str(listing.public_id)
    links = [("outcome", term) for term in related(listing, "outcomes")]
    links += [("category", term) for term in related(listing, "categories")]
    return [
        {
            "id": _child_id(listing.public_id, f"attribute:{term.public_id}"),
            "link_id": sid,
            "link_type": link_type,
            "taxonomy_term_id": str(term.public_id),
            "taxonomy_term": taxonomy_term(term),
        }
        for link_type, term in sorted(
            links, key=lambda link: (link[0] != "outcome", link[1].label, str(link[1].public_id))
        )
    ]


def service(listing: ListingPage, *, district=None, full: bool = True) -> dict:
    """A live listing as an ORUK service.

    `district` is the PostcodeDistrict of the listing's outward code (or None); `full=False`
    gives only the one-to-one fields, as `/services` lists them by default.
    """
    provider = listing.provider
    intake = ListingPage.Intake(listing.intake)
    data = {
        "id": str(listing.public_id),
        "organization_id": str(provider.public_id),
        "name": listing.title,
        # HSDS 3.0's short summary; the UK profile allows it alongside the description.
        "summary": listing.summary,
        "description": html_to_text(listing.description),
        "url": listing.website,
        "email": listing.contact_email,
        "status": "active",
        "fees": fees(listing),
        "minimum_age": listing.min_age,
        "maximum_age": listing.max_age,
        "alert": "" if intake == ListingPage.Intake.TAKING else intake.label,
        "last_modified": listing.last_published_at.isoformat() if listing.last_published_at else "",
    }
    # The schemas type every field; an empty value is left out rather than sent as null.
    data = {key: value for key, value in data.items() if value not in ("", None)}
    data["organization"] = organization(provider)
    if full:
        sal = service_at_location(listing, district)
        data.update(
            schedules=schedules(listing),
            service_areas=service_areas(listing),
            service_at_locations=[sal] if sal else [],
            languages=languages(listing),
            cost_options=cost_options(listing),
            contacts=contacts(listing),
            attributes=attributes(listing),
        )
    return data


# --- import: ORUK dicts to plain values --------------------------------------------------------


class InvalidRecord(ValueError):
    """One record cannot be imported; `str()` says why, for the coordinator's report."""


@dataclass
class PriceData:
    """A price read from cost options, in pence."""

    description: str
    unit: str
    unit_minutes: int | None
    weekday_pence: int
    evening_weekend_pence: int | None = None


@dataclass
class TermRef:
    """A taxonomy term a service links to, as the feed names it."""

    id: uuid.UUID | None
    name: str
    taxonomy_id: uuid.UUID | None = None
    taxonomy: str = ""

    def __str__(self):
        return f"“{self.name}”" if self.name else str(self.id)


@dataclass
class OrganizationData:
    """The provider a service belongs to, as the feed describes it."""

    id: uuid.UUID
    name: str
    business_type: str | None
    company_number: str = ""
    email: str = ""
    # What the feed says about it, as it says it ("" when it does not).
    description: str = ""
    stated_type: str = ""
    # A UK postcode from the organisation's own address, the last resort for placing a service.
    postcode: str = ""


@dataclass
class AreaData:
    """Where a service reaches: a radius in miles (None if unknown) and districts in full."""

    radius: int | None
    district_codes: list[str]
    # Areas named in words (a council area, a town), for the importer to look up.
    place_names: list[str] = field(default_factory=list)


@dataclass
class ContactData:
    """The public contact: a name, a phone number and a note about it."""

    name: str = ""
    phone: str = ""
    notes: str = ""


@dataclass
class LocationData:
    """Where a service is based: a postcode (full or outward) and/or coordinates."""

    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None
    accessibility: str = ""
    # Every accessibility description in the feed, in order: the importer picks out the ones
    # that name an access feature and keeps the rest as free text.
    accessibility_texts: list[str] = field(default_factory=list)
    # True when a location is "virtual" (online): no place, but a sign the service is remote.
    virtual: bool = False


@dataclass
class ServiceData:
    """One ORUK service as plain values.

    For the nested parts (`availability` … `location`), None means the feed did not include
    them, so an existing listing keeps what it has: `/services` lists carry only the
    one-to-one fields.
    """

    id: uuid.UUID
    name: str
    status: str
    summary: str
    description_html: str
    website: str = ""
    contact_email: str = ""
    min_age: int | None = None
    max_age: int | None = None
    intake: str = ListingPage.Intake.TAKING
    organization: OrganizationData | None = None
    organization_id: uuid.UUID | None = None
    availability: int | None = None
    prices: list[PriceData] | None = None
    terms: list[TermRef] | None = None
    languages: list[tuple[str, str]] | None = None
    area: AreaData | None = None
    contact: ContactData | None = None
    location: LocationData | None = None
    # Given online or by phone (see _REMOTE_RE): published as available anywhere if it has no place.
    remote: bool = False
    # Who it is for, as the feed names them (target audiences, eligibility, age ranges).
    audience_texts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _text(value) -> str:
    return " ".join(str(value).split()) if isinstance(value, str) else ""


def _limited(value, limit: int, what: str, warnings: list[str]) -> str:
    text = _text(value)
    if len(text) > limit:
        warnings.append(f"{what} is longer than {limit} characters: left out")
        return ""
    return text


def _website(value, warnings: list[str]) -> str:
    try:
        return writer.clean_website(_text(value))
    except ValueError as exc:
        if str(exc).startswith("is not"):
            warnings.append(f"url “{_shorten(_text(value), 60)}” is not a web address: left out")
        else:
            warnings.append(f"url is longer than {writer.MAX_URL_LENGTH} characters: left out")
        return ""


def _email(value, what: str, warnings: list[str]) -> str:
    try:
        return writer.clean_email(_text(value))
    except ValueError:
        warnings.append(f"{what} “{_shorten(_text(value), 60)}” is not an email address: left out")
        return ""


def _age(value, what: str, warnings: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        warnings.append(f"{what} {value!r} is not a whole number of years: left out")
        return None
    if not 0 <= value <= MAX_AGE:
        warnings.append(f"{what} {value!r} is not between 0 and {MAX_AGE}: left out")
        return None
    return int(value)


def _business_type(org: dict) -> str | None:
    """Our kind of organisation, only from what the feed states: its legal status, a description
    that starts with one of our kinds (as our own export writes it), or a company number."""
    description = _text(org.get("description"))
    for value, label in Provider.BusinessType.choices:
        if description.startswith(f"{label}:"):
            return value
    status = f" {_text(org.get('legal_status')).lower()}"
    for words, value in LEGAL_STATUS_WORDS:
        if words in status:
            return value
    for identifier in org.get("organization_identifiers") or []:
        if isinstance(identifier, dict) and identifier.get("identifier_scheme") in COMPANY_SCHEMES:
            return Provider.BusinessType.LIMITED_COMPANY
    return None


def parse_organization(org: dict, warnings: list[str]) -> OrganizationData:
    """An ORUK organisation (already checked against the schema) as plain values."""
    name = _text(org.get("name"))
    if not name:
        raise InvalidRecord("organization name is empty")
    if len(name) > 200:
        raise InvalidRecord("organization name is longer than 200 characters")
    company_number = ""
    for identifier in org.get("organization_identifiers") or []:
        if isinstance(identifier, dict) and identifier.get("identifier_scheme") in COMPANY_SCHEMES:
            company_number = _limited(identifier.get("identifier"), 20, "company number", warnings)
    description = _description_text(org.get("description"))
    if len(description) > 5000:
        warnings.append("organization description is longer than 5000 characters: shortened")
        description = _shorten(description, 5000)
    return OrganizationData(
        id=_uuid(org.get("id")),
        name=name,
        business_type=_business_type(org),
        company_number=company_number,
        email=_email(org.get("email"), "organization email", warnings),
        description=description,
        stated_type=_limited(org.get("legal_status"), 120, "organization legal_status", warnings),
        postcode=_organization_postcode(org),
    )


def _organization_postcode(org: dict) -> str:
    """The first UK postcode in an organisation's own addresses (or its locations'), else ""."""
    addresses = list(org.get("addresses") or []) + list(org.get("physical_addresses") or [])
    for location in org.get("locations") or []:
        if isinstance(location, dict):
            addresses += list(location.get("addresses") or location.get("physical_addresses") or [])
    for address in addresses:
        if isinstance(address, dict):
            try:
                return str(geo.parse_postcode(str(address.get("postal_code") or "")))
            except geo.InvalidPostcode:
                continue
    return ""


def _minutes(text) -> int | None:
    match = re.match(r"^(\d{1,2}):(\d{2})", str(text or "").strip())
    if not match:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59:
        return None
    return hours * 60 + minutes


def _parts_for_times(opens: int, closes: int) -> list[str]:
    if closes <= opens:  # runs past midnight
        closes += 24 * 60
    parts = []
    for part, (start, end) in PART_MINUTES.items():
        # Try the part on this day and the one before, so 02:00-05:00 falls in "overnight".
        if any(opens < end + shift and closes > start + shift for shift in (0, -24 * 60)):
            parts.append(part)
    return parts


def parse_schedules(items: list, warnings: list[str]) -> int:
    """The availability bitmask from ORUK schedules.

    Days come from `byday` (with or without a MONTHLY position like "1MO"). Parts of the day
    come from opening times when given, else from the parts named in the description (how we
    publish them), else ordinary daytime (morning and afternoon).
    """
    slots = []
    for item in items:
        days = [
            _CODE_DAYS[code] for code in re.findall(r"(MO|TU|WE|TH|FR|SA|SU)", str(item.get("byday") or ""))
        ]
        if not days:
            warnings.append(f"schedule {item.get('id')} names no days of the week: left out")
            continue
        opens, closes = _minutes(item.get("opens_at")), _minutes(item.get("closes_at"))
        if opens is not None and closes is not None and opens != closes:
            parts = _parts_for_times(opens, closes)
        else:
            named = re.findall(
                r"\b(morning|afternoon|evening|overnight)s?\b", str(item.get("description") or "").lower()
            )
            parts = list(dict.fromkeys(named)) or list(DEFAULT_PARTS)
        slots += [f"{day}-{part}" for day in days for part in parts]
    return slots_to_mask(set(slots))


_UNIT_RE = re.compile(r"\bper\s+(?:\d+\s*)?(hour|session|day|visit|meal|night)s?\b", re.IGNORECASE)
_ANY_UNIT_RE = re.compile(r"\b(hour|session|day|visit|meal|night)s?\b", re.IGNORECASE)


def parse_cost_options(items: list, service_name: str, warnings: list[str]) -> list[PriceData]:
    """Prices from cost options. An option ending "(evenings and weekends)" is the evening and
    weekend rate of the option before it with the same description and unit."""
    prices: list[PriceData] = []
    for item in items:
        amount = item.get("amount")
        if amount is None:
            warnings.append(f"cost option {item.get('id')} has no amount: left out")
            continue
        try:
            pence = int((Decimal(str(amount)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        except InvalidOperation:
            warnings.append(f"cost option {item.get('id')} amount {amount!r} is not a number: left out")
            continue
        if pence < 0:
            warnings.append(f"cost option {item.get('id')} amount {amount!r} is negative: left out")
            continue
        described = str(item.get("amount_description") or "")
        match = _UNIT_RE.search(described) or _ANY_UNIT_RE.search(described)
        unit = match.group(1).lower() if match else ListingPrice.Unit.SESSION
        minutes_match = re.search(r"(\d+)\s*min", described)
        unit_minutes = (
            int(minutes_match.group(1)) if minutes_match and unit != ListingPrice.Unit.HOUR else None
        )
        option = _text(item.get("option")) or service_name
        if option.endswith(EVENING_SUFFIX.strip()) and option != EVENING_SUFFIX.strip():
            base = option[: -len(EVENING_SUFFIX)].strip()
            match_price = next(
                (
                    p
                    for p in prices
                    if p.description == base[:120] and p.unit == unit and p.evening_weekend_pence is None
                ),
                None,
            )
            if match_price:
                match_price.evening_weekend_pence = pence
                continue
        prices.append(PriceData(option[:120], unit, unit_minutes or None, pence))
    return prices


_RADIUS_RE = re.compile(r"^\s*up to (\d+(?:\.\d+)?) miles?\b", re.IGNORECASE)
_BASE_ONLY_RE = re.compile(r"^\s*only at\b", re.IGNORECASE)


def parse_service_areas(items: list, warnings: list[str]) -> AreaData:
    """Districts served in full (areas named by an outward code) and the travel radius."""
    radius, codes, names = None, [], []
    for item in items:
        name = _text(item.get("name"))
        texts = [name, _text(item.get("service_area"))]
        radius_match = next((m for m in map(_RADIUS_RE.match, texts) if m), None)
        if radius_match:
            miles = round(float(radius_match.group(1)))
            if miles > MAX_RADIUS_MILES:
                warnings.append(
                    f"service area radius {miles} miles is more than {MAX_RADIUS_MILES}: "
                    f"{MAX_RADIUS_MILES} used"
                )
                miles = MAX_RADIUS_MILES
            radius = miles
        elif any(_BASE_ONLY_RE.match(text) for text in texts):
            radius = 0
        elif geo.OUTWARD_RE.match(name.upper()):
            codes.append(name.upper())
        elif any(_REMOTE_RE.search(text) for text in texts if text):
            continue  # "Online", "National", "Available anywhere": not a place (see _is_remote)
        elif name or _text(item.get("service_area")):
            # A council area or town ("Bristol", "South Gloucestershire"): the importer looks it up.
            names.append(_shorten(name or _text(item.get("service_area")), 120))
    return AreaData(radius=radius, district_codes=codes, place_names=names)


def parse_location(sal_items: list) -> LocationData:
    """The first usable base: a UK postcode from an address, else coordinates in the UK."""
    data = LocationData()
    for sal in sal_items:
        loc = sal.get("location") if isinstance(sal, dict) else None
        if not isinstance(loc, dict):
            continue
        if str(loc.get("location_type") or "").lower() == "virtual":
            data.virtual = True
        if not data.accessibility_texts:
            for access in loc.get("accessibility") or []:
                text = (
                    access.get("description") or access.get("accessibility")
                    if isinstance(access, dict)
                    else ""
                )
                if text and str(text).strip():
                    data.accessibility_texts.append(str(text).strip())
            data.accessibility = data.accessibility_texts[0] if data.accessibility_texts else ""
        for address in loc.get("addresses") or []:
            if not isinstance(address, dict):
                continue
            try:
                data.postcode = str(geo.parse_postcode(str(address.get("postal_code") or "")))
            except geo.InvalidPostcode:
                continue
            return data
        lat, lon = loc.get("latitude"), loc.get("longitude")
        if (
            isinstance(lat, int | float)
            and isinstance(lon, int | float)
            and 49 <= lat <= 61
            and -9 <= lon <= 3
        ):
            data.latitude, data.longitude = float(lat), float(lon)
            return data
    return data


def parse_contact(items: list, warnings: list[str]) -> ContactData:
    """The first contact's name and the first phone number (with its description as the note)."""
    contact = ContactData()
    for item in items:
        if not contact.name:
            contact.name = _limited(item.get("name"), 100, "contact name", warnings)
        for phone in item.get("phones") or []:
            if isinstance(phone, dict) and phone.get("number") and not contact.phone:
                contact.phone = _limited(phone.get("number"), 40, "phone number", warnings)
                contact.notes = _limited(phone.get("description"), 200, "phone description", warnings)
    return contact


def parse_terms(items: list) -> list[TermRef]:
    """The taxonomy terms a service's attributes link to."""
    terms = []
    for item in items:
        term = item.get("taxonomy_term") if isinstance(item.get("taxonomy_term"), dict) else {}
        term_id = _uuid(term.get("id") or item.get("taxonomy_term_id"))
        name = _text(term.get("name") or term.get("term"))
        if term_id or name:
            terms.append(TermRef(term_id, name, _uuid(term.get("taxonomy_id")), _text(term.get("taxonomy"))))
    return terms


def parse_languages(items: list, warnings: list[str]) -> list[tuple[str, str]]:
    """(code, name) of each language; entries with neither are skipped with one warning."""
    found, unnamed = [], 0
    for item in items:
        code, name = _text(item.get("code")), _text(item.get("name"))
        if code or name:
            found.append((code, name))
        else:
            unnamed += 1
    if unnamed:
        warnings.append(f"{unnamed} language(s) without a name or code: left out")
    return found


_TAG_RE = re.compile(r"</?[a-zA-Z][^>]*>")


def _description_text(value) -> str:
    """A feed's description as our plain text, whether the feed sent HTML or plain text.

    Foreign HTML is never stored as it is: it is reduced to text and rebuilt by
    `text_to_html`, which escapes everything.
    """
    text = value if isinstance(value, str) else ""
    if _TAG_RE.search(text):
        return html_to_text(text)
    return html_to_text(text_to_html(text))


def parse_service(item: dict) -> ServiceData:
    """Read one ORUK service (already checked against schema/service.json) into plain values.

    Raises InvalidRecord when it cannot become a listing; smaller problems become warnings on
    the result and the value concerned is left out.
    """
    warnings: list[str] = []
    service_id = _uuid(item.get("id"))
    if service_id is None:
        raise InvalidRecord("id is not a UUID")
    name = _text(item.get("name"))
    if not name:
        raise InvalidRecord("name is empty")
    if len(name) > 255:
        raise InvalidRecord("name is longer than 255 characters")
    description = _description_text(item.get("description"))
    summary = _text(item.get("summary"))
    if len(summary) > 300:
        warnings.append("summary is longer than 300 characters: shortened")
    summary = _shorten(summary or (description.split("\n\n")[0] if description else name), 300)

    min_age = _age(item.get("minimum_age"), "minimum_age", warnings)
    max_age = _age(item.get("maximum_age"), "maximum_age", warnings)
    if min_age is not None and max_age is not None and max_age < min_age:
        warnings.append(f"maximum_age {max_age} is below minimum_age {min_age}: both left out")
        min_age = max_age = None

    status = item.get("status", "active")
    alert = _text(item.get("alert")).lower()
    intake = next(
        (value for value, label in ListingPage.Intake.choices if label.lower() == alert),
        ListingPage.Intake.FULL if status == "temporarily closed" else ListingPage.Intake.TAKING,
    )

    data = ServiceData(
        id=service_id,
        name=name,
        status=status,
        summary=summary,
        description_html=text_to_html(description) or f"<p>{escape(summary, quote=False)}</p>",
        website=_website(item.get("url"), warnings),
        contact_email=_email(item.get("email"), "email", warnings),
        min_age=min_age,
        max_age=max_age,
        intake=intake,
        organization_id=_uuid(item.get("organization_id")),
        warnings=warnings,
    )
    if isinstance(item.get("organization"), dict):
        data.organization = parse_organization(item["organization"], warnings)
    if "schedules" in item:
        data.availability = parse_schedules(item["schedules"], warnings)
    if "cost_options" in item:
        data.prices = parse_cost_options(item["cost_options"], name, warnings)
    if "attributes" in item:
        data.terms = parse_terms(item["attributes"])
    if "languages" in item:
        data.languages = parse_languages(item["languages"], warnings)
    if "service_areas" in item:
        data.area = parse_service_areas(item["service_areas"], warnings)
    if "contacts" in item:
        data.contact = parse_contact(item["contacts"], warnings)
    if "service_at_locations" in item:
        data.location = parse_location(item["service_at_locations"])
    data.remote = _is_remote(item, data)
    data.audience_texts = parse_audiences(item)
    return data


def _is_remote(item: dict, data: ServiceData) -> bool:
    """True when the feed says the service is given online or by phone, and it can be reached so."""
    reachable = bool(data.website or data.contact_email or (data.contact and data.contact.phone))
    if not reachable:
        return False
    if data.location is not None and data.location.virtual:
        return True
    texts = [data.name, data.summary, _text(item.get("delivery")), _text(item.get("deliverable_type"))]
    texts += [_text(area.get("name")) for area in item.get("service_areas") or [] if isinstance(area, dict)]
    texts += [ref.name for ref in data.terms or []]
    return any(_REMOTE_RE.search(text) for text in texts if text)


_AUDIENCE_TAXONOMY_WORDS = ("audience", "eligib", "who ", "client group", "age group")


def parse_audiences(item: dict) -> list[str]:
    """Who the service is for, in the feed's words: terms from a target-audience (or eligibility)
    taxonomy, the 1.0 `eligibilitys` texts and `eligibility_description`, in order, once each."""
    texts = []
    for attribute in item.get("attributes") or []:
        term = attribute.get("taxonomy_term") if isinstance(attribute, dict) else None
        if not isinstance(term, dict):
            continue
        detail = term.get("taxonomy_detail") if isinstance(term.get("taxonomy_detail"), dict) else {}
        taxonomy = f"{_text(term.get('taxonomy'))} {_text(detail.get('name'))} "
        if any(word in taxonomy.lower() for word in _AUDIENCE_TAXONOMY_WORDS):
            texts.append(_text(term.get("name") or term.get("term")))
    texts += [_text(text) for text in item.get("eligibility_texts") or []]
    texts.append(_text(item.get("eligibility_description")))
    return list(dict.fromkeys(text[:120] for text in texts if text))


def age_range_of(text: str) -> tuple[int | None, int | None]:
    """(youngest, oldest) an audience text names ("18-25", "65+", "over 50s"), else (None, None)."""
    match = _AGE_RANGE_RE.search(text)
    if match and int(match.group(1)) <= int(match.group(2)) <= MAX_AGE:
        return int(match.group(1)), int(match.group(2))
    match = _AGE_FROM_RE.search(text)
    if match:
        return int(match.group(1) or match.group(2)), None
    return None, None

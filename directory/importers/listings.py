"""Importing listings from a spreadsheet (`manage.py import_listings`).

Listings CSV (`import_listings_csv`, `manage.py import_listings`)
---------------------------------------------------------------
One row per listing. The first line must name the columns; they may come in any order, and
a column we do not know is an error (so a misspelt column is not silently ignored).
Columns marked * are required.

==============================  ==============================================================
column                          what goes in it
==============================  ==============================================================
title *                         The listing's name, e.g. "Swimming buddy".
provider_name *                 The provider's trading name. Providers are matched by name
                                (ignoring case); a provider we do not have yet is created.
provider_legal_name             The person or company in law. Default: the provider_name.
provider_business_type          sole_trader (default), partnership, limited_company, cic or
                                charity (the labels, like "Sole trader", work too).
provider_email                  Private email for coordinators. * when the provider is new.
summary *                       One or two sentences, 300 characters at most.
description                     Plain text. A blank line starts a new paragraph. Default: the
                                summary.
outcomes *                      Outcome slugs or labels, separated by semicolons, e.g.
                                "get-out-and-about; Eat well". Case does not matter.
categories                      Category slugs or labels, separated by semicolons.
audiences                       Who it is for: audience slugs or labels, separated by
                                semicolons.
languages                       ISO codes or names, e.g. "ur; Polish".
base_postcode *                 A full postcode (BL3 5AA) or the first half (BL3).
service_radius_miles            How far the provider travels, 0 to 100. Default 5.
price_description               What the price is for, e.g. "Swimming trip". Default: title.
price_unit                      hour (default), session, day, visit, meal or night.
price_pence *                   Weekday price in whole pence (1250), or pounds and pence
                                (£12.50 or 12.50). Fractions of a penny are refused.
evening_weekend_price_pence     Evening and weekend price, the same way, if different.
availability                    Slots separated by semicolons, e.g. "mon-morning;
                                sat-afternoon" (days mon..sun; parts morning, afternoon,
                                evening, overnight).
intake                          taking (default), waiting_list or full.
contact_phone                   Public phone number.
contact_email                   Public email address.
website                         Web address; "https://" is added if it is missing.
min_age, max_age                Youngest and oldest ages, 0 to 120.
==============================  ==============================================================

Every row is checked completely before anything is written for it. A row with problems is
skipped and reported as `line N: <column> "<value>" <what is wrong>`; line numbers count the
header as line 1. Good rows are each written in their own savepoint, so a database error on
one row loses only that row. Importing the same file again updates the listings it created
(a listing is matched by provider and title, or provider and slug) instead of duplicating
them. On update, a column missing from the file leaves that field alone, while a column that
is present but blank clears the field (or sets its default).

Imported listings go under the directory page, as drafts for a coordinator to approve unless
`publish=True`. Imported providers have no members (they are "unclaimed"); once a provider has
claimed its listings, the import leaves that provider's listings alone.
"""

import csv
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple, TextIO

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils.text import slugify
from wagtail.models import Page, Site

from directory import geo, writer
from directory.fields import SLOT_BITS, SLOTS
from directory.importers import ImportFailed
from directory.models import (
    Audience,
    Category,
    DirectoryIndexPage,
    Language,
    ListingPage,
    ListingPrice,
    Outcome,
    Provider,
)
from directory.services import locate_postcode

REQUIRED_COLUMNS = ("title", "provider_name", "summary", "outcomes", "base_postcode", "price_pence")
OPTIONAL_COLUMNS = (
    "provider_legal_name",
    "provider_business_type",
    "provider_email",
    "description",
    "categories",
    "audiences",
    "languages",
    "service_radius_miles",
    "price_description",
    "price_unit",
    "evening_weekend_price_pence",
    "availability",
    "intake",
    "contact_phone",
    "contact_email",
    "website",
    "min_age",
    "max_age",
)
COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

# Anything above this per hour, session, day or night is surely a slip (pounds typed as pence,
# or a phone number in the wrong column) rather than a real price from a micro-provider.
MAX_PRICE_PENCE = 1_000_000
MAX_AGE = 120
MAX_RADIUS_MILES = 100
DIRECTORY_TITLE = "Find support"
DIRECTORY_SLUG = "directory"

# When the database refuses a row, say which column to fix rather than which model field.
_FIELD_COLUMNS = {
    "name": "provider_name",
    "legal_name": "provider_legal_name",
    "business_type": "provider_business_type",
    "email": "provider_email",
    "slug": "title",
    "weekday_pence": "price_pence",
    "evening_weekend_pence": "evening_weekend_price_pence",
    "unit": "price_unit",
}


class RowError(NamedTuple):
    """A problem with one row: the line of the file it starts on, and what is wrong."""

    line: int
    message: str

    def __str__(self):
        return f"line {self.line}: {self.message}"


class RowResult(NamedTuple):
    """What happened to one good row."""

    line: int
    action: str  # "created" or "updated"
    title: str
    provider: str

    def __str__(self):
        return f'line {self.line}: {self.action} "{self.title}" ({self.provider})'


@dataclass
class ImportReport:
    """What a listings import did (or, on a dry run, would do)."""

    dry_run: bool = False
    publish: bool = False
    rows: int = 0
    created: int = 0
    updated: int = 0
    providers_created: int = 0
    directory_created: bool = False
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    results: list[RowResult] = field(default_factory=list)
    # Spreadsheet row numbers, for rows where they differ from file lines (a cell above had
    # line breaks in it, so the file has more lines than the spreadsheet has rows).
    spreadsheet_rows: dict[int, int] = field(default_factory=dict)

    def describe(self, item: RowError | RowResult) -> str:
        """An error, warning or result as a person reads it, with the spreadsheet row if different."""
        text = str(item)
        row = self.spreadsheet_rows.get(item.line)
        if row:
            prefix = f"line {item.line}"
            text = f"{prefix} (row {row} in a spreadsheet){text[len(prefix) :]}"
        return text

    @property
    def rows_with_errors(self) -> int:
        """How many rows were skipped (a row can have several problems)."""
        return len({error.line for error in self.errors})

    def __str__(self):
        would = "would be " if self.dry_run else ""
        state = "published" if self.publish else "saved as drafts for a coordinator to approve"
        parts = [
            f"{_count(self.rows, 'row')} read: {self.created:,} {would}created, "
            f"{self.updated:,} {would}updated ({state})."
        ]
        if self.providers_created:
            parts.append(f"{_count(self.providers_created, 'new provider')}.")
        if self.directory_created:
            parts.append(f'The "{DIRECTORY_TITLE}" directory page {would or "was "}created.')
        if self.errors:
            skipped = would or ("was " if self.rows_with_errors == 1 else "were ")
            parts.append(f"{_count(self.rows_with_errors, 'row')} had problems and {skipped}skipped.")
        if self.dry_run:
            parts.insert(0, "Dry run: nothing was saved.")
        return " ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def _fold(text: str) -> str:
    """Compare names the way people mean them: ignoring case and runs of spaces."""
    return " ".join(text.split()).casefold()


def _show(value: str, limit: int = 60) -> str:
    """A cell value as quoted in a message, cut short so one long cell cannot swamp the report."""
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


# --- Parsing single cells ---------------------------------------------------------------

_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)"  # 1250 or 1,250 (commas only in thousands groups)
_PENCE_RE = re.compile(rf"({_NUMBER})\s*p?", re.IGNORECASE)
_POUNDS_RE = re.compile(rf"£\s*({_NUMBER})(\.\d+)?|({_NUMBER})(\.\d+)")


def parse_pence(text: str) -> int:
    """Read a price typed as pence ("1250", "1250p") or pounds ("£12.50", "12.50", "£12").

    A number with no pound sign and no decimal point is pence. Pounds are converted with
    Decimal, so "12.10" is exactly 1210; fractions of a penny ("12.505") are refused rather than
    rounded. Raises ValueError whose text finishes the sentence 'price_pence "x" ...'.
    """
    cleaned = (text or "").strip()
    pence = None
    match = _PENCE_RE.fullmatch(cleaned)
    if match:
        pence = int(match.group(1).replace(",", ""))
    else:
        match = _POUNDS_RE.fullmatch(cleaned)
        if match:
            whole = (match.group(1) or match.group(3)).replace(",", "")
            fraction = match.group(2) or match.group(4) or ""
            amount = Decimal(whole + fraction) * 100
            if amount != amount.to_integral_value():
                raise ValueError(
                    "has a fraction of a penny: give whole pence (like 1250) or pounds and pence "
                    "(like £12.50)"
                )
            pence = int(amount)
    if pence is None:
        raise ValueError(
            "must be a whole number of pence, 0 or more (like 1250), or pounds and pence (like £12.50)"
        )
    if pence > MAX_PRICE_PENCE:
        raise ValueError(f"is more than £{MAX_PRICE_PENCE // 100:,}: check the price (1250 means £12.50)")
    return pence


class _Terms:
    """One vocabulary, looked up by any of its keys (slug, label, code, name) ignoring case."""

    def __init__(self, column: str, objects: Iterable, keys: tuple[str, ...], example: str):
        self.column = column
        self.example = example
        self.by_key: dict[str, dict[int, object]] = defaultdict(dict)
        for obj in objects:
            for key in keys:
                self.by_key[_fold(getattr(obj, key))][obj.pk] = obj

    def resolve(self, cell: str, problems: list[str]) -> list:
        """The terms named in a semicolon-separated cell; unknown names go into `problems`."""
        found = {}
        for part in cell.split(";"):
            name = _fold(part)
            if not name:
                continue
            matches = list(self.by_key.get(name, {}).values())
            if len(matches) == 1:
                found[matches[0].pk] = matches[0]
            elif matches:
                slugs = ", ".join(sorted(getattr(m, "slug", str(m)) for m in matches))
                problems.append(
                    f'{self.column} "{_show(part.strip())}" could mean more than one; use one of: {slugs}'
                )
            else:
                problems.append(self._unknown(part.strip()))
        return list(found.values())

    def _unknown(self, name: str) -> str:
        message = f'{self.column} "{_show(name)}" is not one we know.'
        close = difflib.get_close_matches(_fold(name), list(self.by_key), n=1, cutoff=0.75)
        if close:
            message += f' Did you mean "{close[0]}"?'
        if "," in name:
            message += " Separate several with semicolons (;), not commas."
        return f"{message} {self.example}"


def _choice_map(choices) -> dict[str, str]:
    """Accept a choice by its value ("waiting_list"), its spaced value or its label."""
    mapping = {}
    for value, label in choices:
        for key in (value, value.replace("_", " "), label):
            mapping[_fold(key)] = value
    return mapping


_SLOTS = {_fold(slot): slot for slot, _ in SLOTS} | {_fold(label): slot for slot, label in SLOTS}


# --- The listings importer --------------------------------------------------------------


@dataclass
class _Row:
    """One row after checking: clean values for the columns the file has."""

    line: int
    values: dict
    provider: Provider | None
    location_known: bool


class _ListingImporter:
    """Checks and writes rows one at a time, recording the outcome in the report."""

    def __init__(self, *, columns: list[str], report: ImportReport, directory: DirectoryIndexPage):
        self.columns = columns
        self.present = set(columns)
        self.report = report
        self.directory = directory
        self.seen: dict[tuple[str, str], int] = {}
        # The vocabularies are small: load them once rather than query per cell.
        example = 'Use a slug like "{}" or a label like "{}".'
        self.outcomes = _Terms(
            "outcomes",
            Outcome.objects.all(),
            ("slug", "label"),
            example.format("get-out-and-about", "Get out and about"),
        )
        self.categories = _Terms(
            "categories",
            Category.objects.all(),
            ("slug", "label"),
            example.format("meals-and-cooking", "Meals and cooking"),
        )
        self.audiences = _Terms(
            "audiences",
            Audience.objects.all(),
            ("slug", "label"),
            example.format("older-people", "Older people"),
        )
        self.languages = _Terms(
            "languages",
            Language.objects.all(),
            ("code", "name"),
            'Use a code like "ur" or a name like "Urdu".',
        )
        self.business_types = _choice_map(Provider.BusinessType.choices)
        self.units = _choice_map(ListingPrice.Unit.choices)
        self.intakes = _choice_map(ListingPage.Intake.choices)

    # --- checking ------------------------------------------------------------------

    def check(self, line: int, cells: list[str]) -> tuple[_Row | None, list[str]]:
        """Check every column of a row; return the clean row, or None and the problems."""
        problems: list[str] = []
        if len(cells) > len(self.columns) and any(c.strip() for c in cells[len(self.columns) :]):
            problems.append(
                f"this row has {len(cells)} cells but the header names {len(self.columns)} columns; "
                "a cell with a comma in it needs to be in double quotes"
            )
            return None, problems
        raw = {name: (cells[i] if i < len(cells) else "") for i, name in enumerate(self.columns)}
        # Everything is text: "=SUM(A1)" or "+44 1204…" are kept exactly as typed (bar the
        # outer spaces), never evaluated or converted.
        text = {name: value.strip() for name, value in raw.items()}
        # A NUL is never meant (it comes from a damaged export); PostgreSQL cannot store one, and
        # SQLite would keep an invisible character in the listing.
        nul = [name for name, value in text.items() if "\x00" in value]
        if nul:
            problems.extend(
                f"{name} contains a NUL character (an invisible byte from a damaged export); remove it"
                for name in nul
            )
            return None, problems
        values: dict = {}

        def required(column):
            if not text.get(column):
                problems.append(f"{column} is required")
                return False
            return True

        def limited(column, max_length):
            value = " ".join(text.get(column, "").split())
            if len(value) > max_length:
                problems.append(f"{column} is {len(value)} characters long; it must be {max_length} or fewer")
            return value

        # Title and provider.
        if required("title"):
            values["title"] = limited("title", 255)
            if not slugify(values["title"], allow_unicode=True):
                problems.append(f'title "{_show(values["title"])}" needs some letters or numbers')
        provider = self._check_provider(text, values, problems, required, limited)

        # What it is.
        if required("summary"):
            values["summary"] = limited("summary", 300)
        if "description" in self.present:
            values["description"] = writer.text_to_html(raw["description"])
        if required("outcomes"):
            values["outcomes"] = self.outcomes.resolve(text["outcomes"], problems)
            if not values["outcomes"] and not any(p.startswith("outcomes") for p in problems):
                problems.append("outcomes is required")
        for column, terms in (
            ("categories", self.categories),
            ("audiences", self.audiences),
            ("languages", self.languages),
        ):
            if column in self.present:
                values[column] = terms.resolve(text[column], problems)
        for column in ("min_age", "max_age"):
            if column in self.present:
                values[column] = self._whole_number(column, text[column], 0, MAX_AGE, problems)
        if (
            values.get("min_age") is not None
            and values.get("max_age") is not None
            and values["max_age"] < values["min_age"]
        ):
            problems.append(f'max_age "{values["max_age"]}" is younger than min_age "{values["min_age"]}"')

        # Where.
        location_known = True
        if required("base_postcode"):
            try:
                parsed = geo.parse_postcode(text["base_postcode"])
            except geo.InvalidPostcode as exc:
                problems.append(f'base_postcode "{_show(text["base_postcode"])}" is not right: {exc}')
            else:
                values["base_postcode"] = str(parsed)
                location_known = self._location_known(parsed)
        if "service_radius_miles" in self.present:
            radius = self._whole_number(
                "service_radius_miles", text["service_radius_miles"], 0, MAX_RADIUS_MILES, problems, "miles"
            )
            values["service_radius_miles"] = 5 if radius is None else radius

        # Price.
        if required("price_pence"):
            values["price_pence"] = self._price("price_pence", text["price_pence"], problems)
        if "evening_weekend_price_pence" in self.present:
            value = text["evening_weekend_price_pence"]
            values["evening_weekend_price_pence"] = (
                self._price("evening_weekend_price_pence", value, problems) if value else None
            )
        if "price_unit" in self.present:
            values["price_unit"] = self._choice(
                "price_unit", text["price_unit"], self.units, ListingPrice.Unit.HOUR, problems
            )
        if "price_description" in self.present:
            values["price_description"] = limited("price_description", 120)

        # When.
        if "availability" in self.present:
            values["availability"] = self._availability(text["availability"], problems)
        if "intake" in self.present:
            values["intake"] = self._choice(
                "intake", text["intake"], self.intakes, ListingPage.Intake.TAKING, problems
            )

        # Contact.
        if "contact_phone" in self.present:
            values["contact_phone"] = limited("contact_phone", 40)
        if "contact_email" in self.present:
            values["contact_email"] = self._email("contact_email", text["contact_email"], problems)
        if "website" in self.present:
            values["website"] = self._website(text["website"], problems)

        if "title" in values and "provider_name" in values:
            key = (_fold(values["provider_name"]), _fold(values["title"]))
            if key in self.seen:
                problems.append(
                    f'this listing (provider "{_show(values["provider_name"])}", title '
                    f'"{_show(values["title"])}") is already on line {self.seen[key]}; '
                    "put each listing in the file once"
                )
            else:
                self.seen[key] = line
        if problems:
            return None, problems
        return _Row(line=line, values=values, provider=provider, location_known=location_known), []

    def _check_provider(self, text, values, problems, required, limited) -> Provider | None:
        if not required("provider_name"):
            return None
        name = limited("provider_name", 200)
        values["provider_name"] = name
        matches = list(Provider.objects.filter(name__iexact=name)[:2])
        if "provider_legal_name" in self.present and text["provider_legal_name"]:
            values["provider_legal_name"] = limited("provider_legal_name", 200)
        if "provider_business_type" in self.present and text["provider_business_type"]:
            values["provider_business_type"] = self._choice(
                "provider_business_type", text["provider_business_type"], self.business_types, "", problems
            )
        if "provider_email" in self.present and text["provider_email"]:
            values["provider_email"] = self._email("provider_email", text["provider_email"], problems)
        if len(matches) > 1:
            problems.append(
                f'provider_name "{_show(name)}" matches more than one provider; rename one of them '
                "in the admin so each name is different"
            )
            return None
        if not matches:
            if not values.get("provider_email") and not any(p.startswith("provider_email") for p in problems):
                problems.append(f'provider_email is required because "{_show(name)}" is a new provider')
            return None
        provider = matches[0]
        if provider.is_claimed:
            # A provider who has claimed their listings keeps them up to date themselves; an
            # old spreadsheet must not overwrite their work.
            problems.append(
                f'provider_name "{_show(name)}" has claimed their listings and manages them '
                "themselves, so the import does not change them"
            )
        return provider

    @staticmethod
    def _location_known(parsed: geo.ParsedPostcode) -> bool:
        return locate_postcode(str(parsed)) is not None

    @staticmethod
    def _whole_number(column, value, low, high, problems, unit="") -> int | None:
        if not value:
            return None
        pattern = r"(\d+)\s*(?:miles?|mi)?" if unit == "miles" else r"(\d+)"
        match = re.fullmatch(pattern, value, re.IGNORECASE)
        if not match or not low <= int(match.group(1)) <= high:
            problems.append(f'{column} "{_show(value)}" must be a whole number from {low} to {high}')
            return None
        return int(match.group(1))

    @staticmethod
    def _price(column, value, problems) -> int | None:
        try:
            return parse_pence(value)
        except ValueError as exc:
            problems.append(f'{column} "{_show(value)}" {exc}')
            return None

    @staticmethod
    def _choice(column, value, mapping, default, problems) -> str:
        if not value:
            return default
        found = mapping.get(_fold(value))
        if found is None:
            allowed = ", ".join(sorted(set(mapping.values())))
            problems.append(f'{column} "{_show(value)}" must be one of: {allowed}')
            return default
        return found

    @staticmethod
    def _email(column, value, problems) -> str:
        try:
            return writer.clean_email(value)
        except ValueError as exc:
            problems.append(f'{column} "{_show(value)}" {exc}')
            return value

    @staticmethod
    def _website(value, problems) -> str:
        try:
            return writer.clean_website(value)
        except ValueError as exc:
            shown = f' "{_show(value)}"' if str(exc).startswith("is not") else ""
            problems.append(f"website{shown} {exc}")
            return ""

    @staticmethod
    def _availability(value, problems) -> int:
        mask = 0
        for part in value.split(";"):
            name = _fold(part).replace(" ", "-")
            if not name:
                continue
            slot = _SLOTS.get(name) or _SLOTS.get(_fold(part))
            if slot is None:
                problems.append(
                    f'availability "{_show(part.strip())}" is not a time we know; use a day and a part '
                    'of the day, like "mon-morning" or "sat-evening" (parts: morning, afternoon, '
                    "evening, overnight)"
                )
                continue
            mask |= SLOT_BITS[slot]
        return mask

    # --- writing -------------------------------------------------------------------

    def write(self, row: _Row) -> RowResult:
        """Create or update the provider and listing for a checked row (inside a savepoint)."""
        values = row.values
        provider = row.provider or self._create_provider(values)
        if row.provider:
            self._update_provider(provider, values)
        listing = None if not row.provider else self._find_listing(provider, values["title"])
        if listing is None:
            fields, prices = self._fields(values, [], creating=True)
            writer.write_listing(
                parent=self.directory, provider=provider, prices=prices, publish=self.report.publish, **fields
            )
            action = "created"
        else:
            # Edit the newest version (which may be a draft awaiting approval), as the admin does.
            page = listing.get_latest_revision_as_object()
            fields, prices = self._fields(values, list(page.prices.all()), creating=False)
            writer.update_listing(page, prices=prices, publish=self.report.publish, **fields)
            action = "updated"
        return RowResult(row.line, action, values["title"], provider.name)

    def _create_provider(self, values) -> Provider:
        provider = Provider(
            name=values["provider_name"],
            legal_name=values.get("provider_legal_name") or values["provider_name"],
            business_type=values.get("provider_business_type") or Provider.BusinessType.SOLE_TRADER,
            email=values["provider_email"],
        )
        provider.full_clean()
        provider.save()
        self.report.providers_created += 1
        return provider

    @staticmethod
    def _update_provider(provider: Provider, values) -> None:
        changes = {
            "legal_name": values.get("provider_legal_name"),
            "business_type": values.get("provider_business_type"),
            "email": values.get("provider_email"),
        }
        changed = [name for name, value in changes.items() if value and getattr(provider, name) != value]
        for name in changed:
            setattr(provider, name, changes[name])
        if changed:
            provider.full_clean()
            provider.save(update_fields=changed)

    @staticmethod
    def _find_listing(provider: Provider, title: str) -> ListingPage | None:
        # Only ever within the same provider: two providers may both offer "Gardening help", and
        # matching on slug alone would let one row overwrite the other provider's listing.
        mine = ListingPage.objects.filter(provider=provider)
        return (
            mine.filter(Q(title__iexact=title) | Q(draft_title__iexact=title)).order_by("pk").first()
            or mine.filter(slug=slugify(title, allow_unicode=True)).first()
        )

    def _fields(self, values: dict, prices: list[ListingPrice], *, creating: bool) -> tuple[dict, list]:
        """The page fields and prices for a row; absent columns keep what the page has."""
        fields = {
            "title": values["title"],
            "summary": values["summary"],
            "base_postcode": values["base_postcode"],
            "outcomes": values["outcomes"],
        }
        if values.get("description"):
            fields["description"] = values["description"]
        elif creating or "description" in self.present:
            fields["description_text"] = values["summary"]
        for name in ("categories", "audiences", "languages"):
            if name in values:
                fields[name] = values[name]
        simple = (
            "min_age",
            "max_age",
            "service_radius_miles",
            "availability",
            "intake",
            "contact_phone",
            "contact_email",
            "website",
        )
        for name in simple:
            if name in values:
                fields[name] = values[name]

        price = prices[0] if prices else ListingPrice(unit=ListingPrice.Unit.HOUR)
        price.weekday_pence = values["price_pence"]
        if "evening_weekend_price_pence" in values:
            price.evening_weekend_pence = values["evening_weekend_price_pence"]
        if "price_unit" in values:
            price.unit = values["price_unit"]
        if "price_description" in values or not price.description:
            price.description = (values.get("price_description") or values["title"])[:120]
        # The import owns the first price only; extra prices added in the admin stay.
        return fields, [price, *prices[1:]]


def _find_or_create_directory(report: ImportReport) -> DirectoryIndexPage:
    existing = DirectoryIndexPage.objects.order_by("path").first()
    if existing:
        return existing
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    parent = site.root_page if site else Page.get_first_root_node()
    if parent is None:
        raise ImportFailed("The site has no pages yet: run manage.py migrate first.")
    slug = DIRECTORY_SLUG if not parent.get_children().filter(slug=DIRECTORY_SLUG).exists() else ""
    directory = parent.add_child(instance=DirectoryIndexPage(title=DIRECTORY_TITLE, slug=slug))
    directory.save_revision().publish()
    report.directory_created = True
    return directory


def _read_csv(file: TextIO) -> tuple[int, list[str], list[tuple[int, int, list[str]]]]:
    """The header (with its line number) and the non-blank rows as (line, spreadsheet row, cells).

    The line is where the row starts in the file; the spreadsheet row is its record number,
    which is smaller when a cell above spans several lines.
    """
    reader = csv.reader(file)
    header: list[str] | None = None
    header_line = 0
    rows: list[tuple[int, int, list[str]]] = []
    try:
        start = 1
        for record, cells in enumerate(reader, 1):
            if any(cell.strip() for cell in cells):
                if header is None:
                    header, header_line = cells, start
                else:
                    rows.append((start, record, cells))
            # A quoted cell can span lines, so the next row starts after whatever this one used.
            start = reader.line_num + 1
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            f"The file is not UTF-8 text (the problem is at or after line {reader.line_num + 1}). "
            'In Excel use "Save As" and choose "CSV UTF-8 (Comma delimited)".'
        ) from exc
    except csv.Error as exc:
        raise ImportFailed(f"line {reader.line_num}: the file cannot be read as CSV ({exc}).") from exc
    if header is None:
        raise ImportFailed(
            "The file is empty. The first line must name the columns, like title,provider_name,…"
        )
    return header_line, header, rows


def _check_header(line: int, header: list[str]) -> list[str]:
    """The column names in file order; raises ImportFailed saying everything that is wrong."""
    names = [cell.replace("\ufeff", "").strip().lower() for cell in header]
    problems = []
    if len(names) == 1 and (";" in names[0] or "\t" in names[0]):
        sep = "semicolons" if ";" in names[0] else "tabs"
        raise ImportFailed(
            f"line {line}: the columns are separated by {sep}; the file must use commas "
            '(in Excel, "Save As" and choose "CSV UTF-8 (Comma delimited)").'
        )
    for position, name in enumerate(names, 1):
        if not name:
            problems.append(f"column {position} has no name")
        elif name not in COLUMNS:
            close = difflib.get_close_matches(name, COLUMNS, n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(f'"{_show(name, 40)}" is not a column we know{hint}')
    duplicates = sorted({n for n in names if n and names.count(n) > 1})
    if duplicates:
        problems.append("these columns appear more than once: " + ", ".join(duplicates))
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        problems.append("these required columns are missing: " + ", ".join(missing))
    if problems:
        raise ImportFailed(
            f"line {line}: the header row is not right: "
            + "; ".join(problems)
            + ". The first line must name the columns; docs/importing.md lists them."
        )
    return names


def import_listings_csv(
    *, file: TextIO, dry_run: bool = False, publish: bool = False, directory: DirectoryIndexPage | None = None
) -> ImportReport:
    """Import listings from a CSV text file (columns: see this module's docstring).

    Bad rows are reported in `report.errors` and skipped; good rows are imported, each in its own
    savepoint. With `dry_run` everything is checked and written, then rolled back, so the report
    says exactly what would happen. With `publish` the listings go live; otherwise each is saved
    as a draft revision for a coordinator to approve. Raises ImportFailed when the file as a
    whole cannot be used (empty, unreadable, or a wrong header), before anything is written.
    """
    header_line, header, rows = _read_csv(file)
    columns = _check_header(header_line, header)
    report = ImportReport(dry_run=dry_run, publish=publish, rows=len(rows))
    # One transaction for the run: a dry run can roll everything back, and a run that is
    # interrupted leaves nothing half-done. Each row still gets its own savepoint inside it.
    with transaction.atomic():
        importer = _ListingImporter(
            columns=columns, report=report, directory=directory or _find_or_create_directory(report)
        )
        for line, record, cells in rows:
            if record != line:
                report.spreadsheet_rows[line] = record
            row, problems = importer.check(line, cells)
            if row is None:
                report.errors.extend(RowError(line, problem) for problem in problems)
                continue
            try:
                with transaction.atomic():
                    result = importer.write(row)
            except ValidationError as exc:
                report.errors.extend(RowError(line, message) for message in _validation_messages(exc))
                continue
            except DatabaseError as exc:
                report.errors.append(RowError(line, f"could not be saved: {exc}"))
                continue
            report.results.append(result)
            setattr(report, result.action, getattr(report, result.action) + 1)
            if not row.location_known:
                report.warnings.append(
                    RowError(
                        line,
                        f'base_postcode "{row.values["base_postcode"]}" is not in our postcode list, so '
                        "this listing cannot be found by distance until postcodes for that area are "
                        "imported (manage.py import_postcodes)",
                    )
                )
        if dry_run:
            transaction.set_rollback(True)
    return report


def _validation_messages(exc: ValidationError) -> list[str]:
    """The model's own objections, naming the column to fix where there is one."""
    if not hasattr(exc, "error_dict"):
        return [" ".join(exc.messages)]
    return [
        " ".join(errors)
        if name == NON_FIELD_ERRORS
        else f"{_FIELD_COLUMNS.get(name, name)}: {' '.join(errors)}"
        for name, errors in exc.message_dict.items()
    ]

"""Importing Open Referral UK 3.0 feeds into the directory (`manage.py import_oruk`).

A feed is any of the documents the ORUK 3.0 API returns: a JSON list of services (as
`/services/{id}` gives them), the paged `/services` envelope, one service, service-at-location
lists (each nests its service), or organisations (each may nest its services). Organisation
lists without services update providers only; taxonomy lists are checked against our
vocabularies and write nothing, because the vocabularies are managed in the CMS.

- The feed as a whole is checked first (JSON, a list or an envelope, version 3.0). A problem
  there is a `FeedError` and nothing is written.
- Each record is then checked against the ORUK JSON schema (a copy is in `schema/`) and read by
  `mapping.parse_service`; an invalid record is reported as `<id>: <reason>` and skipped.
- Each good record is written in its own savepoint: a database error loses only that record.
  Anything unexpected rolls the whole import back, so a bug never leaves half a feed behind.
- Services are matched by id (`ListingPage.public_id`), organisations by id
  (`Provider.public_id`), so importing the same feed again updates, never duplicates. A record
  that has not changed gets no new revision.
- Imported providers have no members ("unclaimed"). Once a provider has claimed its listings
  the import leaves that provider and its listings alone: the provider keeps them up to date.
- With `publish=True` listings go live at once; otherwise each change is saved as a draft
  revision for a coordinator to approve.
- Where a service is comes from, in order: a location's postcode; its latitude/longitude (the
  postcode district it falls in); named service areas (a council area or town: its districts,
  served in full); the organisation's own address. A service with none of these that is given
  online or by phone is published as "available anywhere". Only a service with none of these
  stays a draft: coordinators find it under "Imported: needs a place" in the admin.
- An organisation keeps its own description and type as the feed gives them; what the feed
  does not say stays "not stated" (never guessed: see Provider.runner).
"""

import json
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from wagtail.models import Page, Site

from cms.models import HomePage
from directory import indexing, places, writer
from directory.models import (
    AccessFeature,
    Audience,
    Category,
    DirectoryIndexPage,
    Language,
    ListingPage,
    ListingPrice,
    Outcome,
    PostcodeDistrict,
    Provider,
)

from . import mapping, shapes


def _access_key(text: str) -> str:
    """A description compared loosely: "Hearing loop." and " hearing  LOOP" are the same."""
    return " ".join(str(text).lower().replace("-", " ").strip(" .!;:").split())


URL_TIMEOUT_SECONDS = 10
MAX_FEED_BYTES = 100 * 1024 * 1024
DIRECTORY_TITLE = "Find support"
HOME_TITLE = "Find local support"
# Audiences by age: a range inside one of these (youngest, oldest) is that audience.
AUDIENCE_AGES = {"older-people": (65, None), "young-adults": (16, 25)}
SERVICE_KEYS = {
    "status",
    "organization",
    "organization_id",
    "schedules",
    "service_areas",
    "service_at_locations",
    "cost_options",
    "contacts",
    "attributes",
    "fees",
    "accreditations",
    "minimum_age",
    "maximum_age",
    "alert",
    "assured_date",
    "languages",
    "funding",
}
ORGANIZATION_KEYS = {"website", "logo", "parent_organization_id", "organization_identifiers", "services"}
TERM_KEYS = {"term", "taxonomy", "taxonomy_id", "parent_id", "term_uri"}
MAX_PROBLEMS_PER_RECORD = 3


class FeedError(Exception):
    """The feed as a whole cannot be imported (not JSON, not ORUK 3.0…); `str()` says why."""


class _Skip(Exception):
    """A good record we deliberately leave alone; `str()` says why."""


@dataclass(frozen=True)
class RecordProblem:
    """Something wrong with one record: its id (or position) and what is wrong."""

    record: str
    message: str

    def __str__(self):
        return f"{self.record}: {self.message}"


@dataclass(frozen=True)
class RecordResult:
    """What happened to one record: "created", "updated", "unchanged", "skipped", "unpublished"."""

    record: str
    action: str
    name: str

    def __str__(self):
        return f"{self.record}: {self.action} “{self.name}”"


@dataclass
class ImportReport:
    """What an import did (on a dry run: would have done)."""

    publish: bool = False
    dry_run: bool = False
    kind: str = "services"
    shape: str = ""
    page: "shapes.FeedPage | None" = None
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    unpublished: int = 0
    drafts_without_place: int = 0
    available_anywhere: int = 0
    organizations_created: int = 0
    organizations_updated: int = 0
    directory_created: bool = False
    home_created: bool = False
    errors: list[RecordProblem] = field(default_factory=list)
    warnings: list[RecordProblem] = field(default_factory=list)
    results: list[RecordResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Every service id the document holds that could be read (written, unchanged or left alone).
    seen: set = field(default_factory=set)

    @property
    def imported(self) -> int:
        """Records written (created or updated)."""
        return self.created + self.updated

    def count(self, action: str, record: str, name: str) -> None:
        """Record what happened to one record."""
        setattr(self, action, getattr(self, action) + 1)
        self.results.append(RecordResult(record, action, name))

    def __str__(self):
        would = "would be " if self.dry_run else ""
        state = "published" if self.publish else "saved as drafts for a coordinator to approve"
        lines = [
            f"{self.records} record(s) read ({self.kind.replace('_', ' ')}; {self.shape or 'no records'}).",
            f"Listings {would}created: {self.created}; updated: {self.updated}; "
            f"unchanged: {self.unchanged}; left alone: {self.skipped}; unpublished: {self.unpublished}.",
            f"New and changed listings {would}{state}.",
        ]
        if self.available_anywhere:
            lines.append(
                f"{self.available_anywhere} listing(s) are given online or by phone with no place: "
                "published as available anywhere."
            )
        if self.drafts_without_place:
            lines.append(
                f"{self.drafts_without_place} listing(s) have no place (no postcode, coordinates, "
                "service area or address) and stay drafts: see “Imported: needs a place” in the admin."
            )
        if self.organizations_created or self.organizations_updated:
            lines.append(
                f"Providers {would}created: {self.organizations_created}; "
                f"updated: {self.organizations_updated} (all unclaimed)."
            )
        if self.directory_created:
            home = ", with a home page for the site," if self.home_created else ""
            lines.append(f"The directory page{home} {would or 'was '}created.")
        if self.errors:
            lines.append(f"{len(self.errors)} record(s) not imported (see the errors).")
        lines += self.notes
        return "\n".join(lines)


# --- reading a feed -----------------------------------------------------------------------------


def read_source(*, source: str, timeout: float = URL_TIMEOUT_SECONDS) -> bytes:
    """The bytes of a feed from a file path or an http(s) URL (one document, `timeout` seconds).

    Raises FeedError when it cannot be read.
    """
    if "://" in source:
        scheme = source.split("://", 1)[0].lower()
        if scheme not in ("http", "https"):
            raise FeedError(f"Only http:// and https:// addresses can be fetched, not {scheme}://.")
        request = urllib.request.Request(  # noqa: S310 (scheme checked just above)
            source, headers={"Accept": "application/json", "User-Agent": "import_oruk"}
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read(MAX_FEED_BYTES + 1)
        except urllib.error.HTTPError as exc:
            raise FeedError(f"{source} answered {exc.code} {exc.reason}: nothing was imported.") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise FeedError(f"Could not fetch {source} ({reason}): nothing was imported.") from exc
    else:
        path = Path(source)
        try:
            with path.open("rb") as handle:
                body = handle.read(MAX_FEED_BYTES + 1)
        except FileNotFoundError as exc:
            raise FeedError(f"There is no file {source}.") from exc
        except OSError as exc:
            raise FeedError(f"Could not read {source}: {exc.strerror or exc}.") from exc
    if len(body) > MAX_FEED_BYTES:
        raise FeedError(f"{source} is larger than {MAX_FEED_BYTES // (1024 * 1024)} MB: split the feed.")
    return body


def _parse_json(data):
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FeedError("The feed is not UTF-8 text, so it cannot be JSON.") from exc
    if not isinstance(data, str):
        return data
    if not data.strip():
        raise FeedError("The feed is empty.")
    try:
        return json.loads(data)
    except json.JSONDecodeError as exc:
        raise FeedError(
            f"The feed is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}. Nothing was imported."
        ) from exc


def _items(doc, report: ImportReport, *, source: str = "") -> list:
    """The records of a feed document in ORUK 3.0 form; raises FeedError if it is not a feed."""
    try:
        page = shapes.read_page(doc)
    except shapes.ShapeError as exc:
        raise FeedError(str(exc)) from exc
    report.shape = page.shape
    report.page = page
    if page.total_pages and page.total_pages > 1 and page.page_number:
        report.notes.append(
            f"This feed is page {page.page_number} of {page.total_pages}: only its {len(page.records)} "
            "record(s) were read. Import the other pages too (import_oruk URL --all-pages)."
        )
    return page.records


def _kind(items: list) -> str:
    """Which kind of ORUK record the feed holds, judged from all its records' keys."""
    records = [item for item in items if isinstance(item, dict)]
    keys = set().union(*(record.keys() for record in records)) if records else set()
    if any(isinstance(r.get("service"), dict) or isinstance(r.get("location"), dict) for r in records):
        return "service_at_locations"
    if keys & SERVICE_KEYS:
        return "services"
    if "taxonomy_terms" in keys or "version" in keys:
        return "taxonomies"
    if keys & TERM_KEYS:
        return "taxonomy_terms"
    if keys & ORGANIZATION_KEYS:
        return "organizations"
    # A feed of broken services (say, every one missing its status) is still a feed of services:
    # checking it as such reports what each record lacks.
    return "services"


# --- writing ---------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    return " ".join(str(text).casefold().replace("-", " ").split())


class _Importer:
    """Writes parsed records into the directory, looking vocabularies up once per import."""

    def __init__(self, report: ImportReport):
        self.report = report
        self._directory: DirectoryIndexPage | None = None
        self.outcomes = list(Outcome.objects.all())
        self.categories = list(Category.objects.all())
        self.terms_by_id = {term.public_id: term for term in self.outcomes + self.categories}
        self.languages = list(Language.objects.all())
        self.audiences = list(Audience.objects.all())
        self._districts: dict[str, PostcodeDistrict] | None = None
        self._areas: dict[str, list[PostcodeDistrict]] = {}
        self._access_names: dict[str, AccessFeature] | None = None

    # --- the directory -----------------------------------------------------------------

    def directory(self) -> DirectoryIndexPage:
        """The directory page, creating it (and a home page and site) on an empty database."""
        if self._directory is None:
            self._directory = DirectoryIndexPage.objects.order_by("path").first() or self._create_directory()
        return self._directory

    def _create_directory(self) -> DirectoryIndexPage:
        home = HomePage.objects.order_by("path").first()
        if home is None:
            root = Page.get_first_root_node()
            if root is None:
                raise FeedError("The site has no page tree yet: run manage.py migrate first.")
            # Wagtail's placeholder "Welcome" page may hold the slug "home"; an empty slug is
            # filled in from the title, unique among its siblings.
            home = root.add_child(instance=HomePage(title=HOME_TITLE, slug=""))
            home.save_revision().publish()
            self.report.home_created = True
            site = Site.objects.filter(is_default_site=True).first()
            if site:
                site.root_page = home
                site.save()
            else:
                Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
        taken = home.get_children().filter(slug="directory").exists()
        directory = home.add_child(
            instance=DirectoryIndexPage(title=DIRECTORY_TITLE, slug="" if taken else "directory")
        )
        directory.save_revision().publish()
        self.report.directory_created = True
        return directory

    # --- vocabularies and places -------------------------------------------------------

    def districts(self) -> dict[str, PostcodeDistrict]:
        """Every postcode district by code (a few thousand rows at most, fetched once)."""
        if self._districts is None:
            self._districts = {d.code: d for d in PostcodeDistrict.objects.all()}
        return self._districts

    def area_districts(self, name: str) -> list[PostcodeDistrict]:
        """The districts a named service area covers (a council area or town), once per name."""
        key = places.name_key(name)
        if key not in self._areas:
            self._areas[key] = places.districts_for_area(name)
        return self._areas[key]

    def resolve_audiences(self, texts: list[str], min_age, max_age) -> tuple[list[Audience], list[str]]:
        """(our audiences, texts none of them matches) for who the feed says a service is for.

        A text matches an audience by its label, slug or a synonym ("care leavers" matches none
        of ours and is kept as text); an age range ("65+", or the service's own ages) inside an
        audience's ages (AUDIENCE_AGES) is that audience.
        """
        by_name = {}
        for audience in self.audiences:
            for name in (audience.label, audience.slug, *audience.synonym_list):
                by_name.setdefault(_fold(name), audience)
        found, other = [], []
        for text in texts:
            audience = by_name.get(_fold(text)) or self._audience_by_age(*mapping.age_range_of(text))
            if audience is None:
                other.append(text)
            elif audience not in found:
                found.append(audience)
        by_age = self._audience_by_age(min_age, max_age)
        if by_age and by_age not in found:
            found.append(by_age)
        return found, other

    def _audience_by_age(self, youngest, oldest) -> Audience | None:
        if youngest is None:
            return None
        for slug, (low, high) in AUDIENCE_AGES.items():
            if youngest >= low and (high is None or (oldest is not None and oldest <= high)):
                return next((a for a in self.audiences if a.slug == slug), None)
        return None

    def _term_by_name(self, ref: mapping.TermRef):
        if ref.taxonomy_id == mapping.OUTCOMES_TAXONOMY_ID or _fold(ref.taxonomy) == _fold(
            mapping.OUTCOMES_TAXONOMY_NAME
        ):
            pools = [self.outcomes]
        elif ref.taxonomy_id == mapping.CATEGORIES_TAXONOMY_ID or _fold(ref.taxonomy) == _fold(
            mapping.CATEGORIES_TAXONOMY_NAME
        ):
            pools = [self.categories]
        else:
            pools = [self.outcomes, self.categories]
        wanted = _fold(ref.name)
        if not wanted:
            return None
        for pool in pools:
            for term in pool:
                if wanted in {_fold(term.label), _fold(term.slug), *map(_fold, term.synonym_list)}:
                    return term
        return None

    def resolve_terms(self, refs: list[mapping.TermRef], warnings: list[str]) -> tuple[list, list]:
        """Our outcomes and categories for a service's taxonomy terms; unknown terms are warned of."""
        outcomes, categories = [], []
        for ref in refs:
            term = self.terms_by_id.get(ref.id) if ref.id else None
            term = term or self._term_by_name(ref)
            if term is None:
                warnings.append(
                    f"taxonomy term {ref} is none of our outcomes or categories: left out "
                    "(the vocabularies are managed in the CMS)"
                )
                continue
            chosen = outcomes if isinstance(term, Outcome) else categories
            if term not in chosen:
                chosen.append(term)
        return outcomes, categories

    def resolve_access(self, texts: list[str]) -> tuple[list[AccessFeature], list[str]]:
        """(access features, other texts) for a location's accessibility descriptions.

        A description that is just a feature's label, slug or one of its synonyms ("Hearing
        loop", "induction loop", "Wheelchair access") is that feature; a sentence is kept as
        free text whole, because words inside it may say the opposite ("no hearing loop").
        """
        if self._access_names is None:
            self._access_names = {}
            for feature in AccessFeature.objects.all():
                for name in (feature.label, feature.slug, *feature.synonym_list):
                    self._access_names.setdefault(_access_key(name), feature)
        features, other = [], []
        for text in texts:
            feature = self._access_names.get(_access_key(text))
            if feature is None:
                other.append(text)
            elif feature not in features:
                features.append(feature)
        return features, other

    def resolve_languages(self, pairs: list[tuple[str, str]], warnings: list[str]) -> list[Language]:
        """Our languages for (code, name) pairs, by ISO code or by name."""
        found = []
        for code, name in pairs:
            language = next(
                (
                    lang
                    for lang in self.languages
                    if (code and lang.code.casefold() == code.casefold())
                    or (name and lang.name.casefold() == name.casefold())
                ),
                None,
            )
            if language is None:
                warnings.append(f"language “{name or code}” is not one of ours: left out")
            elif language not in found:
                found.append(language)
        return found

    # --- providers -----------------------------------------------------------------------

    def upsert_provider(self, org: mapping.OrganizationData, *, fallback_email: str = "") -> Provider:
        """The provider for an organisation, created or brought up to date (unclaimed only).

        Raises _Skip when the provider has claimed its listings.
        """
        provider = Provider.objects.filter(public_id=org.id).first() if org.id else None
        if provider is None:
            public_id = org.id or uuid.uuid4()
            # Type and size only as the feed states them: what it does not say is "not stated".
            provider = Provider(
                public_id=public_id,
                name=org.name,
                legal_name=org.name,
                business_type=org.business_type or "",
                stated_type=org.stated_type,
                description=org.description,
                team_size=None,
                company_number=org.company_number,
                # The model needs a private email for coordinators; a feed rarely gives one, so a
                # placeholder on the reserved .invalid domain marks it as unknown.
                email=org.email or fallback_email or f"unknown+{public_id}@example.invalid",
            )
            provider.full_clean(validate_unique=False)
            provider.save()
            self.report.organizations_created += 1
            return provider
        if provider.members.exists():
            raise _Skip(f"left alone: the provider “{provider.name}” has claimed its listings")
        changes = {"name": org.name}
        if org.business_type:
            changes["business_type"] = org.business_type
        if org.description:
            changes["description"] = org.description
        if org.stated_type:
            changes["stated_type"] = org.stated_type
        if org.company_number:
            changes["company_number"] = org.company_number
        if org.email and provider.email.endswith("@example.invalid"):
            changes["email"] = org.email
        changed = [name for name, value in changes.items() if getattr(provider, name) != value]
        if changed:
            for name in changed:
                setattr(provider, name, changes[name])
            provider.full_clean(validate_unique=False)
            provider.save(update_fields=changed)
            self.report.organizations_updated += 1
        return provider

    def _provider_for(self, data: mapping.ServiceData) -> Provider:
        if data.organization:
            return self.upsert_provider(data.organization, fallback_email=data.contact_email)
        provider = (
            Provider.objects.filter(public_id=data.organization_id).first() if data.organization_id else None
        )
        if provider is None:
            raise mapping.InvalidRecord(
                "has no organization (and its organization_id is not one we have): every listing "
                "needs a provider, so include the nested “organization”"
            )
        if provider.members.exists():
            raise _Skip(f"left alone: the provider “{provider.name}” has claimed its listings")
        return provider

    # --- listings ------------------------------------------------------------------------

    def write_service(self, record: str, data: mapping.ServiceData, *, publish: bool) -> None:
        """Create, update or unpublish the listing for one parsed service."""
        existing = ListingPage.objects.filter(public_id=data.id).select_related("provider").first()
        if existing and existing.provider.members.exists():
            raise _Skip(f"left alone: the provider “{existing.provider.name}” has claimed it")
        if data.status in ("inactive", "defunct"):
            if existing is None:
                raise _Skip(f"not imported: its status is “{data.status}”")
            if not existing.live:
                raise _Skip(f"its status is “{data.status}” and the listing is not live")
            if not publish:
                raise _Skip(
                    f"its status is “{data.status}”: unpublish the listing in the admin, or import "
                    "with --publish to take it down"
                )
            existing.unpublish()
            self.report.count("unpublished", record, existing.title)
            return

        provider = self._provider_for(data)
        if existing is None:
            page = ListingPage(public_id=data.id, title=data.name, provider=provider, live=False)
            self._apply(page, data, provider, creating=True)
            fields = {name: getattr(page, name) for name in _WRITTEN}
            related = {name: list(getattr(page, name).all()) for name in _RELATED}
            prices = list(page.prices.all())
            page = writer.write_listing(
                parent=self.directory(),
                provider=provider,
                public_id=data.id,
                prices=prices,
                publish=publish,
                draft_without_postcode=True,
                **fields,
                **related,
            )
            action = "created"
        else:
            # Edit the newest version (perhaps a draft awaiting approval), as the admin does.
            page = existing.get_latest_revision_as_object()
            before = _state(page)
            self._apply(page, data, provider, creating=False)
            # Nothing new to save, and nothing to publish (or nothing that could be published).
            settled = not publish or (existing.live and not existing.has_unpublished_changes)
            if _state(page) == before and (settled or not page.has_place):
                self.report.count("unchanged", record, page.title)
                return
            writer.update_listing(page, publish=publish, draft_without_postcode=True)
            action = "updated"

        if not page.has_place:
            self.report.drafts_without_place += 1
        elif page.available_anywhere:
            self.report.available_anywhere += 1
        self.report.count(action, record, page.title)

    def _apply(self, page: ListingPage, data: mapping.ServiceData, provider: Provider, *, creating: bool):
        """Copy the service onto the page. Nested parts the feed left out keep what the page has."""
        warnings = data.warnings
        page.title = data.name
        page.provider = provider
        page.summary = data.summary
        page.description = data.description_html
        page.website = data.website
        page.contact_email = data.contact_email
        page.min_age, page.max_age = data.min_age, data.max_age
        page.intake = data.intake
        if data.availability is not None:
            page.availability = data.availability
        if data.prices is not None:
            page.prices = [
                ListingPrice(
                    description=price.description,
                    unit=price.unit,
                    unit_minutes=price.unit_minutes,
                    weekday_pence=price.weekday_pence,
                    evening_weekend_pence=price.evening_weekend_pence,
                    sort_order=index,
                )
                for index, price in enumerate(data.prices)
            ]
            if not data.prices:
                warnings.append("has no prices: people cannot compare it on price until one is added")
        if data.terms is not None:
            outcomes, categories = self.resolve_terms(data.terms, warnings)
            page.outcomes, page.categories = outcomes, categories
            if creating and not outcomes:
                warnings.append("matches none of our outcomes: a coordinator should choose at least one")
        if data.languages is not None:
            page.languages = self.resolve_languages(data.languages, warnings)
        named: list[PostcodeDistrict] = []
        if data.area is not None:
            served = []
            for code in data.area.district_codes:
                if code in self.districts():
                    served.append(self.districts()[code])
                else:
                    warnings.append(f"postcode district {code} is not in our postcode data: left out")
            for name in data.area.place_names:
                districts = self.area_districts(name)
                if not districts:
                    warnings.append(
                        f"service area “{name}” is not a council area, town, postcode district or "
                        "distance we know: left out"
                    )
                named += [d for d in districts if d not in named]
            page.served_districts = served + [d for d in named if d not in served]
            radius = data.area.radius
            if radius is None:
                # Named areas are covered in full; the radius is only for reaching beyond them.
                radius = 0 if named else mapping.DEFAULT_RADIUS_MILES
            page.service_radius_miles = radius
        if data.contact is not None:
            page.contact_name = data.contact.name
            page.contact_phone = data.contact.phone
            page.contact_notes = data.contact.notes
        if data.location is not None:
            page.access_features, other = self.resolve_access(data.location.accessibility_texts)
            page.accessibility = "\n".join(other)
        if data.terms is not None or creating:
            page.audiences, unmatched = self.resolve_audiences(
                data.audience_texts, data.min_age, data.max_age
            )
            page.audience_text = mapping._shorten("; ".join(unmatched), 300)
        self._place(page, data, named, warnings, creating=creating)

    def _place(self, page: ListingPage, data: mapping.ServiceData, named, warnings, *, creating: bool):
        """Where the service is, from the first of: postcode, coordinates, named areas, the
        organisation's address; else available anywhere (online or by phone); else no place."""
        postcode = data.location.postcode if data.location else ""
        if not postcode and data.location and data.location.latitude is not None:
            district = places.district_for_point(data.location.latitude, data.location.longitude)
            if district is None:
                warnings.append("its coordinates are not in any UK postcode district: left out")
            postcode = district.code if district else ""
        if not postcode and named:
            # The district nearest the middle of the named areas stands as its base.
            latitude, longitude = places.centre_of(named)
            postcode = min(
                named, key=lambda d: (d.latitude - latitude) ** 2 + (d.longitude - longitude) ** 2
            ).code
        if not postcode and data.organization:
            postcode = data.organization.postcode
        if postcode:
            page.base_postcode = postcode
            page.available_anywhere = False
        elif data.remote and not page.base_postcode:
            page.available_anywhere = True
        if creating and not page.has_place:
            warnings.append(
                "has no place (no postcode, coordinates, service area or organisation address): "
                "saved as a draft until a coordinator sets one"
            )


# The page fields the import writes (everything `_state` compares, but the provider).
_WRITTEN = (
    "title",
    "summary",
    "description",
    "website",
    "contact_email",
    "min_age",
    "max_age",
    "intake",
    "audience_text",
    "available_anywhere",
    "availability",
    "service_radius_miles",
    "base_postcode",
    "accessibility",
    "contact_name",
    "contact_phone",
    "contact_notes",
)
_RELATED = ("outcomes", "categories", "audiences", "languages", "served_districts", "access_features")


def _state(page: ListingPage) -> tuple:
    """Everything the import can change on a page, to tell whether a record changed anything."""
    scalars = ("provider_id", *_WRITTEN)
    related = tuple(tuple(sorted(obj.pk for obj in getattr(page, name).all())) for name in _RELATED)
    prices = tuple(
        (p.description, p.unit, p.unit_minutes, p.weekday_pence, p.evening_weekend_pence)
        for p in page.prices.all()
    )
    return (tuple(getattr(page, name) for name in scalars), related, prices)


# --- the service ------------------------------------------------------------------------------


def _label(item, position: int) -> str:
    given = item.get("id") if isinstance(item, dict) else None
    if isinstance(given, str | int) and not isinstance(given, bool) and str(given).strip():
        return str(given).strip()[:60]
    return f"record {position} (no id)"


def _service_records(items: list, kind: str) -> list[tuple[str, object, dict | None]]:
    """(label, service, organisation-or-None) for every service in the feed, in feed order."""
    records = []
    for position, item in enumerate(items, 1):
        if kind == "service_at_locations" and isinstance(item, dict):
            service = item.get("service")
            if not isinstance(service, dict):
                records.append((_label(item, position), None, None))
                continue
            service = dict(service)
            if isinstance(item.get("location"), dict) and "service_at_locations" not in service:
                service["service_at_locations"] = [{"id": item.get("id"), "location": item["location"]}]
            records.append((_label(service, position), service, None))
        elif kind == "organizations" and isinstance(item, dict):
            org = {key: value for key, value in item.items() if key != "services"}
            services = item.get("services") if isinstance(item.get("services"), list) else []
            records.append((_label(item, position), None, org))
            for index, service in enumerate(services, 1):
                if isinstance(service, dict) and "organization" not in service:
                    service = {**service, "organization": org}
                records.append((_label(service, index), service, None))
        else:
            records.append((_label(item, position), item, None))
    return records


def _check_terms(items: list, kind: str, importer: _Importer, report: ImportReport) -> None:
    """Taxonomy feeds: say which terms match our vocabularies; write nothing."""
    terms = []
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            report.errors.append(RecordProblem(_label(item, position), "is not a JSON object"))
            continue
        item = shapes.absent_removed(item)
        if not ({"name", "term", "taxonomy_terms"} & item.keys()):
            report.errors.append(RecordProblem(_label(item, position), "has no name"))
            continue
        terms += (item.get("taxonomy_terms") or []) if kind == "taxonomies" else [item]
    refs = mapping.parse_terms([{"taxonomy_term": term} for term in terms if isinstance(term, dict)])
    warnings: list[str] = []
    outcomes, categories = importer.resolve_terms(refs, warnings)
    for warning in warnings:
        report.warnings.append(RecordProblem("taxonomy", warning))
    report.notes.append(
        f"Taxonomy feed: {len(outcomes) + len(categories)} of {len(refs)} term(s) match our outcomes and "
        "categories. Nothing was written: the vocabularies are managed in the CMS."
    )


def import_feed(*, data, publish: bool = False, dry_run: bool = False, source: str = "") -> ImportReport:
    """Import one feed document (bytes, text or parsed JSON) into the directory.

    Any shape `shapes.read_page` reads is accepted (ORUK 3.0 or 1.0 records, in a list, a paged
    envelope or alone); `report.shape` says which. `source` (the feed's address) keeps ids that
    are not UUIDs apart from another feed's.

    Raises FeedError, writing nothing, when the feed as a whole is unusable. Otherwise returns
    an ImportReport listing each invalid record (`id: reason`) and what happened to the rest.
    With `dry_run` everything is checked and counted, then rolled back.
    """
    report = ImportReport(publish=publish, dry_run=dry_run)
    doc = _parse_json(data)
    items = _items(doc, report, source=source)
    report.kind = _kind(items)
    report.records = len(items)
    if not items:
        report.notes.append("The feed has no records: nothing to import.")
        return report

    # One transaction for the document; Wagtail's indexes of the listings written are updated
    # once each at its end, together (directory/indexing.py), and our search index when it commits.
    with transaction.atomic(), indexing.deferred():
        importer = _Importer(report)
        if report.kind in ("taxonomies", "taxonomy_terms"):
            _check_terms(items, report.kind, importer, report)
        else:
            _import_records(
                _service_records(items, report.kind), importer, report, publish=publish, source=source
            )
        if dry_run:
            transaction.set_rollback(True)
    return report


def _import_records(
    records, importer: _Importer, report: ImportReport, *, publish: bool, source: str = ""
) -> None:
    seen: dict[uuid.UUID, str] = {}
    for label, service, org in records:
        if org is not None:
            _import_organization(label, org, importer, report, source=source)
            continue
        if not isinstance(service, dict):
            report.errors.append(
                RecordProblem(label, "is not a service (a JSON object with id, name and status)")
            )
            continue
        shape_warnings: list[str] = []
        try:
            service = shapes.service(service, shape_warnings, source=source)
        except ValueError as exc:
            report.errors.append(RecordProblem(label, str(exc)))
            continue
        try:
            parsed = mapping.parse_service(service)
        except mapping.InvalidRecord as exc:
            report.errors.append(RecordProblem(label, str(exc)))
            continue
        if parsed.id in seen:
            report.errors.append(
                RecordProblem(
                    label, f"appears twice in the feed: only the first ({seen[parsed.id]}) was imported"
                )
            )
            continue
        seen[parsed.id] = label
        report.seen.add(parsed.id)
        try:
            with transaction.atomic():
                importer.write_service(label, parsed, publish=publish)
        except _Skip as exc:
            report.count("skipped", label, parsed.name)
            report.warnings.append(RecordProblem(label, str(exc)))
        except mapping.InvalidRecord as exc:
            report.errors.append(RecordProblem(label, str(exc)))
            continue
        except ValidationError as exc:
            report.errors.append(RecordProblem(label, _validation_message(exc)))
            continue
        except DatabaseError as exc:
            report.errors.append(RecordProblem(label, f"the database refused it ({exc})"))
            continue
        report.warnings += [RecordProblem(label, warning) for warning in shape_warnings + parsed.warnings]


def _import_organization(
    label: str, org: dict, importer: _Importer, report: ImportReport, *, source: str
) -> None:
    try:
        org = shapes.organization(org, source=source)
    except ValueError as exc:
        report.errors.append(RecordProblem(label, str(exc)))
        return
    warnings: list[str] = []
    try:
        parsed = mapping.parse_organization(org, warnings)
        with transaction.atomic():
            importer.upsert_provider(parsed)
    except _Skip as exc:
        report.warnings.append(RecordProblem(label, str(exc)))
    except mapping.InvalidRecord as exc:
        report.errors.append(RecordProblem(label, str(exc)))
    except ValidationError as exc:
        report.errors.append(RecordProblem(label, _validation_message(exc)))
    except DatabaseError as exc:
        report.errors.append(RecordProblem(label, f"the database refused it ({exc})"))
    report.warnings += [RecordProblem(label, warning) for warning in warnings]


def _validation_message(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)

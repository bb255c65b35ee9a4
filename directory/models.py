"""The directory: who provides support (providers), what they offer (listings, as Wagtail
pages), the vocabularies people search with (outcomes, categories, audiences, access features,
languages) and where things are (postcode districts, postcodes, places).
"""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import slugify
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from . import geo
from .evidence import evidence_upload_to, private_storage
from .fields import AvailabilityField, mask_to_slots
from .prices import ShownPrice, price_to_show

# A listing not confirmed by its provider for this long is "stale" and sinks in search.
CONFIRMATION_INTERVAL = timedelta(days=365)


# --- Places -----------------------------------------------------------------------------


class PostcodeDistrict(models.Model):
    """An outward code such as "BL3", with the coordinates of its centre, its towns and council.

    Every UK district is loaded by migration `directory/0004` from `data/postcode_districts_gb.csv`
    (see `directory/places.py`); `import_postcodes` refines centres and adds full postcodes.
    """

    code = models.CharField(max_length=4, unique=True)
    post_town = models.CharField(max_length=60)
    description = models.CharField(
        max_length=600, blank=True, help_text="The towns and areas it covers, separated by commas."
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    non_geographic = models.BooleanField(
        default=False, help_text="PO boxes and large users only; nobody lives here."
    )
    local_authority = models.CharField(
        max_length=80, blank=True, help_text="The council area it is in (names as of about 2019)."
    )
    local_authority_slug = models.SlugField(
        max_length=80, blank=True, help_text="The council area's key, as in council=bristol in search."
    )
    active = models.BooleanField(
        default=True,
        help_text="False for a terminated district (no live postcodes): kept for old addresses, "
        "never suggested.",
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=49) & Q(latitude__lte=61), name="district_lat_in_uk"
            ),
            models.CheckConstraint(
                condition=Q(longitude__gte=-9) & Q(longitude__lte=3), name="district_lon_in_uk"
            ),
        ]

    def __str__(self):
        return f"{self.code} ({self.post_town})"


class Postcode(models.Model):
    """A full postcode with coordinates, imported from the ONS Postcode Directory."""

    code = models.CharField(max_length=8, unique=True, help_text='Normalised, e.g. "BL1 1RU".')
    district = models.ForeignKey(PostcodeDistrict, on_delete=models.CASCADE, related_name="postcodes")
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["code"]

    def __str__(self):
        return self.code


class Place(models.Model):
    """A neighbourhood name with a point more precise than its district's centre ("Daubhill").

    Town names in general come from the districts' descriptions (see `directory/places.py`);
    a Place is looked up first, so a coordinator can add or correct a name people use.
    """

    name = models.CharField(max_length=80, unique=True)
    district = models.ForeignKey(PostcodeDistrict, on_delete=models.CASCADE, related_name="places")
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# --- Vocabularies -----------------------------------------------------------------------


class VocabularyTerm(models.Model):
    """Shared shape of the managed vocabularies: a plain label, a slug and search synonyms."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    label = models.CharField(max_length=120, help_text="Plain English, as people say it.")
    slug = models.SlugField(max_length=120, unique=True)
    synonyms = models.TextField(blank=True, help_text="Other words people use for this, separated by commas.")
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["sort_order", "label"]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.label)[:120]
        super().save(*args, **kwargs)

    @property
    def synonym_list(self) -> list[str]:
        """The synonyms as a clean list."""
        return [s.strip() for s in self.synonyms.split(",") if s.strip()]


class Outcome(VocabularyTerm):
    """A broad outcome a purchase can meet, from one of the statutory vocabularies."""

    class Vocabulary(models.TextChoices):
        CARE_ACT = "care_act", "Care Act eligibility outcomes"
        CARER = "carer", "Carer outcomes"
        WELLBEING = "wellbeing", "Wellbeing"

    class AscotDomain(models.TextChoices):
        """The eight domains of the Adult Social Care Outcomes Toolkit (ASCOT SCT4).

        Used to read "did it help" answers in ASCOT terms, never to justify a purchase;
        the mapping and its reasons are in docs/outcomes-ascot.md.
        """

        CONTROL = "control", "Control over daily life"
        PERSONAL_CARE = "personal_care", "Personal cleanliness and comfort"
        FOOD_AND_DRINK = "food_and_drink", "Food and drink"
        SAFETY = "safety", "Personal safety"
        SOCIAL = "social", "Social participation and involvement"
        OCCUPATION = "occupation", "Occupation"
        ACCOMMODATION = "accommodation", "Accommodation cleanliness and comfort"
        DIGNITY = "dignity", "Dignity"

    vocabulary = models.CharField(max_length=20, choices=Vocabulary.choices)
    ascot_domain = models.CharField(
        "ASCOT domain",
        max_length=20,
        choices=AscotDomain.choices,
        blank=True,
        help_text="The ASCOT quality-of-life domain this outcome is measured under "
        "(see docs/outcomes-ascot.md). Leave empty only if none fits.",
    )
    statutory_wording = models.CharField(
        max_length=300, help_text="The wording in the regulations or the Care Act."
    )
    description = models.TextField(blank=True, help_text="What this means, in a sentence or two.")

    panels = [
        FieldPanel("label"),
        FieldPanel("vocabulary"),
        FieldPanel("statutory_wording"),
        FieldPanel("ascot_domain"),
        FieldPanel("description"),
        FieldPanel("synonyms"),
        FieldPanel("slug"),
        FieldPanel("sort_order"),
    ]

    class Meta(VocabularyTerm.Meta):
        ordering = ["vocabulary", "sort_order", "label"]
        constraints = [models.UniqueConstraint(fields=["vocabulary", "label"], name="unique_outcome_label")]


class Category(VocabularyTerm):
    """A kind of service ("Meals and cooking"). Secondary to outcomes, but people browse by it."""

    description = models.TextField(blank=True)

    panels = [
        FieldPanel("label"),
        FieldPanel("description"),
        FieldPanel("synonyms"),
        FieldPanel("slug"),
        FieldPanel("sort_order"),
    ]

    class Meta(VocabularyTerm.Meta):
        verbose_name_plural = "categories"


class Audience(VocabularyTerm):
    """Who a service is for ("People living with dementia", "Autistic adults")."""

    panels = [FieldPanel("label"), FieldPanel("synonyms"), FieldPanel("slug"), FieldPanel("sort_order")]


class AccessFeature(VocabularyTerm):
    """A structured access feature of a listing ("Step-free access", "Hearing loop").

    People filter search by these (a listing must have every feature they choose); anything
    else about access goes in the listing's free-text `accessibility`.
    """

    description = models.CharField(
        max_length=300, blank=True, help_text="What having this means, in a sentence, for providers."
    )

    panels = [
        FieldPanel("label"),
        FieldPanel("description"),
        FieldPanel("synonyms"),
        FieldPanel("slug"),
        FieldPanel("sort_order"),
    ]


class Language(models.Model):
    """A language support can be given in, by ISO 639-1 code."""

    code = models.CharField(max_length=8, unique=True, help_text='ISO 639-1, e.g. "ur".')
    name = models.CharField(max_length=60)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


# --- Providers --------------------------------------------------------------------------


SMALL_PROVIDER_MAX_PEOPLE = 8
# Kinds of organisation that are never a small local provider, in the words feeds use for them.
_PUBLIC_BODY_WORDS = ("council", "local authority", "nhs", "government", "public body", "public sector")


def is_public_body(stated_type: str) -> bool:
    """True when an organisation's stated type names a public body ("Local authority", "NHS trust")."""
    text = " ".join((stated_type or "").lower().split())
    return any(word in text for word in _PUBLIC_BODY_WORDS)


class Provider(models.Model):
    """An organisation that offers support: usually a micro-enterprise (a sole trader, partnership,
    small company or group of 8 or fewer workers), but an imported feed may bring any kind.

    Its private contact details reach coordinators only; what the public sees is on each listing.
    What kind of organisation it is and how big is said only when someone said so: the provider
    (signing up), a coordinator, or the feed it was imported from. Otherwise it is "not stated",
    and nothing calls it a micro-enterprise or a charity (see `runner`).
    """

    class BusinessType(models.TextChoices):
        SOLE_TRADER = "sole_trader", "Sole trader"
        PARTNERSHIP = "partnership", "Partnership"
        LIMITED_COMPANY = "limited_company", "Limited company"
        CIC = "cic", "Community interest company"
        CHARITY = "charity", "Charity or community group"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField("trading name", max_length=200)
    legal_name = models.CharField(max_length=200, help_text="The person or company in law.")
    class SizeConfirmedBy(models.TextChoices):
        NOBODY = "", "Nobody yet"
        PROVIDER = "provider", "The provider"
        COORDINATOR = "coordinator", "A coordinator"

    class Runner(models.TextChoices):
        """Who runs it, as search's "who runs it" filter offers it."""

        SMALL = "small", "Small local provider (8 or fewer people)"
        OTHER = "other", "Other organisation"
        NOT_STATED = "not_stated", "Not stated"

    business_type = models.CharField(
        max_length=20, choices=BusinessType.choices, blank=True, help_text="Empty: not stated."
    )
    stated_type = models.CharField(
        "type in its own words",
        max_length=120,
        blank=True,
        help_text="The organisation's type as its feed gives it, like “Local authority”.",
    )
    description = models.TextField(
        blank=True, help_text="What the organisation says about itself (from the provider or its feed)."
    )
    company_number = models.CharField(max_length=20, blank=True)
    team_size = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="People who work in it, including the owner. Empty: not stated.",
    )
    size_confirmed_by = models.CharField(
        max_length=20,
        choices=SizeConfirmedBy.choices,
        blank=True,
        default=SizeConfirmedBy.NOBODY,
        help_text="Who said how many people work in it. Only a confirmed size of 8 or fewer shows "
        "“Small local provider” on its listings.",
    )
    email = models.EmailField(help_text="Private: for coordinators and the site's own emails.")
    phone = models.CharField(max_length=40, blank=True, help_text="Private.")
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="providers",
        help_text="The accounts that may edit this provider's listings.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("legal_name"),
        FieldRowPanel([FieldPanel("business_type"), FieldPanel("company_number")]),
        FieldPanel("stated_type"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("team_size"), FieldPanel("size_confirmed_by")]),
        MultiFieldPanel([FieldPanel("email"), FieldPanel("phone")], heading="Private contact"),
        FieldPanel("members"),
    ]

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team_size__isnull=True) | Q(team_size__gte=1), name="provider_team_size_positive"
            )
        ]

    def __str__(self):
        return self.name

    @property
    def runner(self) -> str:
        """Who runs it (a Runner value): "small" only when someone confirmed 8 or fewer people;
        "other" when its stated size or kind says it is not small; else "not_stated"."""
        if self.team_size is not None and self.size_confirmed_by:
            return self.Runner.SMALL if self.team_size <= SMALL_PROVIDER_MAX_PEOPLE else self.Runner.OTHER
        if self.team_size is not None and self.team_size > SMALL_PROVIDER_MAX_PEOPLE:
            return self.Runner.OTHER
        if is_public_body(self.stated_type):
            return self.Runner.OTHER
        return self.Runner.NOT_STATED

    @property
    def is_small_local_provider(self) -> bool:
        """True only when the provider or a coordinator confirmed it has 8 or fewer people."""
        return self.runner == self.Runner.SMALL

    @property
    def is_claimed(self) -> bool:
        """True once somebody's account manages this provider."""
        return self.members.exists()

    def current_checks(self, on=None):
        """Verified checks that have not expired (the only ones shown as a badge)."""
        on = on or timezone.localdate()
        return self.checks.filter(verified_at__isnull=False).filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=on)
        )


class Check(models.Model):
    """Evidence of one check: insurance, DBS, training or CQC registration."""

    class Kind(models.TextChoices):
        PUBLIC_LIABILITY = "public_liability", "Public liability insurance"
        DBS = "dbs", "DBS certificate"
        SAFEGUARDING = "safeguarding", "Safeguarding training"
        TRAINING = "training", "Other training"
        MOTOR_INSURANCE = "motor_insurance", "Business motor insurance"
        CQC = "cqc", "CQC registration"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    reference = models.CharField(
        max_length=100, blank=True, help_text="Policy, certificate or registration number."
    )
    issued_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The evidence itself lives in private storage (see directory/evidence.py); it is read
    # only through a view that checks the person is in the provider's team or a coordinator.
    document = models.FileField(
        upload_to=evidence_upload_to, storage=private_storage, blank=True, max_length=200
    )
    document_name = models.CharField(
        max_length=200, blank=True, help_text="The name of the file the provider uploaded."
    )
    uploaded_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(
        blank=True,
        help_text="For the provider: what is missing or wrong. They see this in their account.",
    )

    class Meta:
        ordering = ["kind", "-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("issued_on")),
                name="check_expires_after_issue",
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.provider})"

    def clean(self):
        if self.expires_on and self.issued_on and self.expires_on <= self.issued_on:
            raise ValidationError({"expires_on": "The expiry date must be after the issue date."})

    def is_current(self, on=None) -> bool:
        """True when verified and not expired: the only checks shown as a badge."""
        on = on or timezone.localdate()
        return self.verified_at is not None and (self.expires_on is None or self.expires_on >= on)

    def days_left(self, on=None) -> int | None:
        """Days until it expires (negative once expired), or None if it never expires."""
        if self.expires_on is None:
            return None
        return (self.expires_on - (on or timezone.localdate())).days


# --- Listings ---------------------------------------------------------------------------


class DirectoryIndexPage(RoutablePageMixin, Page):
    """The directory's front page, with ways in by outcome and by category."""

    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    subpage_types = ["directory.ListingPage"]
    max_count = 1
    per_page = 20

    def listings(self):
        """Live, public listings in this directory, in name order."""
        return (
            ListingPage.objects.child_of(self)
            .live()
            .public()
            .select_related("provider")
            .prefetch_related("outcomes", "categories", "prices")
            .order_by("title")
        )

    def _paginate(self, request, queryset, *key):
        """One page of `queryset` (in name order); the count and each page's ids are kept
        (directory.kept), so a view does not count and sort every listing."""
        from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
        from django.core.paginator import Page as PaginatorPage

        from . import kept

        paginator = Paginator(queryset, self.per_page)
        paginator.count = kept.kept("count", queryset.count, self.pk, *key)
        try:
            number = paginator.validate_number(request.GET.get("page") or 1)
        except PageNotAnInteger:  # as Paginator.get_page: the first page
            number = 1
        except EmptyPage:  # as Paginator.get_page: the last page
            number = paginator.num_pages
        start = (number - 1) * self.per_page
        ids = kept.kept(
            "ids",
            lambda: list(queryset.values_list("pk", flat=True)[start : start + self.per_page]),
            self.pk,
            number,
            *key,
        )
        found = {listing.pk: listing for listing in queryset.filter(pk__in=ids)}
        return PaginatorPage([found[pk] for pk in ids if pk in found], number, paginator)

    def _counts(self, live):
        """{"outcomes": {pk: n}, "categories": {pk: n}}: live listings per term."""
        outcomes = Outcome.objects.filter(listings__in=live).annotate(n=models.Count("listings")).order_by()
        categories = (
            Category.objects.filter(listings__in=live).annotate(n=models.Count("listings")).order_by()
        )
        return {"outcomes": {o.pk: o.n for o in outcomes}, "categories": {c.pk: c.n for c in categories}}

    @path("")
    def index(self, request):
        """The outcomes and categories with how many listings each has."""
        from . import kept

        live = self.listings()
        counts = kept.kept("counts", lambda: self._counts(live), self.pk)
        groups = {value: (heading, []) for value, heading in Outcome.Vocabulary.choices}
        for outcome in Outcome.objects.all():
            groups[outcome.vocabulary][1].append((outcome, counts["outcomes"].get(outcome.pk, 0)))
        categories = [(c, counts["categories"].get(c.pk, 0)) for c in Category.objects.all()]
        page_obj = self._paginate(request, live)
        return self.render(
            request,
            context_overrides={
                "outcome_groups": list(groups.values()),
                "categories": categories,
                "listing_count": page_obj.paginator.count,
                "page_obj": page_obj,
            },
        )

    @path("outcome/<slug:slug>/")
    def by_outcome(self, request, slug):
        """Listings that help with one outcome."""
        from django.shortcuts import get_object_or_404

        outcome = get_object_or_404(Outcome, slug=slug)
        return self.render(
            request,
            template="directory/directory_filtered.html",
            context_overrides={
                "term": outcome,
                "term_kind": "outcome",
                "page_obj": self._paginate(
                    request, self.listings().filter(outcomes=outcome), "outcome", slug
                ),
            },
        )

    @path("category/<slug:slug>/")
    def by_category(self, request, slug):
        """Listings of one kind of service."""
        from django.shortcuts import get_object_or_404

        category = get_object_or_404(Category, slug=slug)
        return self.render(
            request,
            template="directory/directory_filtered.html",
            context_overrides={
                "term": category,
                "term_kind": "category",
                "page_obj": self._paginate(
                    request, self.listings().filter(categories=category), "category", slug
                ),
            },
        )


class ListingPage(Page):
    """One service offered by a provider: what it helps with, where, when, and what it costs.

    Being a page gives revisions, moderation workflows, scheduled publishing and locking.
    """

    class Intake(models.TextChoices):
        TAKING = "taking", "Taking new people"
        WAITING_LIST = "waiting_list", "Waiting list"
        FULL = "full", "Full: not taking new people"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="listings")
    summary = models.CharField(max_length=300, help_text="One or two sentences, plain English.")
    description = RichTextField(features=["bold", "italic", "ol", "ul", "link"])
    outcomes = ParentalManyToManyField(Outcome, related_name="listings")
    categories = ParentalManyToManyField(Category, blank=True, related_name="listings")
    audiences = ParentalManyToManyField(
        Audience, blank=True, related_name="listings", verbose_name="who it is for"
    )
    languages = ParentalManyToManyField(Language, blank=True, related_name="listings")
    access_features = ParentalManyToManyField(
        AccessFeature, blank=True, related_name="listings", verbose_name="access features"
    )
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    audience_text = models.CharField(
        "who it is for, in the feed's words",
        max_length=300,
        blank=True,
        help_text="Groups an imported feed names that none of our groups of people matches.",
    )

    # Where: the public sees the outward code only (or a venue the provider publishes); these
    # precise coordinates are never shown or searched on: see public_location().
    base_postcode = models.CharField(
        max_length=8,
        blank=True,
        help_text="Where the service is based: a full postcode or the first half. "
        "Only a service available anywhere may have none.",
    )
    latitude = models.FloatField(null=True, blank=True, db_index=True, editable=False)
    longitude = models.FloatField(null=True, blank=True, db_index=True, editable=False)
    service_radius_miles = models.PositiveSmallIntegerField(
        default=5,
        validators=[MaxValueValidator(100)],
        help_text="How far from the base you travel. 0 if people come to you.",
    )
    # A place the provider has chosen to publish (a hall, a café): shown in full, and distances
    # are measured from it. Without one, the public sees only the postcode district.
    venue = models.CharField(
        max_length=200,
        blank=True,
        help_text="Optional: a public place where you meet people, like “St Mark's Church Hall”.",
    )
    venue_postcode = models.CharField(
        max_length=8, blank=True, help_text="The venue's full postcode, like BL3 4AB. The public sees it."
    )
    served_districts = ParentalManyToManyField(
        PostcodeDistrict,
        blank=True,
        related_name="listings",
        help_text="Postcode districts you cover in full, whatever the distance.",
    )
    # Online or phone services with no place of their own (often imported from a council feed).
    available_anywhere = models.BooleanField(
        default=False,
        help_text="Given online or by phone to people anywhere: shown in every place's results, "
        "labelled “Available anywhere”.",
    )

    availability = AvailabilityField(
        default=0, blank=True, help_text="The days and times you can usually offer support."
    )
    intake = models.CharField(max_length=20, choices=Intake.choices, default=Intake.TAKING)

    contact_name = models.CharField(max_length=100, blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    contact_email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    contact_notes = models.CharField(
        max_length=200, blank=True, help_text='For example "Texts are best; I reply within a day".'
    )
    accessibility = models.TextField(
        blank=True,
        help_text="Anything else about access that the access features above do not say, "
        "like “The lift is small” or “Ring the bell by the side door”.",
    )
    easy_read = models.TextField(
        blank=True, help_text="The listing in Easy Read: short sentences, one idea per line."
    )
    easy_read_document = models.ForeignKey(
        "wagtaildocs.Document", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_confirmed_at = models.DateTimeField(
        default=timezone.now, help_text="When the provider last said this listing is right."
    )
    # "Meet first" and "trial session": how a person can get to know the provider before agreeing
    # to support (docs/meet-first.md). They filter search results and are never ranked on.
    meet_first = models.BooleanField(
        "I like to meet first",
        default=False,
        help_text="You like a short visit, phone or video call with someone before agreeing to support.",
    )
    meet_first_price_pence = models.PositiveIntegerField(
        default=0, help_text="What a meet first costs, in pence. 0 means it is free."
    )
    trial_session = models.BooleanField(
        "trial session available",
        default=False,
        help_text="Someone can try one session before agreeing to more.",
    )
    trial_price_pence = models.PositiveIntegerField(
        null=True, blank=True, help_text="What a trial session costs, in pence (0 if it is free)."
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("provider"),
        FieldPanel("summary"),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldPanel("outcomes", widget=forms.CheckboxSelectMultiple),
                FieldPanel("categories", widget=forms.CheckboxSelectMultiple),
                FieldPanel("audiences", widget=forms.CheckboxSelectMultiple),
                FieldPanel("audience_text"),
                FieldRowPanel([FieldPanel("min_age"), FieldPanel("max_age")]),
                FieldPanel("languages", widget=forms.CheckboxSelectMultiple),
            ],
            heading="What it helps with and who it is for",
        ),
        InlinePanel("prices", heading="Prices", min_num=1, label="Price"),
        MultiFieldPanel(
            [
                FieldPanel("base_postcode"),
                FieldPanel("venue"),
                FieldPanel("venue_postcode"),
                FieldPanel("service_radius_miles"),
                FieldPanel("served_districts"),
                FieldPanel("available_anywhere"),
            ],
            heading="Where",
        ),
        MultiFieldPanel([FieldPanel("availability"), FieldPanel("intake")], heading="When"),
        MultiFieldPanel(
            [
                FieldPanel("meet_first"),
                FieldPanel("meet_first_price_pence"),
                FieldPanel("trial_session"),
                FieldPanel("trial_price_pence"),
            ],
            heading="Meet first and trial sessions",
        ),
        MultiFieldPanel(
            [
                FieldPanel("contact_name"),
                FieldPanel("contact_phone"),
                FieldPanel("contact_email"),
                FieldPanel("website"),
                FieldPanel("contact_notes"),
            ],
            heading="How to get in touch",
        ),
        InlinePanel("photos", heading="Photos", label="Photo"),
        MultiFieldPanel(
            [
                FieldPanel("access_features", widget=forms.CheckboxSelectMultiple),
                FieldPanel("accessibility"),
                FieldPanel("easy_read"),
                FieldPanel("easy_read_document"),
            ],
            heading="Accessibility and Easy Read",
        ),
        FieldPanel("last_confirmed_at"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("intake"),
    ]

    parent_page_types = ["directory.DirectoryIndexPage"]
    subpage_types = []

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True)
                | Q(max_age__isnull=True)
                | Q(max_age__gte=models.F("min_age")),
                name="listing_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(service_radius_miles__lte=100), name="listing_radius_at_most_100"
            ),
            models.CheckConstraint(
                condition=Q(trial_session=False) | Q(trial_price_pence__isnull=False),
                name="listing_trial_session_has_a_price",
            ),
        ]

    def clean_fields(self, exclude=None):
        # Normalise the postcode first, so " bl3   5aa " is judged as "BL3 5AA", not by length.
        if self.base_postcode:
            try:
                self.base_postcode = str(geo.parse_postcode(self.base_postcode))
            except geo.InvalidPostcode as exc:
                raise ValidationError({"base_postcode": str(exc)}) from exc
        if self.venue_postcode:
            try:
                parsed = geo.parse_postcode(self.venue_postcode)
            except geo.InvalidPostcode as exc:
                raise ValidationError({"venue_postcode": str(exc)}) from exc
            if not parsed.is_full:
                raise ValidationError({"venue_postcode": "Enter the venue's full postcode, like BL3 4AB."})
            self.venue_postcode = str(parsed)
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        if self.venue_postcode and not self.venue.strip():
            raise ValidationError({"venue": "Enter the venue's name and street, or remove its postcode."})
        if self.trial_session and self.trial_price_pence is None:
            raise ValidationError(
                {"trial_price_pence": "Enter what a trial session costs (0 if it is free)."}
            )
        # A draft may have no place yet (the wizard's "where" step asks for it, and an import with
        # none waits under "Imported: needs a place"); a live listing must have one.
        if self.pk is not None and self.live and not self.base_postcode and not self.available_anywhere:
            raise ValidationError(
                {
                    "base_postcode": "Enter where the service is based, or tick “available anywhere” "
                    "if it is given online or by phone."
                }
            )
        if self.min_age is not None and self.max_age is not None and self.max_age < self.min_age:
            raise ValidationError(
                {"max_age": "The oldest age must be the same as or more than the youngest."}
            )

    def save(self, *args, **kwargs):
        # Coordinates follow the postcode; an unknown postcode leaves them empty (not findable
        # by distance) rather than failing the save, and the admin shows a warning.
        from .services import locate_postcode

        location = locate_postcode(self.base_postcode) if self.base_postcode else None
        if location:
            self.latitude, self.longitude = location.latitude, location.longitude
        super().save(*args, **kwargs)

    # --- presentation helpers ----------------------------------------------------------

    @property
    def outward_code(self) -> str:
        """The public part of the base postcode."""
        try:
            return geo.parse_postcode(self.base_postcode).outward
        except geo.InvalidPostcode:
            return ""

    @property
    def has_place(self) -> bool:
        """True when search can place it: a base postcode, or available anywhere."""
        return bool(self.base_postcode) or self.available_anywhere

    @property
    def public_venue(self) -> str:
        """The venue as the public sees it ("St Mark's Church Hall, Cross Street, BL3 4AB"), or ""."""
        if not self.venue.strip():
            return ""
        return ", ".join(part for part in (self.venue.strip(), self.venue_postcode) if part)

    def public_location(self):
        """The point the public may know: the published venue's postcode, else the district centre.

        Never the base postcode's own point, which for a sole trader is often their home. Search
        indexes this point, so distances, radius filters and map pins cannot reveal more than
        the district (see docs/security.md). None when neither is on our map.
        """
        from .services import locate_postcode

        if self.public_venue and self.venue_postcode:
            found = locate_postcode(self.venue_postcode)
            if found:
                return found
        return locate_postcode(self.outward_code) if self.outward_code else None

    @property
    def is_stale(self) -> bool:
        """True when the provider has not confirmed the listing for a year."""
        return timezone.now() - self.last_confirmed_at > CONFIRMATION_INTERVAL

    @property
    def availability_slots(self) -> list[str]:
        """Slot names ("mon-morning", …) this listing offers."""
        return mask_to_slots(self.availability)

    @cached_property
    def hourly_price_pence(self) -> int | None:
        """The lowest weekday price per hour (or its hourly equivalent), for comparison."""
        hourly = [p.hourly_equivalent_pence for p in self.prices.all()]
        hourly = [h for h in hourly if h is not None]
        return min(hourly) if hourly else None

    @cached_property
    def shown_price(self) -> ShownPrice | None:
        """The price cards and shortlists show: the lowest weekday price in its own unit."""
        return price_to_show(self.prices.all())

    @property
    def meet_first_is_free(self) -> bool:
        """True when a meet first costs nothing (the usual case)."""
        return not self.meet_first_price_pence

    def current_checks(self):
        """The provider's verified, unexpired checks."""
        return self.provider.current_checks()

    def serves(self, latitude: float, longitude: float, district_code: str = "") -> bool:
        """True when someone at this point (in this district) is inside the area served."""
        if district_code and self.served_districts.filter(code=district_code).exists():
            return True
        if self.latitude is None:
            return False
        distance = geo.distance_miles(self.latitude, self.longitude, latitude, longitude)
        return distance <= self.service_radius_miles


class ListingPrice(Orderable):
    """One price, in whole pence, per unit; with an evening/weekend rate where it differs."""

    class Unit(models.TextChoices):
        HOUR = "hour", "per hour"
        SESSION = "session", "per session"
        DAY = "day", "per day"
        VISIT = "visit", "per visit"
        MEAL = "meal", "per meal"
        NIGHT = "night", "per night"

    listing = ParentalKey(ListingPage, on_delete=models.CASCADE, related_name="prices")
    description = models.CharField(max_length=120, help_text='For example "Swimming trip".')
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.HOUR)
    unit_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long a session, visit or day lasts, in minutes."
    )
    weekday_pence = models.PositiveIntegerField(help_text="Weekday daytime price, in pence.")
    evening_weekend_pence = models.PositiveIntegerField(
        null=True, blank=True, help_text="Evenings and weekends, in pence, if different."
    )

    panels = [
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("unit"), FieldPanel("unit_minutes")]),
        FieldRowPanel([FieldPanel("weekday_pence"), FieldPanel("evening_weekend_pence")]),
    ]

    class Meta(Orderable.Meta):
        constraints = [
            models.CheckConstraint(condition=Q(weekday_pence__gte=0), name="price_not_negative"),
            models.CheckConstraint(
                condition=Q(evening_weekend_pence__isnull=True) | Q(evening_weekend_pence__gte=0),
                name="evening_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(unit_minutes__isnull=True) | Q(unit_minutes__gt=0),
                name="price_unit_minutes_positive",
            ),
        ]

    def __str__(self):
        return f"{self.description}: {self.weekday_pence}p {self.get_unit_display()}"

    @property
    def hourly_equivalent_pence(self) -> int | None:
        """The weekday price per hour, or None when the unit has no known length."""
        if self.unit == self.Unit.HOUR:
            return self.weekday_pence
        if self.unit_minutes:
            return round(self.weekday_pence * 60 / self.unit_minutes)
        return None


class ListingPhoto(Orderable):
    """A photo on a listing, with the text a screen reader says instead."""

    listing = ParentalKey(ListingPage, on_delete=models.CASCADE, related_name="photos")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")
    alt_text = models.CharField(
        max_length=200, help_text="Describe what the photo shows, for people who cannot see it."
    )

    panels = [FieldPanel("image"), FieldPanel("alt_text")]


# --- Claims, problem reports and reminders -----------------------------------------------


class Claim(models.Model):
    """Someone says a listing (seeded or imported) is theirs. A coordinator decides.

    Never approved automatically: an email address that matches is a hint for the
    coordinator, not proof.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a coordinator"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    listing = models.ForeignKey(ListingPage, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listing_claims"
    )
    message = models.TextField(
        "how we can tell it is yours",
        help_text="What the claimant told us, for example the phone number on the listing is theirs.",
    )
    phone = models.CharField(max_length=40, blank=True, help_text="A number the coordinator can call.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.TextField(blank=True, help_text="The claimant sees this.")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["listing", "user"],
                condition=Q(status="pending"),
                name="one_pending_claim_per_person_and_listing",
            )
        ]

    def __str__(self):
        return f"{self.user} claims {self.listing.title}"

    @property
    def email_matches(self) -> bool:
        """True when the claimant's email is the one on the provider or listing (a hint only)."""
        email = (self.user.email or "").lower()
        known = {(self.listing.provider.email or "").lower(), (self.listing.contact_email or "").lower()}
        return bool(email) and email in known


class ProblemReport(models.Model):
    """A member of the public tells coordinators something on a listing is wrong."""

    class Problem(models.TextChoices):
        CONTACT = "contact", "The contact details are wrong"
        CLOSED = "closed", "The service has stopped or closed"
        PRICES = "prices", "The prices are wrong"
        DETAILS = "details", "Something else in the listing is wrong"
        CONCERN = "concern", "I am worried about this service"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    listing = models.ForeignKey(ListingPage, on_delete=models.CASCADE, related_name="problem_reports")
    problem = models.CharField("what is wrong", max_length=20, choices=Problem.choices)
    details = models.TextField()
    contact = models.CharField(
        max_length=200, blank=True, help_text="An email or phone number, if they want a reply."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    resolved = models.BooleanField(default=False)
    coordinator_note = models.TextField(blank=True, help_text="What was done. Only coordinators see this.")

    class Meta:
        ordering = ["resolved", "-created_at"]

    def __str__(self):
        return f"{self.get_problem_display()}: {self.listing.title}"


class ReminderSent(models.Model):
    """One reminder email that went out, so the daily task never sends it twice.

    `due_on` is what the reminder is about: the check's expiry date, or the date the
    listing was last confirmed (so each 12-month confirmation cycle gets one request).
    """

    class Kind(models.TextChoices):
        CHECK_30_DAYS = "check_30", "Evidence expires within 30 days"
        CHECK_7_DAYS = "check_7", "Evidence expires within 7 days"
        CHECK_EXPIRED = "check_expired", "Evidence has expired"
        CONFIRM_LISTING = "confirm", "Please confirm your listing"

    check_item = models.ForeignKey(
        Check, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    listing = models.ForeignKey(
        ListingPage, null=True, blank=True, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_on = models.DateField()
    sent_on = models.DateField()

    class Meta:
        ordering = ["-sent_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["check_item", "kind", "due_on"],
                condition=Q(check_item__isnull=False),
                name="one_reminder_per_check_kind_and_date",
            ),
            models.UniqueConstraint(
                fields=["listing", "kind", "due_on"],
                condition=Q(listing__isnull=False),
                name="one_reminder_per_listing_kind_and_date",
            ),
            models.CheckConstraint(
                condition=Q(check_item__isnull=False, listing__isnull=True)
                | Q(check_item__isnull=True, listing__isnull=False),
                name="reminder_is_about_one_thing",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.sent_on})"


class Feed(models.Model):
    """An Open Referral feed a coordinator registered, re-read daily (`manage.py import_feeds`).

    It also remembers how far a paged read got (`next_page_url`, `pages_done`, the ids read so
    far), so an interrupted read resumes where it stopped, and which services the last complete
    read held, so a service that disappears from the feed is unpublished.
    """

    class Outcome(models.TextChoices):
        NEVER = "never", "Not run yet"
        COMPLETE = "complete", "Read completely"
        STOPPED = "stopped", "Stopped part way"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500, unique=True)
    publish = models.BooleanField(
        default=False, help_text="Publish new and changed listings at once instead of saving drafts."
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.NEVER)
    shape = models.CharField(max_length=120, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    problems = models.TextField(blank=True)
    next_page_url = models.URLField(max_length=500, blank=True)
    pages_done = models.PositiveIntegerField(default=0)
    ids_in_progress = models.JSONField(default=list, blank=True)
    service_ids = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def counts_text(self) -> str:
        """The last run's counts in words, for the admin."""
        return ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in self.counts.items()) or "—"

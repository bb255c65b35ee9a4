"""Accounts, roles and the Wagtail site's own pages (home, guides) and settings."""

import uuid

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Exists, OuterRef
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from .blocks import ContentBlocks


class Role(models.TextChoices):
    """The groups a person can belong to; each is a Django group of the same name."""

    BUDGET_HOLDER = "Budget holders"
    DELEGATE = "Delegates"
    PROFESSIONAL = "Professionals"
    PROVIDER = "Providers"
    COORDINATOR = "Coordinators"


class UserManager(BaseUserManager):
    """Creates users identified by email address rather than a username."""

    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        """Create an ordinary account."""
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        """Create an account with every permission (for `createsuperuser`)."""
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person with an account. They sign in with their email address."""

    username = None
    email = models.EmailField("email address", unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.get_full_name() or self.email

    def has_role(self, role: Role) -> bool:
        """True when the person belongs to the group for `role`."""
        return self.groups.filter(name=role.value).exists()


class HomePage(Page):
    """The front door: what the site is for, a search box and ways in by outcome."""

    introduction = models.TextField(
        blank=True, help_text="One or two plain-English sentences under the heading."
    )
    body = StreamField(ContentBlocks(), blank=True, use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("introduction")]

    max_count = 1
    subpage_types = ["cms.GuideIndexPage", "directory.DirectoryIndexPage", "cms.ContentPage"]

    def get_context(self, request, *args, **kwargs):
        """Add the outcomes people can browse by and the latest guides."""
        from directory import kept
        from directory.models import DirectoryIndexPage, ListingPage, Outcome

        context = super().get_context(request, *args, **kwargs)
        context["directory"] = DirectoryIndexPage.objects.live().first()
        # Only outcomes someone offers support for: a link to an empty page helps nobody.
        # EXISTS stops at each outcome's first live listing, where a join and DISTINCT read
        # every listing's links; even so, an outcome nobody offers reads every link before it
        # says so. Which outcomes have listings changes only when a listing does, so the ids
        # are kept (directory.kept: recomputed after a listing changes, or a minute at most)
        # and a view costs one query by primary key, whatever the number of listings.
        care_act = Outcome.objects.filter(vocabulary=Outcome.Vocabulary.CARE_ACT)

        def offered():
            links = ListingPage.outcomes.through.objects.filter(
                outcome_id=OuterRef("pk"), listingpage__live=True
            )
            return list(care_act.filter(Exists(links)).values_list("pk", flat=True))

        context["featured_outcomes"] = care_act.filter(pk__in=kept.kept("featured-outcomes", offered))
        # The guides by their own (small) table first: joined to every page and sorted by title,
        # SQLite read all pages, listings included (147 ms at 100,000 listings).
        guide_ids = list(GuidePage.objects.order_by().values_list("pk", flat=True))
        context["guides"] = GuidePage.objects.filter(pk__in=guide_ids).live().public().order_by("title")[:3]
        return context


class GuideIndexPage(Page):
    """Lists the guides (what a direct payment is, how to choose support, …)."""

    introduction = models.TextField(blank=True)

    content_panels = [*Page.content_panels, FieldPanel("introduction")]
    subpage_types = ["cms.GuidePage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        """List the live guides in title order."""
        context = super().get_context(request, *args, **kwargs)
        context["guides"] = GuidePage.objects.child_of(self).live().public().order_by("title")
        return context


class GuidePage(Page):
    """A plain-English guide for people using direct payments and for providers."""

    summary = models.TextField(help_text="Shown in lists of guides and to search engines.")
    body = StreamField(ContentBlocks(), use_json_field=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]

    parent_page_types = ["cms.GuideIndexPage"]
    subpage_types = []


class ContentPage(Page):
    """A simple page: about us, accessibility statement, privacy notice."""

    body = RichTextField()

    content_panels = [*Page.content_panels, FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("body")]
    subpage_types = []


@register_setting(icon="cog")
class SiteSettings(BaseSiteSetting):
    """What the footer and contact page show, editable by coordinators."""

    organisation_name = models.CharField(
        max_length=200, default="Local Support Marketplace", help_text="Who runs this site."
    )
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)
    not_endorsed_statement = models.TextField(
        default=(
            "We do not recommend or endorse any provider. Every provider that passes our checks "
            "is shown on equal terms. You choose who supports you."
        ),
        help_text="Shown on every listing and shortlist.",
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("organisation_name"), FieldPanel("contact_email"), FieldPanel("contact_phone")],
            heading="Contact",
        ),
        FieldPanel("not_endorsed_statement"),
    ]


START_LOCAL_GUIDE = """<h2>Starting a small local service</h2>
<p>Lots of the best local support is run by one person or a few neighbours: a lunch club, a
swimming buddy, help with shopping. Here is what to think about first.</p>
<h3>Is it regulated personal care?</h3>
<p>Helping someone wash, dress, eat or take medicines in their own home is personal care, and
whoever provides it must usually register with the Care Quality Commission (CQC). Company,
activities, shopping and lifts usually are not. Answer the four questions in our CQC self-check
to find out.</p>
<h3>Checks we ask for</h3>
<p>We ask every provider for public liability insurance, and a DBS check for anyone who works
with people on their own. You upload them when you make your listing and a coordinator checks
them.</p>
<h3>Pricing</h3>
<p>Look at what similar listings near you charge, count your travel and preparation time, and
say clearly what a session includes. People with personal budgets need a price per hour or
per session.</p>
<h3>Getting paid</h3>
<p>People with budgets can ask for your support and pay you through this site: you connect a
payment account once, and money reaches you when each session is paid for.</p>
"""


@register_setting(icon="help")
class StartSomethingLocalGuide(BaseGenericSetting):
    """The guide beside the demand table on /start-something-local/, edited by coordinators."""

    body = RichTextField(
        features=["h2", "h3", "bold", "italic", "ol", "ul", "link"],
        default=START_LOCAL_GUIDE,
        help_text="A plain guide to starting a small local service. The page adds links to the "
        "CQC self-check and to making a listing after it.",
    )

    panels = [FieldPanel("body")]

    class Meta:
        verbose_name = "Start something local guide"

"""Factories for tests: real rows in the real database, built the way the site builds them."""

import factory
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from cms.models import HomePage, Role, User
from directory.fields import slots_to_mask
from directory.models import (
    Category,
    Check,
    DirectoryIndexPage,
    ListingPage,
    ListingPrice,
    Outcome,
    Provider,
)
from directory.writer import write_listing

# The authenticator-app secret UserFactory gives coordinators, professionals and superusers
# (they must use two-factor sign-in); tests compute codes from it with `totp_code()`.
TEST_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


class UserFactory(factory.django.DjangoModelFactory):
    """A person with a verified email address and the password "password".

    Coordinators, professionals and superusers also get an authenticator app with
    TEST_TOTP_SECRET, as the site requires; `totp=False` leaves it out, `totp=True` adds it
    for anyone.
    """

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    first_name = "Sam"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", "password")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role=Role.PROVIDER) puts the person in that group."""
        from allauth.account.models import EmailAddress
        from django.contrib.auth.models import Group

        if not create:
            return
        self.save()
        EmailAddress.objects.get_or_create(
            user=self, email=self.email, defaults={"verified": True, "primary": True}
        )
        if extracted:
            self.groups.add(Group.objects.get_or_create(name=Role(extracted).value)[0])

    @factory.post_generation
    def totp(self, create, extracted, **kwargs):
        """An authenticator app for those who must have one (see the class docstring)."""
        from cms.security import set_up_totp, two_factor_required

        if not create or extracted is False:
            return
        if extracted or two_factor_required(self):
            set_up_totp(self, TEST_TOTP_SECRET)


def totp_code(secret=TEST_TOTP_SECRET, *, steps_ahead=0) -> str:
    """The code an authenticator app shows now for `secret` (or `steps_ahead` 30-second steps on)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    now = counters[len(counters) // 2]
    return format_hotp_value(hotp_value(secret, now + steps_ahead))


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Helping Hands {n}")
    legal_name = factory.Sequence(lambda n: f"Jo Bloggs {n}")
    business_type = Provider.BusinessType.SOLE_TRADER
    team_size = 1
    email = factory.Sequence(lambda n: f"provider{n}@example.org")


def home_page() -> HomePage:
    """The site's home page, creating it (and pointing the default site at it) if needed."""
    home = HomePage.objects.first()
    if home:
        return home
    root = Page.get_first_root_node()
    if root is None:
        # A transactional test before this one flushed every table, Wagtail's root page and
        # locale (made by Wagtail's migrations) with them: make them again as those migrations do.
        ContentType.objects.clear_cache()  # its cached ids were flushed too
        Locale.objects.get_or_create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
        root = Page.add_root(
            instance=Page(title="Root", slug="root", content_type=ContentType.objects.get_for_model(Page))
        )
    home = root.add_child(instance=HomePage(title="Find local support", slug="home-test"))
    site = Site.objects.filter(is_default_site=True).first()
    if site:
        site.root_page = home
        site.save()
    else:
        Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home


def directory_page() -> DirectoryIndexPage:
    """The directory index under the home page, creating it if needed."""
    existing = DirectoryIndexPage.objects.first()
    if existing:
        return existing
    return home_page().add_child(instance=DirectoryIndexPage(title="Directory", slug="directory"))


def make_listing(
    *,
    title="Swimming buddy",
    provider=None,
    outcomes=("get-out-and-about",),
    categories=(),
    base_postcode="BL3",
    radius=5,
    price_pence=1800,
    unit=ListingPrice.Unit.HOUR,
    slots=("mon-morning",),
    publish=True,
    prices=None,
    **fields,
) -> ListingPage:
    """A listing page under the directory, published unless publish=False.

    One price (`price_pence` per `unit`) unless `prices` (ListingPrice objects) says otherwise.
    """
    listing = write_listing(
        parent=directory_page(),
        title=title,
        provider=provider or ProviderFactory(),
        summary=fields.pop("summary", f"{title} in Bolton."),
        description=fields.pop("description", f"<p>{title}: friendly local support.</p>"),
        base_postcode=base_postcode,
        service_radius_miles=radius,
        availability=slots_to_mask(slots),
        last_confirmed_at=fields.pop("last_confirmed_at", timezone.now()),
        outcomes=list(Outcome.objects.filter(slug__in=outcomes)),
        categories=list(Category.objects.filter(slug__in=categories)),
        prices=prices or [ListingPrice(description="Support", unit=unit, weekday_pence=price_pence)],
        publish=publish,
        **fields,
    )
    listing.refresh_from_db()
    return listing


def make_check(provider, *, kind=Check.Kind.DBS, verified=True, issued_on=None, expires_on=None):
    """A check on a provider, verified by a coordinator unless verified=False."""
    today = timezone.localdate()
    return Check.objects.create(
        provider=provider,
        kind=kind,
        issued_on=issued_on or today.replace(year=today.year - 1),
        expires_on=expires_on,
        verified_at=timezone.now() if verified else None,
    )

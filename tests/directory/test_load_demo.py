"""`manage.py load_demo` builds a believable demo site, and running it again changes nothing."""

from datetime import timedelta
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone
from django.utils.html import escape
from wagtail.models import Page, Revision, Site

from cms.models import GuidePage, HomePage, Role, User
from directory.demo import DEMO_PASSWORD, DEMO_PROVIDER_NAME, DEMO_USERS, generate
from directory.models import Check, ListingPage, ListingPrice, Outcome, Provider

pytestmark = pytest.mark.django_db

GUIDE_TITLES = {"What is a direct payment?", "What is a micro-enterprise?", "How to choose support"}


def _load():
    out = StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


def _snapshot():
    """What a second run must leave exactly as the first run did."""
    return {
        "listings": ListingPage.objects.count(),
        "live listings": ListingPage.objects.live().count(),
        "providers": Provider.objects.count(),
        "users": User.objects.count(),
        "email addresses": EmailAddress.objects.count(),
        "guides": GuidePage.objects.count(),
        "pages": Page.objects.count(),
        "checks": Check.objects.count(),
        "prices": ListingPrice.objects.count(),
        # Nothing changed, so nothing is republished: no new revisions in the page history.
        # Per page, so a failure names the page that was republished.
        "revisions": sorted(
            Revision.objects.values("object_id").annotate(n=Count("id")).values_list("object_id", "n")
        ),
        "listing titles": sorted(ListingPage.objects.values_list("title", flat=True)),
        "listing urls": sorted(p.url_path for p in ListingPage.objects.all()),
        "provider names": sorted(Provider.objects.values_list("name", flat=True)),
        "coordinates": sorted(ListingPage.objects.values_list("slug", "latitude", "longitude")),
    }


def test_loading_twice_gives_the_same_complete_site():
    output = _load()
    first = _snapshot()
    _load()
    second = _snapshot()

    assert first == second
    assert "listings: 152" in output  # 150 generated, and a broker and an advocate
    assert 140 <= second["listings"] <= 160
    assert second["live listings"] == second["listings"]
    assert 130 <= second["providers"] <= 150
    assert set(GuidePage.objects.live().values_list("title", flat=True)) == GUIDE_TITLES

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.site_name) == ("localhost", 80, "Local Support Marketplace")
    assert isinstance(site.root_page.specific, HomePage)
    assert not Page.objects.filter(title__startswith="Welcome to your new Wagtail site").exists()

    listings = ListingPage.objects.all()
    assert not listings.annotate(n=Count("outcomes")).filter(n=0).exists()
    assert not listings.annotate(n=Count("prices")).filter(n=0).exists()
    assert not listings.filter(latitude__isnull=True).exists()
    assert not listings.filter(availability=0).exists()
    assert not listings.filter(has_unpublished_changes=True).exists()
    # Only geographic BL districts; pins spread out from the district centres.
    assert {p.outward_code for p in listings} <= {f"BL{n}" for n in range(10)}
    assert len({(p.latitude, p.longitude) for p in listings}) == len(listings)
    # A realistic mix: some stale, some not taking new people.
    assert any(p.is_stale for p in listings)
    assert 0.7 * len(listings) < sum(not p.is_stale for p in listings)
    assert {"taking", "waiting_list", "full"} == set(listings.values_list("intake", flat=True))
    # Every outcome people browse by in the first vocabulary has something to show.
    assert not Outcome.objects.filter(vocabulary="care_act", listings__isnull=True).exists()

    today = timezone.localdate()
    checks = Check.objects.all()
    assert checks.filter(verified_at__isnull=True).exists()
    assert checks.filter(verified_at__isnull=False, expires_on__lt=today).exists()
    assert checks.filter(expires_on__gte=today, expires_on__lte=today + timedelta(days=30)).exists()
    # Personal care needs CQC registration: every provider of it has a verified CQC check.
    personal_care = Provider.objects.filter(listings__categories__slug="personal-care").distinct()
    assert personal_care.exists()
    for provider in personal_care:
        assert provider.checks.filter(kind="cqc", verified_at__isnull=False).exists(), provider


def test_demo_pages_render_and_demo_logins_work(client):
    _load()
    listing = ListingPage.objects.live().order_by("title").first()
    pages = [
        ("/", "Find local care and support in Bolton and Bury"),
        ("/guides/", "What is a micro-enterprise?"),
        ("/guides/what-is-a-direct-payment/", "Care Act 2014"),
        ("/guides/what-is-a-micro-enterprise/", "eight or fewer"),
        ("/guides/how-to-choose-support/", "Care Quality Commission"),
        ("/directory/", "Find support"),
        ("/directory/outcome/eat-well/", "Eat well"),
        (listing.url, escape(listing.title)),
    ]
    for url, text in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    assert "Bolton and Bury Community Support Network (demo)" in client.get("/").content.decode()

    for spec in DEMO_USERS:
        user = authenticate(email=spec.email, password=DEMO_PASSWORD)
        assert user is not None, spec.email
        assert EmailAddress.objects.filter(user=user, email=spec.email, verified=True, primary=True).exists()
        if spec.role:
            assert user.groups.filter(name=spec.role).exists()

    coordinator = User.objects.get(email="coordinator@example.org")
    assert coordinator.is_staff and not coordinator.is_superuser
    assert coordinator.has_role(Role.COORDINATOR)
    assert client.login(email="coordinator@example.org", password=DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200

    provider_user = User.objects.get(email="provider@example.org")
    assert list(provider_user.providers.values_list("name", flat=True)) == [DEMO_PROVIDER_NAME]


def test_generated_demo_is_deterministic_and_uses_the_seeded_vocabularies():
    specs = generate()
    assert [(p.name, [(li.slug, li.prices[0].weekday_pence) for li in p.listings]) for p in specs] == [
        (p.name, [(li.slug, li.prices[0].weekday_pence) for li in p.listings]) for p in generate()
    ]
    listings = [li for p in specs for li in p.listings]
    assert len({li.slug for li in listings}) == len(listings)
    assert len({p.name for p in specs}) == len(specs)
    assert all(1 <= p.team_size <= 8 for p in specs)
    assert {li.district for li in listings} <= {f"BL{n}" for n in range(10)}
    assert all(li.contact_phone.startswith("07700 900") for li in listings)

    # The templates name only outcomes and categories the data migration seeded.
    assert {s for li in listings for s in li.outcomes} <= set(Outcome.objects.values_list("slug", flat=True))
    from directory.models import Category

    assert {s for li in listings for s in li.categories} == set(
        Category.objects.values_list("slug", flat=True)
    )


def test_demo_professional_can_make_shortlists_straight_away():
    from signposting.services import is_verified_professional

    _load()
    _load()  # again: still verified, once
    professional = User.objects.get(email="professional@example.org")
    assert is_verified_professional(professional)
    assert professional.professional_verification.method == "coordinator"

"""Every page type renders for the public, and listings show what they should (and no more)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cms.models import ContentPage, GuideIndexPage, GuidePage
from directory.models import Check, ListingPrice
from tests.factories import make_check, make_listing

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def guides(home):
    index = home.add_child(
        instance=GuideIndexPage(title="Guides", slug="guides", introduction="Plain-English help.")
    )
    guide = index.add_child(
        instance=GuidePage(
            title="What is a direct payment?",
            summary="Money from the council to buy your own support.",
            body=[
                ("heading", "How it works"),
                ("paragraph", "<p>The council pays money into an account you control.</p>"),
                ("callout", {"text": "<p>You can ask for help managing it.</p>"}),
            ],
        )
    )
    return index, guide


# --- The site's own pages ------------------------------------------------------------------


def test_home_page_shows_search_and_ways_in_by_outcome(client, home, directory, guides, listing):
    home.introduction = "Find care and support from small local organisations."
    home.save_revision().publish()

    response = client.get("/")

    assert response.status_code == 200
    html = text_of(response)
    assert "Find care and support from small local organisations." in html
    assert "Find support near you" in html
    assert 'href="/directory/outcome/get-out-and-about/"' in html
    # Only outcomes someone offers support for are linked: an empty page helps nobody.
    assert 'href="/directory/outcome/use-the-toilet/"' not in html
    assert "What is a direct payment?" in html
    assert "Skip to main content" in html


def test_guide_index_lists_live_guides(client, guides):
    index, guide = guides
    guide.save_revision().publish()
    index.add_child(instance=GuidePage(title="A draft guide", summary="Not yet.", body=[], live=False))

    response = client.get(index.url)

    assert response.status_code == 200
    html = text_of(response)
    assert "Plain-English help." in html
    assert "What is a direct payment?" in html
    assert "Money from the council to buy your own support." in html
    assert "A draft guide" not in html


def test_guide_index_without_guides_says_so(client, home):
    index = home.add_child(instance=GuideIndexPage(title="Guides", slug="guides"))
    response = client.get(index.url)
    assert response.status_code == 200
    assert "There are no guides yet." in text_of(response)


def test_guide_page_renders_its_blocks(client, guides):
    _, guide = guides
    response = client.get(guide.url)
    assert response.status_code == 200
    html = text_of(response)
    assert "<h1" in html and "What is a direct payment?" in html
    assert '<h2 class="govuk-heading-l">How it works</h2>' in html
    assert "The council pays money into an account you control." in html
    assert '<div class="govuk-inset-text">' in html
    assert "You can ask for help managing it." in html


def test_content_page_renders_rich_text(client, home):
    page = home.add_child(
        instance=ContentPage(
            title="Accessibility statement", body="<p>We aim to meet <b>WCAG 2.2 AA</b>.</p>"
        )
    )
    response = client.get(page.url)
    assert response.status_code == 200
    html = text_of(response)
    assert "Accessibility statement" in html
    assert "<b>WCAG 2.2 AA</b>" in html


# --- The directory's routes ----------------------------------------------------------------


def test_directory_index_counts_and_lists_live_listings(client, directory):
    make_listing(title="Swimming buddy", categories=("exercise-sport-and-swimming",))
    make_listing(title="Shopping trips", outcomes=("eat-well",))
    make_listing(title="Secret draft", publish=False)

    response = client.get("/directory/")

    assert response.status_code == 200
    html = text_of(response)
    assert "2 local services" in html
    assert "Swimming buddy" in html and "Shopping trips" in html
    assert "Secret draft" not in html
    assert 'href="/directory/outcome/get-out-and-about/"' in html
    assert 'href="/directory/category/exercise-sport-and-swimming/"' in html
    # An outcome nobody offers yet is shown without a link.
    assert 'Use the toilet <span class="govuk-body-s">(none yet)</span>' in html


def test_directory_counts_and_pages_are_kept_until_a_listing_changes(client, directory):
    # The counts and the A to Z page are kept (directory.kept) between views; publishing or
    # unpublishing a listing must show on the next view, in the counts and in the list.
    swimming = make_listing(title="Swimming buddy", outcomes=("get-out-and-about",))
    html = text_of(client.get("/directory/"))
    assert "1 local service." in html and 'Eat well <span class="govuk-body-s">(none yet)</span>' in html

    make_listing(title="Shopping trips", outcomes=("eat-well",))
    html = text_of(client.get("/directory/"))
    assert "2 local services" in html and "Shopping trips" in html
    assert 'href="/directory/outcome/eat-well/"' in html

    swimming.unpublish()
    html = text_of(client.get("/directory/"))
    assert "1 local service." in html and "Swimming buddy" not in html
    assert 'Get out and about <span class="govuk-body-s">(none yet)</span>' in html
    outcome_page = text_of(client.get("/directory/outcome/eat-well/"))
    assert "Shopping trips" in outcome_page


def test_directory_a_to_z_pages_past_the_end_show_the_last_page(client, directory, settings):
    for n in range(3):
        make_listing(title=f"Listing {n}")
    directory.specific.__class__.per_page = 2
    try:
        last = text_of(client.get("/directory/?page=9"))
        first = text_of(client.get("/directory/?page=nonsense"))
    finally:
        directory.specific.__class__.per_page = 20
    assert "Listing 2" in last and "Listing 0" not in last and "Page 2 of 2" in last
    assert "Listing 0" in first and "Page 1 of 2" in first


def test_by_outcome_lists_only_listings_with_that_outcome(client, directory):
    make_listing(title="Swimming buddy", outcomes=("get-out-and-about",))
    make_listing(title="Shopping trips", outcomes=("eat-well",))

    response = client.get("/directory/outcome/get-out-and-about/")

    assert response.status_code == 200
    html = text_of(response)
    assert "Get out and about" in html
    assert "1 service." in html
    assert "Swimming buddy" in html
    assert "Shopping trips" not in html


def test_by_category_lists_only_listings_in_that_category(client, directory):
    make_listing(title="Swimming buddy", categories=("exercise-sport-and-swimming",))
    make_listing(title="Shopping trips", categories=("shopping-and-errands",))

    response = client.get("/directory/category/exercise-sport-and-swimming/")

    assert response.status_code == 200
    html = text_of(response)
    assert "Kind of support" in html
    assert "Exercise, sport and swimming" in html
    assert "Swimming buddy" in html
    assert "Shopping trips" not in html


def test_outcome_with_no_listings_says_so(client, directory):
    response = client.get("/directory/outcome/eat-well/")
    assert response.status_code == 200
    assert "There are no services for this yet." in text_of(response)


@pytest.mark.parametrize("path", ["/directory/outcome/no-such-outcome/", "/directory/category/no-such-kind/"])
def test_unknown_outcome_or_category_is_404(client, directory, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page not found" in text_of(response)


# --- Listing pages -------------------------------------------------------------------------


def test_listing_page_shows_what_a_person_needs(client, directory):
    listing = make_listing(
        title="Swimming buddy",
        outcomes=("get-out-and-about", "wellbeing-do-things-i-enjoy"),
        price_pence=1800,
        slots=("mon-morning",),
        contact_phone="07700 900123",
    )

    response = client.get(listing.url)

    assert response.status_code == 200
    html = text_of(response)
    assert "Swimming buddy" in html
    assert listing.provider.name in html
    assert "Taking new people" in html
    assert "Get out and about" in html and "Do things I enjoy" in html
    assert "£18 per hour" in html
    assert 'href="tel:07700900123"' in html


def test_unpublished_listing_is_404_to_the_public(client, directory):
    listing = make_listing(title="Not ready yet", publish=False)
    response = client.get(listing.url)
    assert response.status_code == 404


def test_listing_shows_only_the_outward_code_of_its_postcode(client, directory):
    listing = make_listing(base_postcode="BL3 5AA")
    assert listing.base_postcode == "BL3 5AA"

    response = client.get(listing.url)

    html = text_of(response)
    assert "Based in BL3." in html
    assert "5AA" not in html


def test_listing_shows_verified_checks_only(client, directory):
    listing = make_listing()
    today = timezone.localdate()
    make_check(listing.provider, kind=Check.Kind.DBS)
    make_check(listing.provider, kind=Check.Kind.SAFEGUARDING, verified=False)
    make_check(
        listing.provider,
        kind=Check.Kind.PUBLIC_LIABILITY,
        issued_on=today - timedelta(days=730),
        expires_on=today - timedelta(days=1),
    )

    html = text_of(client.get(listing.url))

    assert "DBS certificate" in html
    assert "Safeguarding training" not in html
    assert "Public liability insurance" not in html
    assert "We have not verified any checks" not in html


def test_listing_without_verified_checks_says_so(client, directory):
    listing = make_listing()
    make_check(listing.provider, kind=Check.Kind.DBS, verified=False)
    html = text_of(client.get(listing.url))
    assert "We have not verified any checks for this provider yet." in html
    assert "DBS certificate" not in html


def test_listing_not_confirmed_for_over_a_year_warns(client, directory):
    stale = make_listing(title="Old news", last_confirmed_at=timezone.now() - timedelta(days=400))
    fresh = make_listing(title="Up to date")

    stale_html = text_of(client.get(stale.url))
    fresh_html = text_of(client.get(fresh.url))

    assert "govuk-warning-text" in stale_html
    assert "Check with them that they are still right." in stale_html
    assert "Check with them that they are still right." not in fresh_html


def test_listing_prices_are_shown_in_pounds(client, directory):
    listing = make_listing(price_pence=1850)
    ListingPrice.objects.create(
        listing=listing,
        description="Day trip",
        unit=ListingPrice.Unit.DAY,
        unit_minutes=360,
        weekday_pence=9000,
        evening_weekend_pence=10500,
    )

    html = text_of(client.get(listing.url))

    assert "£18.50 per hour" in html
    assert "Day trip (360 minutes)" in html
    assert "£90 per day" in html
    assert "£105 per day" in html
    # Pence never show as pence (tags are dropped first: a random UUID in a link may hold "9000").
    visible = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"\b(1850|9000|10500)\b", visible)


def test_home_page_links_an_outcome_as_soon_as_a_listing_offers_it(client, home, directory, listing):
    from directory.models import Outcome

    # The offered outcomes are kept between views (directory.kept) ...
    assert 'href="/directory/outcome/use-the-toilet/"' not in text_of(client.get("/"))
    listing.outcomes.add(Outcome.objects.get(slug="use-the-toilet"))
    listing.save_revision().publish()

    # ... and a change to a listing's outcomes is seen on the next view.
    assert 'href="/directory/outcome/use-the-toilet/"' in text_of(client.get("/"))

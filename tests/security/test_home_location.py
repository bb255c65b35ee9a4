"""Where a sole trader lives stays private (security review, issue 14).

Many micro-providers work from home. A listing at a full postcode is placed at its precise
point, and an attacker tries to recover that point from every public surface: the search
page (its HTML and map data), `/api/search`, the Open Referral API, the listing page, shared
shortlists and their print views, and the shortlist email — including trilateration from
`near=` searches made from 25 different full postcodes around it, with no rate limit.

The fair criterion. The listing's postcode district (BL3) and that district's centre are
published on purpose, so knowing them is not a leak. The attack has learnt *more* than the
district when its best estimate is closer to the true point than half the true point's
distance from the district centre. Here the home is 1.2 miles from the centre of BL3, so an
estimate within 0.6 miles of the home is a failure; an attack that can only find the
district centre (what the fix publishes) stays about 1.2 miles away.
"""

import json
import math
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from cms.models import Role
from directory.models import Postcode, PostcodeDistrict
from search.backends import get_search_backend
from signposting import services as signposting
from signposting.models import ProfessionalVerification
from tests.factories import UserFactory, make_listing

pytestmark = pytest.mark.django_db

HOME_CODE = "BL3 9ZZ"
HOME = (53.5770, -2.4560)  # about 1.2 miles north-west of BL3's centre (53.5620, -2.4400)
# The precise point as text: none of these may appear on a public page.
HOME_TEXTS = (HOME_CODE, "BL39ZZ", f"{HOME[0]:.3f}", f"{HOME[1]:.3f}")


def miles_between(a, b) -> float:
    """Flat-earth miles between two (lat, lon) points: fine over a few miles."""
    dy = (a[0] - b[0]) * 69.0
    dx = (a[1] - b[1]) * 69.0 * math.cos(math.radians((a[0] + b[0]) / 2))
    return math.hypot(dx, dy)


def offset(point, north_miles, east_miles):
    """The point so many miles north and east of `point`."""
    lat = point[0] + north_miles / 69.0
    return lat, point[1] + east_miles / (69.0 * math.cos(math.radians(point[0])))


def trilaterate(measurements):
    """The point that best fits [(probe point, distance shown)], by least squares on a grid.

    A 6 x 6 mile grid at 0.05-mile steps around BL3: coarse enough to run in a second, fine
    enough to find a point to well inside the criterion.
    """
    centre = (53.5620, -2.4400)
    best, best_error = None, float("inf")
    for i in range(-60, 61):
        for j in range(-60, 61):
            candidate = offset(centre, i * 0.05, j * 0.05)
            error = sum((miles_between(candidate, p) - d) ** 2 for p, d in measurements)
            if error < best_error:
                best, best_error = candidate, error
    return best


@pytest.fixture
def home_listing(directory):
    """A sole trader's listing at their home's full postcode, and 25 full postcodes around it."""
    bl3 = PostcodeDistrict.objects.get(code="BL3")
    Postcode.objects.create(code=HOME_CODE, district=bl3, latitude=HOME[0], longitude=HOME[1])
    probes = []
    letters = "ABDEFGHJLNPQRSTUWXY"
    for n, (i, j) in enumerate((i, j) for i in range(-2, 3) for j in range(-2, 3)):
        lat, lon = offset(HOME, i * 0.8, j * 0.8)
        code = f"BL3 {1 + n // 19}{letters[n % 19]}{letters[(n * 7) % 19]}"
        Postcode.objects.create(code=code, district=bl3, latitude=lat, longitude=lon)
        probes.append((code, (lat, lon)))
    listing = make_listing(title="Knit and natter at home", base_postcode=HOME_CODE, radius=10)
    get_search_backend("database").rebuild()
    assert (listing.latitude, listing.longitude) == HOME  # the precise point is stored (for the provider)
    return listing, probes


def assert_nothing_precise(body: str, surface: str):
    for text in HOME_TEXTS:
        assert text not in body, f"{surface} shows {text!r}"


def assert_no_better_than_district(estimate, surface: str):
    centre = PostcodeDistrict.objects.get(code="BL3")
    criterion = miles_between(HOME, (centre.latitude, centre.longitude)) / 2
    error = miles_between(estimate, HOME)
    assert error >= criterion, (
        f"{surface} locates the home to {error:.2f} miles (the district alone gives {2 * criterion:.2f})"
    )


def test_a_home_cannot_be_found_from_search_by_trilateration(client, settings, home_listing):
    settings.SEARCH_API_RATE_LIMIT_PER_MINUTE = 0  # the attacker is given unlimited queries
    _, probes = home_listing
    measurements, map_points = [], []
    for code, point in probes:
        data = client.get(reverse("search_api"), {"near": code, "radius": "20", "q": "knit"}).json()
        (hit,) = data["results"]
        assert_nothing_precise(json.dumps(data), "/api/search")
        measurements.append((point, hit["distance_miles"]))
        # Shrinking the radius until the listing drops out gives a distance bound as well.
        for radius in (1, 2):
            inside = client.get(reverse("search_api"), {"near": code, "radius": radius, "q": "knit"}).json()
            if inside["results"]:
                measurements.append((point, min(hit["distance_miles"], radius)))
                break
    for code, _ in probes[::6]:
        page = client.get(reverse("search"), {"near": code, "q": "knit"}).content.decode()
        assert_nothing_precise(page, "the search page")
        found = re.search(r'<script id="map-points" type="application/json">(.*?)</script>', page, re.S)
        map_points += [(p["lat"], p["lon"]) for p in json.loads(found.group(1))]

    assert_no_better_than_district(trilaterate(measurements), "trilateration from /api/search")
    assert map_points
    for point in map_points:
        assert_no_better_than_district(point, "the search page's map")


def _points_in(data):
    """Every (latitude, longitude) pair anywhere in a JSON document."""
    if isinstance(data, dict):
        if data.get("latitude") is not None and data.get("longitude") is not None:
            yield (float(data["latitude"]), float(data["longitude"]))
        for value in data.values():
            yield from _points_in(value)
    elif isinstance(data, list):
        for value in data:
            yield from _points_in(value)


def test_a_home_cannot_be_found_from_the_open_referral_api_or_the_listing_page(client, home_listing):
    listing, _ = home_listing
    points = []
    for address in (
        f"/openreferral/services/{listing.public_id}",
        "/openreferral/services?full=true",
        f"/openreferral/service_at_locations?postcode={HOME_CODE.replace(' ', '')}",
    ):
        response = client.get(address)
        assert response.status_code == 200, address
        assert_nothing_precise(response.content.decode(), address)
        points += list(_points_in(response.json()))
    assert points
    for point in points:
        assert_no_better_than_district(point, "the Open Referral API")

    page = client.get(listing.url).content.decode()
    assert_nothing_precise(page, "the listing page")
    assert "Based in BL3" in page


def test_a_home_is_not_on_shortlists_their_print_views_or_the_email(client, home_listing):
    listing, _ = home_listing
    professional = UserFactory(role=Role.PROFESSIONAL)
    ProfessionalVerification.objects.create(
        user=professional, verified_at=timezone.now(), method="coordinator"
    )
    shortlist = signposting.create_shortlist(owner=professional, title="For Mrs P", person_label="Mrs P")
    signposting.add_to_shortlist(
        shortlist=shortlist, listing=listing, by=professional, note="", note_shared=True
    )

    for name in ("signposting:shortlist_public", "signposting:shortlist_public_print"):
        response = client.get(reverse(name, args=[shortlist.token]))
        assert response.status_code == 200
        assert "Knit and natter at home" in response.content.decode()
        assert_nothing_precise(response.content.decode(), name)
    client.force_login(professional)
    for name in ("signposting:shortlist", "signposting:shortlist_print"):
        response = client.get(reverse(name, args=[shortlist.public_id]))
        assert response.status_code == 200
        assert_nothing_precise(response.content.decode(), name)
    client.post(
        reverse("signposting:shortlist_email", args=[shortlist.public_id]),
        {"email": "mrs.p@example.org", "message": "As promised."},
    )
    (email,) = mail.outbox
    assert_nothing_precise(email.body, "the shortlist email")


VENUE_CODE = "BL3 4AB"
VENUE = (53.5560, -2.4300)  # a church hall, south-east of the centre


def test_a_published_venue_is_shown_as_the_venue_and_distances_use_it(client, settings, directory):
    bl3 = PostcodeDistrict.objects.get(code="BL3")
    Postcode.objects.create(code=HOME_CODE, district=bl3, latitude=HOME[0], longitude=HOME[1])
    Postcode.objects.create(code=VENUE_CODE, district=bl3, latitude=VENUE[0], longitude=VENUE[1])
    listing = make_listing(
        title="Knit and natter",
        base_postcode=HOME_CODE,
        venue="St Mark's Church Hall, Cross Street, Bolton",
        venue_postcode=VENUE_CODE,
    )
    get_search_backend("database").rebuild()

    page = client.get(listing.url).content.decode()
    assert "Meet at St Mark&#x27;s Church Hall, Cross Street, Bolton, BL3 4AB." in page
    assert_nothing_precise(page, "the listing page")

    search = client.get(reverse("search"), {"near": "BL3", "q": "knit"}).content.decode()
    found = re.search(r'<script id="map-points" type="application/json">(.*?)</script>', search, re.S)
    (point,) = json.loads(found.group(1))
    assert (point["lat"], point["lon"]) == VENUE
    assert "St Mark&#x27;s Church Hall" in search

    far = offset(VENUE, 0, 4.0)
    Postcode.objects.create(code="BL3 8XX", district=bl3, latitude=far[0], longitude=far[1])
    (hit,) = client.get(reverse("search_api"), {"near": "BL3 8XX", "q": "knit"}).json()["results"]
    assert hit["distance_miles"] == 4
    assert hit["venue"] == "St Mark's Church Hall, Cross Street, Bolton, BL3 4AB"


def test_search_api_is_rate_limited(client, settings, home_listing):
    cache.clear()  # counts are per client address and minute: start from none
    settings.SEARCH_API_RATE_LIMIT_PER_MINUTE = 5
    for _ in range(5):
        assert client.get(reverse("search_api"), {"near": "BL3", "q": "knit"}).status_code == 200
    refused = client.get(reverse("search_api"), {"near": "BL3", "q": "knit"})
    assert refused.status_code == 429
    assert "Too many searches" in refused.json()["error"]["message"]
    assert int(refused["Retry-After"]) >= 1


def test_the_provider_is_told_plainly_what_the_public_sees_of_their_location(client, home_listing):
    listing, _ = home_listing
    member = UserFactory(role=Role.PROVIDER)
    listing.provider.members.add(member)
    client.force_login(member)
    page = client.get(reverse("my:listing_step", args=[listing.public_id, "where"])).content.decode()
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "The public sees only the first half (BL3). Your full postcode is never shown" in text
    assert "Never enter your home here." in text

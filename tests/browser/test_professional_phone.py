"""A professional's pages, and the shortlist they hand over, on a phone (390 px): nothing scrolls
sideways and axe finds nothing, with long titles and notes in them."""

from django.http import QueryDict
from django.utils import timezone

from cms.models import Role
from signposting import services as signposting
from signposting.models import ProfessionalVerification
from tests import factories
from tests.browser.phone import assert_pages_fit_a_phone
from tests.browser.two_factor import sign_in_to_site


def test_a_professionals_pages_and_the_shared_shortlist_fit_a_phone(live_url, phone):
    factories.home_page()
    factories.directory_page()
    asha = factories.UserFactory(role=Role.PROFESSIONAL, email="asha.khan@nhs.net", first_name="Asha")
    ProfessionalVerification.objects.create(user=asha, verified_at=timezone.now(), method="coordinator")
    listing = factories.make_listing(
        title="Memory Lane lunch club and afternoon tea for people living with dementia",
        contact_phone="07700 900123",
    )
    shortlist = signposting.create_shortlist(
        owner=asha,
        title="Options for Mrs P: getting out and eating well",
        person_label="Mrs P",
        comments_open=True,
    )
    signposting.add_to_shortlist(
        shortlist=shortlist,
        listing=listing,
        by=asha,
        note="Ask for Jo, she is lovely; the minibus can pick up from Farnworth and Kearsley.",
        note_shared=True,
    )
    signposting.save_search(user=asha, params=QueryDict("q=lunch+club&near=BL3"))

    sign_in_to_site(phone, live_url, asha.email)
    assert_pages_fit_a_phone(
        phone,
        live_url,
        [
            "/professional/",
            "/shortlists/",
            "/shortlists/new/",
            f"/shortlists/{shortlist.public_id}/",
            f"/shortlists/{shortlist.public_id}/edit/",
            f"/shortlists/{shortlist.public_id}/print/",
            "/saved-searches/",
            f"/s/{shortlist.token}/",
            f"/s/{shortlist.token}/print/?size=large",
            f"/enquiries/new/?listing={listing.public_id}&shortlist={shortlist.token}",
        ],
    )

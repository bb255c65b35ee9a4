"""Neutrality: nothing a provider or a coordinator sets may move a listing up the results.

Ranking may use only relevance, distance, fit and freshness (search/backends/base.py). Each
test builds twins identical in those (same title, words, place, outcomes, confirmed the same
day) and gives the second one thing a provider or coordinator can set: verified checks,
evidence, a claimed listing, a response rate, photos, a longer description, an older account,
payments set up, a bigger organisation, access features, ages, a price, an intake state. The
twins must score exactly the same, and the daily rotation must put each of them first on some
days: a boost of any size for that one thing fails here, on every backend the contract runs on
(tests/search/conftest.py: the database backend always, Elasticsearch and OpenSearch when
there is a node).
"""

import datetime as dt
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tests.factories import make_check
from tests.search.conftest import make_twin_pair

pytestmark = pytest.mark.django_db

QUERIES = ("q=tandem&near=BL3", "near=BL3", "q=tandem")
LONG_DESCRIPTION = (
    "<p>Tandem cycling rides along the canal.</p>"
    + "<p>We have ridden these paths for many years, in every season, and know each lock, bridge "
    "and café on the way. Helmets, gloves and waterproofs are lent free of charge.</p>" * 6
)


def _verified_checks(listing):
    for kind in ("dbs", "public_liability", "cqc", "safeguarding"):
        make_check(listing.provider, kind=kind)


def _evidence_waiting(listing):
    check = make_check(listing.provider, verified=False)
    check.document.save("insurance.pdf", ContentFile(b"%PDF-1.4 evidence"), save=False)
    check.document_name = "insurance.pdf"
    check.uploaded_at = timezone.now()
    check.save()


def _expired_check(listing):
    today = timezone.localdate()
    make_check(
        listing.provider,
        issued_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=30),
    )


def _claimed(listing):
    from directory.models import Claim
    from tests.factories import UserFactory

    owner = UserFactory()
    listing.provider.members.add(owner)
    Claim.objects.create(
        listing=listing, user=owner, message="It is mine", status="approved", decided_at=timezone.now()
    )


def _response_rate(listing):
    from signposting.models import Enquiry

    now = timezone.now()
    for n in range(6):
        Enquiry.objects.create(
            listing=listing,
            name=f"Asker {n}",
            reply_to=f"asker{n}@example.org",
            message="Do you have space on Mondays?",
            responded_at=now,
        )


def _photos(listing):
    from wagtail.images.models import Image
    from wagtail.images.tests.utils import get_test_image_file

    from directory.models import ListingPhoto

    image = Image.objects.create(title="On the towpath", file=get_test_image_file())
    listing.photos.add(ListingPhoto(image=image, alt_text="Two people on a tandem by the canal"))
    listing.save_revision().publish()


def _old_account(listing):
    from directory.models import ListingPage, Provider

    long_ago = timezone.now() - timedelta(days=6 * 365)
    Provider.objects.filter(pk=listing.provider_id).update(created_at=long_ago)
    ListingPage.objects.filter(pk=listing.pk).update(first_published_at=long_ago)
    listing.provider.members.add(_user_joined(long_ago))


def _user_joined(when):
    from tests.factories import UserFactory

    user = UserFactory()
    type(user).objects.filter(pk=user.pk).update(date_joined=when)
    return user


def _payments_set_up(listing):
    from marketplace.models import ProviderPaymentAccount

    ProviderPaymentAccount.objects.create(
        provider=listing.provider,
        account_id="acct_twin",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
    )


def _access_features():
    from directory.models import AccessFeature

    return list(AccessFeature.objects.values_list("slug", flat=True))


# What the second twin has that the first has not: (name, twin overrides, change after building).
DIFFERENCES = {
    "verified checks (DBS, insurance, CQC, safeguarding)": ({}, _verified_checks),
    "evidence uploaded, waiting to be verified": ({}, _evidence_waiting),
    "an expired check": ({}, _expired_check),
    "claimed by its provider": ({}, _claimed),
    "a full response rate": ({}, _response_rate),
    "photos": ({}, _photos),
    "a long description": ({"description": LONG_DESCRIPTION}, None),
    "an account six years old": ({}, _old_account),
    "payments set up": ({}, _payments_set_up),
    "a bigger limited company, a higher price": ({}, None),  # make_twin_pair's own differences
    "waiting list": ({"intake": "waiting_list"}, None),
    "full": ({"intake": "full"}, None),
    "every access feature and an age range": ({"access": "all", "min_age": 18, "max_age": 99}, None),
    "audiences and languages": ({"audiences": ["older-people"], "languages": ["ur"]}, None),
    "everything at once": (
        {"description": LONG_DESCRIPTION, "intake": "waiting_list", "access": "all"},
        "all",
    ),
}
AFTER_ALL = [
    _verified_checks,
    _evidence_waiting,
    _claimed,
    _response_rate,
    _photos,
    _old_account,
    _payments_set_up,
]


@pytest.mark.parametrize("difference", list(DIFFERENCES))
def test_twins_rank_the_same_whatever_the_provider_or_coordinator_set(directory, backend, run, difference):
    overrides, after = DIFFERENCES[difference]
    overrides = dict(overrides)
    if overrides.get("access") == "all":
        overrides["access"] = _access_features()
    plain, richer = make_twin_pair(**overrides)
    for change in AFTER_ALL if after == "all" else [after] if after else []:
        change(richer)
    backend.rebuild()
    for querystring in QUERIES:
        hits = run(querystring).hits
        assert [h.listing_id for h in hits] in ([plain.pk, richer.pk], [richer.pk, plain.pk]), querystring
        assert hits[0].score == pytest.approx(hits[1].score, rel=1e-9), (
            f"{difference}: scores {hits[0].score} and {hits[1].score} for {querystring!r} "
            f"(first: {'the one with it' if hits[0].listing_id == richer.pk else 'the plain one'})"
        )
    # Equal scores leave the order to the daily rotation: each twin leads on some days.
    leaders = set()
    for day in range(1, 15):
        leaders.add(run(QUERIES[0], today=dt.date(2026, 5, day)).hits[0].listing_id)
    assert leaders == {plain.pk, richer.pk}, f"{difference}: one twin led on every one of 14 days"

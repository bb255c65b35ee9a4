"""The directory's data rules hold in the database, not just in forms."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from directory.fields import mask_to_slots, slots_to_mask
from directory.models import Check, ListingPrice, Provider
from tests.factories import ProviderFactory, make_check, make_listing


@pytest.mark.django_db
def test_negative_price_is_rejected_by_the_database(listing):
    with pytest.raises(IntegrityError), transaction.atomic():
        ListingPrice.objects.create(listing=listing, description="Bad", weekday_pence=-100)


@pytest.mark.django_db
def test_check_cannot_expire_before_it_was_issued():
    provider = ProviderFactory()
    today = timezone.localdate()
    with pytest.raises(IntegrityError), transaction.atomic():
        Check.objects.create(
            provider=provider,
            kind=Check.Kind.DBS,
            issued_on=today,
            expires_on=today.replace(year=today.year - 1),
        )


@pytest.mark.django_db
def test_check_form_validation_explains_the_date_problem():
    today = timezone.localdate()
    check = Check(provider=ProviderFactory(), kind="dbs", issued_on=today, expires_on=today)
    with pytest.raises(ValidationError) as error:
        check.full_clean()
    assert "after the issue date" in str(error.value)


@pytest.mark.django_db
def test_provider_with_more_than_eight_workers_is_not_a_small_local_provider():
    # Imported organisations may be of any size (a council, a large charity): stored as they are,
    # never called small.
    provider = ProviderFactory(team_size=9, size_confirmed_by="coordinator")
    assert provider.runner == Provider.Runner.OTHER
    assert not provider.is_small_local_provider


@pytest.mark.django_db
def test_age_range_must_be_in_order(listing):
    with pytest.raises(ValidationError) as error:
        make_listing(title="Backwards ages", min_age=65, max_age=18)
    assert "oldest age" in str(error.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        type(listing).objects.filter(pk=listing.pk).update(min_age=65, max_age=18)


@pytest.mark.django_db
def test_listing_gets_coordinates_from_its_postcode_district(listing):
    assert listing.latitude == pytest.approx(53.5662)
    assert listing.outward_code == "BL3"


@pytest.mark.django_db
def test_listing_clean_normalises_postcode_and_rejects_garbage(listing):
    listing.base_postcode = " bl3   5aa "
    listing.full_clean()
    assert listing.base_postcode == "BL3 5AA"
    listing.base_postcode = "hello"
    with pytest.raises(ValidationError) as error:
        listing.full_clean()
    assert "not a UK postcode" in str(error.value)


@pytest.mark.django_db
def test_only_verified_unexpired_checks_count(listing):
    today = timezone.localdate()
    make_check(listing.provider, kind=Check.Kind.DBS)
    make_check(listing.provider, kind=Check.Kind.SAFEGUARDING, verified=False)
    make_check(
        listing.provider,
        kind=Check.Kind.PUBLIC_LIABILITY,
        issued_on=today.replace(year=today.year - 2),
        expires_on=today.replace(year=today.year - 1),
    )
    assert [c.kind for c in listing.current_checks()] == [Check.Kind.DBS]


def test_availability_round_trips_through_the_bitmask():
    slots = ["mon-morning", "sat-evening", "sun-overnight"]
    assert mask_to_slots(slots_to_mask(slots)) == slots


@pytest.mark.django_db
def test_hourly_price_compares_sessions_by_their_length(directory):
    listing = make_listing(price_pence=3000, unit=ListingPrice.Unit.SESSION)
    assert listing.hourly_price_pence is None
    listing.prices.update(unit_minutes=120)
    listing = type(listing).objects.get(pk=listing.pk)
    assert listing.hourly_price_pence == 1500

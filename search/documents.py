"""What a listing looks like to search: one plain dict that both backends index.

Building it in one place keeps the backends honest: they index the same facts, so the
contract tests can hold them to the same results.
"""

from django.utils import timezone
from django.utils.html import strip_tags

from directory.models import ListingPage


def listing_documents(listings=None):
    """Live listings with everything `build_document` reads, fetched in a few queries."""
    queryset = listings if listings is not None else ListingPage.objects.live().public()
    return queryset.select_related("provider").prefetch_related(
        "outcomes",
        "categories",
        "audiences",
        "languages",
        "access_features",
        "served_districts",
        "prices",
        "provider__checks",
    )


def _verified_until(listing, today):
    """The last day any verified, unexpired check is valid (far future when one never expires)."""
    dates = []
    for check in listing.provider.checks.all():
        if check.verified_at is None:
            continue
        if check.expires_on is None:
            return today.replace(year=9999)
        if check.expires_on >= today:
            dates.append(check.expires_on)
    return max(dates) if dates else None


def _shown_price_fields(price) -> dict:
    """The price as shown, flattened for an index: pence, unit, its length and the price count."""
    if price is None:
        return {"price_pence": None, "price_unit": "", "price_unit_minutes": None, "price_count": 0}
    return {
        "price_pence": price.pence,
        "price_unit": price.unit,
        "price_unit_minutes": price.unit_minutes,
        "price_count": price.count,
    }


def build_document(listing) -> dict:
    """The searchable facts of one listing."""
    outcomes = list(listing.outcomes.all())
    categories = list(listing.categories.all())
    audiences = list(listing.audiences.all())
    # Vocabulary labels and their synonyms are indexed as a field of their own, so a search for
    # "meals" finds every listing tagged "Eat well" — but ranks below listings that say it themselves.
    vocabulary_text = " ".join(
        f"{term.label} {term.synonyms.replace(',', ' ')}" for term in [*outcomes, *categories, *audiences]
    )
    # Only the public point is indexed (district centre or published venue), never the base
    # postcode's own point: everything search shows or filters on is then no more precise.
    public = listing.public_location()
    return {
        "id": listing.pk,
        "public_id": str(listing.public_id),
        "title": listing.title,
        "url": listing.url or "",
        "summary": listing.summary,
        "provider_name": listing.provider.name,
        "latitude": public.latitude if public else None,
        "longitude": public.longitude if public else None,
        "radius_miles": listing.service_radius_miles,
        "districts": [d.code for d in listing.served_districts.all()],
        "title_text": listing.title,
        "vocabulary_text": vocabulary_text,
        "body_text": f"{listing.summary} {strip_tags(listing.description)} {listing.provider.name}",
        "outcomes": [o.slug for o in outcomes],
        "categories": [c.slug for c in categories],
        "audiences": [a.slug for a in audiences],
        "languages": [lang.code for lang in listing.languages.all()],
        # Access features and ages filter; they are not words to rank by, so they stay out of
        # vocabulary_text (a listing never scores higher for having more of them).
        "access_features": [f.slug for f in listing.access_features.all()],
        "district": listing.outward_code,
        "anywhere": listing.available_anywhere,
        "runner": listing.provider.runner,
        "min_age": listing.min_age,
        "max_age": listing.max_age,
        # Filters only (meet_first=1, trial=1): no ranking rule reads them.
        "meet_first": listing.meet_first,
        "trial_session": listing.trial_session,
        "availability": listing.availability,
        # The hourly equivalent answers max_price; the price as shown is what cards say ("£6 a meal").
        "price_per_hour_pence": listing.hourly_price_pence,
        **_shown_price_fields(listing.shown_price),
        "intake": listing.intake,
        "verified_until": _verified_until(listing, timezone.localdate()),
        "last_confirmed_at": listing.last_confirmed_at,
    }

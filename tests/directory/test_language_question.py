"""The listing form's language question ("other than English?") never lists English, and saving
the step keeps English on a listing that already had it."""

import pytest

from directory.models import Language
from directory.provider_forms import HelpForm
from tests.factories import make_listing

pytestmark = pytest.mark.django_db


def test_the_language_question_does_not_offer_the_language_it_excludes(directory):
    english, _ = Language.objects.get_or_create(code="en", defaults={"name": "English"})
    urdu, _ = Language.objects.get_or_create(code="ur", defaults={"name": "Urdu"})
    listing = make_listing(publish=False)
    listing.languages.set([english])

    form = HelpForm(instance=listing)
    offered = [label for _, label in form.fields["languages"].choices]
    assert "English" not in offered and "Urdu" in offered

    data = {"outcomes": [o.pk for o in listing.outcomes.all()], "languages": [urdu.pk]}
    form = HelpForm(data=data, instance=listing)
    assert form.is_valid(), form.errors
    assert {language.code for language in form.cleaned_data["languages"]} == {"en", "ur"}

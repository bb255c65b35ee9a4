"""The postcode parser: every valid UK postcode shape, typed any way, reads back the same;
any other text is a clear `InvalidPostcode`, never a crash."""

import re
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from directory import geo
from directory.services import Location, PlaceNotFound, locate

LETTERS = st.sampled_from(string.ascii_uppercase)
DIGITS = st.sampled_from(string.digits)

# The six outward shapes (A9, A99, A9A, AA9, AA99, AA9A) and the inward shape (9AA).
OUTWARD = st.one_of(
    st.tuples(LETTERS, DIGITS).map("".join),
    st.tuples(LETTERS, DIGITS, DIGITS).map("".join),
    st.tuples(LETTERS, DIGITS, LETTERS).map("".join),
    st.tuples(LETTERS, LETTERS, DIGITS).map("".join),
    st.tuples(LETTERS, LETTERS, DIGITS, DIGITS).map("".join),
    st.tuples(LETTERS, LETTERS, DIGITS, LETTERS).map("".join),
)
INWARD = st.tuples(DIGITS, LETTERS, LETTERS).map("".join)
SPACES = st.text(alphabet=" \t\u00a0", max_size=3)

FAST = settings(max_examples=300, deadline=None)


def typed(draw, text: str) -> str:
    """`text` as a person might type it: any mix of case."""
    return "".join(c.lower() if draw(st.booleans()) else c for c in text)


@st.composite
def typed_postcodes(draw):
    outward, inward = draw(OUTWARD), draw(INWARD)
    text = draw(SPACES) + typed(draw, outward) + draw(SPACES) + typed(draw, inward) + draw(SPACES)
    return outward, inward, text


@FAST
@given(typed_postcodes())
@example(("BL1", "1RU", "bl11ru"))
@example(("M1", "1AA", " m1\t1aa "))
def test_a_full_postcode_in_any_spacing_and_case_reads_back_the_same(case):
    outward, inward, text = case
    parsed = geo.parse_postcode(text)
    assert (parsed.outward, parsed.inward) == (outward, inward)
    assert str(parsed) == f"{outward} {inward}"
    assert parsed.is_full
    assert geo.parse_postcode(str(parsed)) == parsed


@FAST
@given(OUTWARD, SPACES, SPACES, st.data())
def test_an_outward_code_in_any_case_reads_back_the_same(outward, before, after, data):
    parsed = geo.parse_postcode(before + typed(data.draw, outward) + after)
    assert parsed == geo.ParsedPostcode(outward=outward)
    assert str(parsed) == outward and not parsed.is_full


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
@example("\x00")
@example("BL3\x005AA")
@example("\uff42\uff4c\uff13")  # full-width "bl3"
@example("bl3 5\u017f\u017f")  # a long s upper-cases to an ASCII S
@example("x" * 100_000)
def test_any_text_is_a_postcode_or_a_clear_message(text):
    try:
        parsed = geo.parse_postcode(text)
    except geo.InvalidPostcode as exc:
        message = str(exc)
        assert message and len(message) < 200
        assert not geo.looks_like_postcode(text)
    else:
        # Whatever was read is a well-formed, ASCII postcode that reads back as itself.
        assert re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?( [0-9][A-Z]{2})?", str(parsed))
        assert geo.parse_postcode(str(parsed)) == parsed
        assert geo.looks_like_postcode(text)


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=30), typed_postcodes().map(lambda case: case[2])))
@example("Farnworth")
@example("bl3")
@example("' OR 1=1 --")
@example("%")
def test_locate_finds_a_place_or_says_what_to_try(text):
    """`locate` against the shipped postcode data: a location, or PlaceNotFound with a message.

    NUL characters are left out: PostgreSQL cannot compare them, and every caller (the search
    page's parser and the Open Referral API) refuses them before calling `locate`.
    """
    text = text.replace("\x00", "")
    try:
        found = locate(text=text)
    except PlaceNotFound as exc:
        assert str(exc)
    else:
        assert isinstance(found, Location)
        assert -90 <= found.latitude <= 90 and -180 <= found.longitude <= 180

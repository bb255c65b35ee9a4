"""The demo's group activity falls on the weekday it names and skips bank holidays; the bank
holiday rules are checked against the published England and Wales dates (gov.uk/bank-holidays)."""

from datetime import date

import pytest

from marketplace.demo import FRIDAY, bank_holidays, weekly_sessions

# From gov.uk/bank-holidays (England and Wales), the regular holidays only.
PUBLISHED = {
    2025: {
        date(2025, 1, 1), date(2025, 4, 18), date(2025, 4, 21), date(2025, 5, 5),
        date(2025, 5, 26), date(2025, 8, 25), date(2025, 12, 25), date(2025, 12, 26),
    },
    2026: {
        date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 4),
        date(2026, 5, 25), date(2026, 8, 31), date(2026, 12, 25), date(2026, 12, 28),
    },
    2027: {
        date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 29), date(2027, 5, 3),
        date(2027, 5, 31), date(2027, 8, 30), date(2027, 12, 27), date(2027, 12, 28),
    },
}  # fmt: skip


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_bank_holidays_match_the_published_dates(year):
    assert bank_holidays(year) == PUBLISHED[year]


def test_friday_sessions_skip_good_friday_and_are_all_fridays():
    sessions = weekly_sessions(FRIDAY, after=date(2026, 3, 20), count=4)
    assert sessions == [date(2026, 3, 27), date(2026, 4, 10), date(2026, 4, 17), date(2026, 4, 24)]
    assert all(day.weekday() == FRIDAY for day in sessions)


def test_sessions_skip_christmas_on_a_friday():
    sessions = weekly_sessions(FRIDAY, after=date(2026, 12, 17), count=2)
    assert sessions == [date(2026, 12, 18), date(2027, 1, 8)]  # 25 Dec and 1 Jan are bank holidays

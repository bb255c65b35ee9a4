"""A missing part skips on a developer's machine and fails under CI."""

import pytest

from tests.needs import missing


def test_a_missing_part_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium is absent"):
        missing("chromium is absent")


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_a_missing_part_fails_under_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match=r"CI must provide this.*chromium is absent"):
        missing("chromium is absent")

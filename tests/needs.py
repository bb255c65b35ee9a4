"""Skips CI does not accept.

A test that needs a part this machine lacks (Chromium, axe-core, the Stripe test servers,
`../shared`) skips with the reason on a developer's machine, so the suite still runs there. Under
CI (`CI=true`) the same test fails instead: CI installs every part, so a missing one is a broken
CI, and a green run must never mean "a whole area was skipped".
"""

import os
from typing import NoReturn

import pytest


def in_ci() -> bool:
    """True when the suite runs under CI (`CI=true`, as GitHub Actions and `.ci/run` set it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(reason: str) -> NoReturn:
    """Skip the current test because a part it needs is missing; fail instead under CI."""
    if in_ci():
        pytest.fail(f"CI must provide this, but it is missing: {reason}", pytrace=False)
    pytest.skip(reason)

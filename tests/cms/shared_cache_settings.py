"""Test settings with the production cache choice (Redis from REDIS_URL), for the site run under
gunicorn by tests/cms/test_shared_limits.py. The ordinary test settings keep a per-process cache."""

import os

from config.settings.base import cache_settings
from config.settings.test import *  # noqa: F403

CACHES = cache_settings(os.environ["REDIS_URL"])

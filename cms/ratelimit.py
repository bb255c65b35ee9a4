"""Counting requests per client address in Django's cache (shared across workers when the cache
is: Redis in production, see `CACHES` in config/settings/base.py)."""

import math
import time

from django.core.cache import cache


def over_limit(request, *, scope: str, limit: int, window_seconds: int = 60) -> int | None:
    """Count this request; the seconds to wait once the client is over `limit` in the window, else None.

    A fixed window per client address. Behind a reverse proxy REMOTE_ADDR must be the client's
    address (set by the proxy or WSGI server): a forwarded-for header is not trusted, as any
    client could forge it. A limit of 0 means no limit.
    """
    if not limit:
        return None
    now = time.time()
    window = int(now // window_seconds)
    key = f"rate:{scope}:{request.META.get('REMOTE_ADDR', 'unknown')}:{window}"
    cache.add(key, 0, timeout=2 * window_seconds)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=2 * window_seconds)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * window_seconds - now))

"""Rate limits hold across worker processes (security review, issue 14).

The site runs under gunicorn with three worker processes, as in production, with Django's
RedisCache from REDIS_URL. A client asks `/api/search` more often than its limit allows, each
request on a new connection so the workers share the work: the limit holds for the whole site,
not per worker (with a per-process cache three workers allowed three times the limit).

Needs a Redis server: REDIS_URL, else one on 127.0.0.1:6379. Without one the test is skipped
locally, and fails under CI=true (CI starts redis-server).
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.faults.test_webhook_crash import SharedDatabase

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LIMIT = 6
WORKERS = 3


def redis_url() -> str:
    """A Redis database to count in (db 13 of the local server unless REDIS_URL says otherwise)."""
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13"
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run Redis for this test (.ci/run starts redis-server): {url}: {exc}")
        pytest.skip(f"no Redis server at {url} ({exc}); install redis-server or set REDIS_URL")
    return url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> int:
    """The status of one GET on a new connection."""
    try:
        with urllib.request.urlopen(url, timeout=180) as response:  # noqa: S310 (a local test server)
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def site(tmp_path):
    """The site under gunicorn with three workers, sharing this test's database and Redis."""
    shared = SharedDatabase(tmp_path)
    shared.push()
    port = free_port()
    access_log = tmp_path / "access.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.cms.shared_cache_settings",
        "DATABASE_URL": shared.url,
        "REDIS_URL": redis_url(),
        "CACHE_KEY_PREFIX": f"lsm-test-{uuid.uuid4().hex}",  # no counts from earlier runs
        "SEARCH_API_RATE_LIMIT_PER_MINUTE": str(LIMIT),
    }
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(WORKERS),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "180",  # a loaded test machine may take a while to start Django in each worker
            "--access-logfile",
            str(access_log),
            "--access-logformat",
            "%(p)s %(s)s",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(0.2)
        else:
            pytest.fail("gunicorn did not start: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
        if server.poll() is not None:
            pytest.fail("gunicorn stopped: " + (tmp_path / "gunicorn.log").read_text()[-2000:])
        yield base, access_log
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_search_api_limit_holds_across_three_gunicorn_workers(site):
    base, access_log = site
    # Each worker starts Django on its first request, which can take a while on a busy machine:
    # warm them (on a page with no limit) so the counted requests fit in one minute.
    for _ in range(WORKERS * 2):
        get(f"{base}/openreferral/")
    # The limit counts per minute: start early in one, so every request falls in the same window.
    if time.time() % 60 > 30:
        time.sleep(61 - time.time() % 60)
    statuses = [get(f"{base}/api/search?q=swimming") for _ in range(LIMIT * WORKERS + 3)]
    assert statuses[:LIMIT] == [200] * LIMIT
    assert statuses[LIMIT:] == [429] * (len(statuses) - LIMIT), statuses
    # The requests were shared by more than one worker process (gunicorn logs each one's pid).
    time.sleep(0.5)
    pids = {line.split()[0] for line in access_log.read_text().splitlines() if line.strip()}
    assert len(pids) > 1, "all requests went to one worker; the test proves nothing"

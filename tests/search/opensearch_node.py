"""A real OpenSearch node for the tests: built from search/engine/ with Maven, run with Java.

`opensearch_node` (session scope) builds the launcher once (`mvn -q package`, skipped when the
build is newer than its sources; Maven's local repository caches the jars), starts one node on
a free port with its data under pytest's temp dir, waits for its health, and stops it at the
end. Without java or mvn the tests that need it skip, saying why, except under CI (CI=true),
where a skipped engine would hide the very thing the run is meant to prove, so they fail.
`start_node` starts further, throwaway nodes (the fallback test stops one mid-suite).
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parents[2] / "search" / "engine"
BUILT = ENGINE / "target" / "classes" / "lsm" / "search" / "EmbeddedNode.class"
CLASSPATH = f"{ENGINE / 'target' / 'classes'}{os.pathsep}{ENGINE / 'target' / 'lib' / '*'}"
START_TIMEOUT_SECONDS = 240  # a cold JVM on a busy 2-core machine takes a minute or more


def _missing_tools() -> str:
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    return " and ".join(missing)


def skip_or_fail(reason: str):
    """Skip with `reason`, or fail under CI, where the engine must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: the OpenSearch tests must run, not skip)", pytrace=False)
    pytest.skip(reason)


def _sources_newer_than_build() -> bool:
    if not BUILT.exists() or not (ENGINE / "target" / "lib").is_dir():
        return True
    built = BUILT.stat().st_mtime
    sources = [ENGINE / "pom.xml", *(ENGINE / "src").rglob("*")]
    return any(path.stat().st_mtime > built for path in sources if path.is_file())


def build_engine() -> None:
    """`mvn -q package` in search/engine unless the build is already newer than the sources."""
    missing = _missing_tools()
    if missing:
        skip_or_fail(f"OpenSearch tests need {missing} on PATH (Java 17 and Maven build search/engine)")
    if not _sources_newer_than_build():
        return
    done = subprocess.run(  # noqa: S603 (a fixed command)
        [shutil.which("mvn"), "-q", "-B", "package"], cwd=ENGINE, capture_output=True, text=True, timeout=1800
    )
    if done.returncode != 0:
        pytest.fail(
            f"mvn package in {ENGINE} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}", pytrace=False
        )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(url: str) -> str | None:
    try:
        health = f"{url}/_cluster/health?wait_for_status=yellow&timeout=5s"
        with urllib.request.urlopen(health, timeout=10) as r:  # noqa: S310 (our own http:// URL)
            return json.load(r)["status"]
    except (OSError, ValueError):
        return None


@dataclass
class Node:
    """A running node: its URL, its process and its log file."""

    url: str
    process: subprocess.Popen | None
    log: Path | None

    def stop(self) -> None:
        """Stop the node (SIGTERM, then SIGKILL after 30 s) and wait for its port to close."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdin:
            self.process.stdin.close()


def start_node(home: Path) -> Node:
    """Start a node with its data under `home` and return once its health is yellow or green."""
    build_engine()
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = home / "node.log"
    with log.open("wb") as out:
        # stdin stays open: the node stops itself when it closes (if this process dies).
        process = subprocess.Popen(  # noqa: S603 (a fixed command)
            [
                shutil.which("java"),
                "-Xms256m",
                "-Xmx512m",
                "-cp",
                CLASSPATH,
                "lsm.search.EmbeddedNode",
                str(port),
                str(home),
            ],
            stdin=subprocess.PIPE,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    node = Node(url=f"http://127.0.0.1:{port}", process=process, log=log)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"OpenSearch node exited with {process.returncode}:\n{log.read_text()[-4000:]}", pytrace=False
            )
        if _health(node.url) in ("yellow", "green"):
            return node
        time.sleep(1)
    node.stop()
    pytest.fail(
        f"OpenSearch node not healthy after {START_TIMEOUT_SECONDS}s:\n{log.read_text()[-4000:]}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory):
    """One real OpenSearch node for the whole run (started only if a test asks for it).

    OPENSEARCH_TEST_URL points the run at a node that is already running instead (quicker when
    re-running a few tests by hand); its indices named test-listings* are replaced.
    """
    if os.environ.get("OPENSEARCH_TEST_URL"):
        yield Node(url=os.environ["OPENSEARCH_TEST_URL"].rstrip("/"), process=None, log=None)
        return
    node = start_node(tmp_path_factory.mktemp("opensearch") / "home")
    yield node
    node.stop()

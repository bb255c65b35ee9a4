"""Search engines beside the database backend in `python -m bench.search --backend opensearch`.

The parent process starts one OpenSearch node (built from search/engine/ with Maven, as the
tests do) unless OPENSEARCH_URL names one, and tells each size's worker about it through the
environment. The worker, after timing the database backend, loads the same synthetic listings
through the backend's own `build_index` (bulk batches into a new index, alias switched when
done) and times the same queries through `backend.search`, facets included, as the database
backend is timed. Figures: p50/p95 wall time, index build time and index size on disk, next to
the database backend's p50/p95 and its SQLite file size from the same run.
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ENGINES = ("opensearch",)
ENGINE_DIR = Path(__file__).resolve().parents[1] / "search" / "engine"
ENV_NAME = "BENCH_ENGINES"
LOAD_BATCH = 1_000


def log(message: str) -> None:
    print(f"[bench.search] {message}", file=sys.stderr, flush=True)


class EngineNode:
    """An OpenSearch node this run started (stopped by `stop`), or one named by OPENSEARCH_URL."""

    def __init__(self):
        self.process = None
        self.url = os.environ.get("OPENSEARCH_URL", "")

    def start(self) -> None:
        """Build search/engine with Maven (cached) and start a node on a free port; wait for it."""
        if self.url:
            return
        mvn, java = shutil.which("mvn"), shutil.which("java")
        if not (mvn and java):
            raise SystemExit("--backend opensearch needs java and mvn on PATH, or OPENSEARCH_URL")
        log("building search/engine (mvn -q package)")
        subprocess.run([mvn, "-q", "-B", "package"], cwd=ENGINE_DIR, check=True)  # noqa: S603
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        home = Path(tempfile.mkdtemp(prefix="lsm-bench-opensearch-"))
        classpath = f"{ENGINE_DIR / 'target' / 'classes'}{os.pathsep}{ENGINE_DIR / 'target' / 'lib' / '*'}"
        # 1 GB heap: 100k listings' bulk loading; production nodes get far more (see docs).
        self.process = subprocess.Popen(  # noqa: S603
            [java, "-Xms1g", "-Xmx1g", "-cp", classpath, "lsm.search.EmbeddedNode", str(port), str(home)],
            stdin=subprocess.PIPE,
            stdout=(home / "node.log").open("wb"),
            stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"OpenSearch node exited; see {home / 'node.log'}")
            try:
                with urllib.request.urlopen(f"{self.url}/_cluster/health", timeout=5):  # noqa: S310
                    log(f"OpenSearch node up at {self.url}")
                    return
            except OSError:
                time.sleep(1)
        raise SystemExit("OpenSearch node did not start in 300 s")

    def stop(self) -> None:
        """Stop the node if this run started it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def start(backends: list[str]) -> EngineNode | None:
    """In the parent: start what `backends` needs and tell the workers (environment)."""
    engines = [name for name in backends if name in ENGINES]
    if not engines:
        return None
    node = EngineNode()
    node.start()
    os.environ[ENV_NAME] = ",".join(engines)
    os.environ["OPENSEARCH_URL"] = node.url
    return node


def measure(size: int, seed: int, today, bench_queries, warmup: int, time_calls) -> dict:
    """In a worker: {engine name: figures} for each engine the parent started (none: {})."""
    names = [name for name in os.environ.get(ENV_NAME, "").split(",") if name]
    return {name: _measure_opensearch(size, seed, today, bench_queries, warmup, time_calls) for name in names}


def _measure_opensearch(size, seed, today, bench_queries, warmup, time_calls) -> dict:
    from django.conf import settings

    from search.backends import get_search_backend, reset_backends
    from search.backends._querybody import ListingDocument

    from . import search_data

    settings.OPENSEARCH_URL = os.environ["OPENSEARCH_URL"]
    settings.OPENSEARCH_INDEX = f"bench-listings-{size}"
    # Time every answer, however slow: with the site's 2 s timeout a slow search would be
    # answered (and timed) by the database backend instead. Fallbacks are counted below.
    settings.OPENSEARCH_TIMEOUT = 120
    reset_backends()
    backend = get_search_backend("opensearch")
    vocab = search_data.load_vocabularies()

    def batches():
        batch = []
        for listing in search_data.generate(size, seed, vocab, today):
            doc = search_data.document(listing, vocab)
            batch.append((doc["id"], ListingDocument.from_document(doc).to_dict()))
            if len(batch) == LOAD_BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    def progress(done, total):
        if done % 20_000 == 0 or done == total:
            log(f"size={size}: opensearch indexed {done}/{total}")

    log(f"size={size}: building the opensearch index")
    started = time.perf_counter()
    loaded = backend.build_index(batches(), size, progress=progress)
    build_s = time.perf_counter() - started
    stats = backend.index_stats()
    # A fallback answer would be the database backend's figure under the engine's name.
    if backend.search(bench_queries[0].query).backend != "opensearch":
        return {"skipped": "fell-back-to-database"}
    log(f"size={size}: timing the opensearch backend on {len(bench_queries) - warmup} queries")
    fallbacks = []

    def call(query):
        results = backend.search(query)
        if results.backend != "opensearch":
            fallbacks.append(query)
        return results.count

    timed = time_calls(call, bench_queries, warmup)
    wall = sorted(timed["wall"])
    log(
        f"size={size}: opensearch p50_ms={statistics.median(wall) * 1000:.1f} "
        f"p95_ms={wall[min(len(wall) - 1, int(0.95 * len(wall)))] * 1000:.1f} build_s={build_s:.1f} "
        f"index_mb={stats['bytes'] / 1e6:.1f} fallbacks={len(fallbacks)}"
    )
    return {
        "wall": timed["wall"],
        "cpu": timed["cpu"],
        "results_mean": statistics.fmean(timed["counts"]),
        "build_s": round(build_s, 1),
        "docs": loaded,
        "index_mb": round(stats["bytes"] / 1e6, 1),
        "fallbacks": len(fallbacks),
    }


def print_lines(sizes: list[int], results: dict, percentiles, fmt, database_file) -> None:
    """One line per engine and size, beside the database backend's figures from the same run."""
    for size in sizes:
        db = results[size]
        db_p50, db_p95 = percentiles(db["wall"])
        for name, figures in db.get("engines", {}).items():
            if "skipped" in figures:
                print(f"backend={name} size={size} skipped={figures['skipped']}", flush=True)
                continue
            p50, p95 = percentiles(figures["wall"])
            db_mb = database_file(size).stat().st_size / 1e6
            print(
                f"backend={name} size={size} p50_ms={fmt(p50)} p95_ms={fmt(p95)} "
                f"results_mean={figures['results_mean']:.1f} build_s={figures['build_s']} "
                f"index_mb={figures['index_mb']} fallbacks={figures['fallbacks']} "
                f"| database p50_ms={fmt(db_p50)} p95_ms={fmt(db_p95)} "
                f"results_mean={db['results_mean']:.1f} sqlite_file_mb={db_mb:.1f}",
                flush=True,
            )

"""Reading a feed from its address page by page, politely, and keeping the directory in step.

`import_pages` follows a paged feed (`import_oruk URL --all-pages`, the registered feeds'
daily run): one request at a time with a pause between them, a timeout on each, retries with
growing waits when the server fails (5xx) or does not answer, and a clear stop when it refuses
(4xx). Each page is imported (and committed) before the next is fetched, and the `Feed`
remembers the next page, so a stopped read resumes where it stopped (`--resume`).

When the whole feed has been read, listings it held last time but no longer holds are
unpublished, with the reason written to the page's history. A feed that stopped part way
unpublishes nothing: a missing page is not a withdrawn service.
"""

import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from directory.models import Feed, ListingPage

from . import importer

DEFAULT_DELAY_SECONDS = 1.0
DEFAULT_TIMEOUT_SECONDS = 30
DEFAULT_RETRIES = 3
BACKOFF_SECONDS = 2.0
MAX_PAGES = 10_000
WITHDRAWN_ACTION = "directory.withdrawn_from_feed"
COUNTED = ("created", "updated", "unchanged", "skipped", "unpublished", "withdrawn", "errors", "warnings")


@dataclass
class FeedRun:
    """What reading a feed did: totals over its pages, and whether it was read completely."""

    feed: Feed
    pages: int = 0
    records: int = 0
    complete: bool = False
    shape: str = ""
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    problems: list[str] = field(default_factory=list)
    stopped: str = ""

    def __str__(self):
        said = "; ".join(f"{name}: {value}" for name, value in self.counts.items())
        state = "read completely" if self.complete else f"stopped: {self.stopped}"
        read = f"{self.pages} page(s), {self.records} record(s) ({self.shape or 'nothing read'})"
        return f"{self.feed.name}: {read}; {said}. {state}."


def fetch(
    url: str, *, timeout: float, retries: int, backoff: float = BACKOFF_SECONDS, sleep=time.sleep
) -> bytes:
    """The body at `url`, retrying a failing (5xx) or silent server; raises FeedError on 4xx or giving up."""
    attempt = 0
    while True:
        try:
            return importer.read_source(source=url, timeout=timeout)
        except importer.FeedError as exc:
            status = getattr(exc.__cause__, "code", None)
            if status is not None and 400 <= status < 500:
                raise importer.FeedError(
                    f"{url} answered {status} {exc.__cause__.reason}: stopped (the server refused; "
                    "check the address, or whether the feed needs a key)."
                ) from exc
            if attempt >= retries:
                raise importer.FeedError(f"{exc} Gave up after {retries + 1} tries.") from exc
        # Wait longer after each failure, so a struggling server gets room to recover.
        sleep(backoff * 2**attempt)
        attempt += 1


def page_url(url: str, page: int) -> str:
    """`url` with its `page` query parameter set to `page`."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(page)))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def import_pages(
    *,
    feed: Feed,
    publish: bool | None = None,
    resume: bool = False,
    delay: float = DEFAULT_DELAY_SECONDS,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    retries: int = DEFAULT_RETRIES,
    sleep=time.sleep,
) -> FeedRun:
    """Read every page of `feed`, importing each, then unpublish services that left the feed.

    Never raises for a feed problem: the run records it (`stopped`, `problems`) on the Feed, so
    a daily run over several feeds goes on to the next one.
    """
    publish = feed.publish if publish is None else publish
    run = FeedRun(feed=feed)
    url = feed.next_page_url if resume and feed.next_page_url else feed.url
    seen = set(feed.ids_in_progress) if resume and feed.next_page_url else set()
    if not (resume and feed.next_page_url):
        feed.pages_done = 0
    while url and run.pages < MAX_PAGES:
        if run.pages:
            sleep(delay)  # be polite: one request at a time, with a pause
        try:
            body = fetch(url, timeout=timeout, retries=retries, sleep=sleep)
            report = importer.import_feed(data=body, publish=publish, source=feed.url)
        except importer.FeedError as exc:
            run.stopped = str(exc)
            break
        run.pages += 1
        run.records += report.records
        run.shape = run.shape or report.shape
        seen |= {str(public_id) for public_id in report.seen}
        _add(run, report)
        page = report.page
        url = page_url(feed.url, page.next_page_param) if page and page.next_page_param is not None else ""
        feed.pages_done += 1
        feed.next_page_url = url
        feed.ids_in_progress = sorted(seen)
        feed.save(update_fields=["pages_done", "next_page_url", "ids_in_progress"])
    else:
        run.complete = not url
    if run.complete:
        run.counts["withdrawn"] = withdraw_missing(feed=feed, seen=seen)
        feed.service_ids = sorted(seen)
        feed.ids_in_progress = []
    _finish(feed, run)
    return run


def _add(run: FeedRun, report: importer.ImportReport) -> None:
    for name in ("created", "updated", "unchanged", "skipped", "unpublished"):
        run.counts[name] += getattr(report, name)
    run.counts["errors"] += len(report.errors)
    run.counts["warnings"] += len(report.warnings)
    run.problems += [f"Not imported: {problem}" for problem in report.errors]
    run.problems += [f"Warning: {problem}" for problem in report.warnings]


def withdraw_missing(*, feed: Feed, seen: set[str]) -> int:
    """Unpublish live, unclaimed listings the feed held last time and no longer holds."""
    gone = set(feed.service_ids) - seen
    reason = f"No longer in the feed “{feed.name}” ({feed.url}), which was read completely."
    count = 0
    listings = ListingPage.objects.live().filter(public_id__in=gone, provider__members__isnull=True)
    for listing in listings.distinct():
        with transaction.atomic():
            listing.unpublish(log_action=False)
            log(instance=listing, action=WITHDRAWN_ACTION, data={"reason": reason, "feed": feed.name})
        count += 1
    return count


def _finish(feed: Feed, run: FeedRun) -> None:
    feed.last_run_at = timezone.now()
    feed.shape = run.shape[:120]
    feed.counts = {"pages": run.pages, "records": run.records, **run.counts}
    if run.complete:
        feed.last_outcome = Feed.Outcome.COMPLETE
    else:
        feed.last_outcome = Feed.Outcome.STOPPED if run.pages else Feed.Outcome.FAILED
    lines = ([f"Stopped: {run.stopped}"] if run.stopped else []) + run.problems
    feed.problems = "\n".join(lines[:200])
    feed.save()


def import_registered_feeds(**options) -> list[FeedRun]:
    """Read every registered feed in turn (the daily task)."""
    return [import_pages(feed=feed, **options) for feed in Feed.objects.all()]

"""One run of one feed, under its lease: fetch (following a page to the feed it advertises, and
permanent moves), parse, normalize and publish the jobs batch by batch, then announce how the run
ended and record it in the registry. Whatever fails becomes the run's ending, as data.
"""

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx
from pydantic import BaseModel
from redis.asyncio import Redis

from infra.metrics import JOBS
from infra.redact import redact_url
from infra.redis_keys import RedisKeys
from infra.throttle import Throttled, TokenBucket, pause_host
from schemas import topics
from schemas.events import JobFetched, Outcome, ParseMode, RunFailed, RunFetched, RunStarted
from schemas.feeds import Feed
from services.fetcher import metrics, registry
from services.fetcher.config import Settings
from services.fetcher.download import RETRY_LATER, Fetched, FetchError, Validators, fetch
from services.fetcher.normalize import FeedNormalizer
from services.fetcher.parse import FeedParseError, FeedStream, advertised_feed, is_html_page, stream_feed
from services.fetcher.registry import host_of, source_of
from services.fetcher.wire import sendable

log = logging.getLogger(__name__)
FEED_CONTENT_TYPES = ("xml", "rss", "atom", "json")
HTML_HEAD_BYTES = 1024
ADHOC_PREFIX = "url-"  # the id of a feed requested by URL, not in the registry


class Publisher(Protocol):
    """Sends (key, event) pairs to a topic and returns once the broker has acknowledged all."""

    async def __call__(self, topic: str, messages: Sequence[tuple[str, BaseModel]]) -> None: ...


@dataclass(frozen=True)
class Dependencies:
    """What the handlers and a run use, built once by the wiring (tests build their own)."""

    settings: Settings
    http: httpx.AsyncClient
    redis: Redis
    feeds: registry.Feeds
    publish: Publisher
    clock: Callable[[], datetime]

    @property
    def keys(self) -> RedisKeys:
        return RedisKeys(self.settings.kafka_topic_prefix)

    @property
    def in_flight(self) -> registry.RunsInFlight:
        return registry.RunsInFlight(self.redis, self.keys)


@dataclass(frozen=True)
class Published:
    expected_statuses: int
    total_fetched: int
    duplicates: int
    warnings: list[str]


async def run_feed(deps: Dependencies, feed: Feed, run: RunStarted, recovering: bool) -> None:
    """Import the feed as `run`; whatever fails becomes the run's ending, as data."""
    prefix = "the fetcher stopped during the fetch, and fetching again failed: " if recovering else ""
    try:
        await _fetch_and_publish(deps, feed, run, recovering)
    except Throttled as error:
        await _fail(deps, feed, run, f"{prefix}host paused for {error.seconds:.0f} s", None, error.seconds)
    except FetchError as error:
        await _fail(deps, feed, run, prefix + str(error), error.http_status, error.retry_after)
    except FeedParseError as error:
        metrics.PARSES.labels("failed").inc()
        await _fail(deps, feed, run, prefix + str(error), None, None)
    except Exception as error:  # a bug or a dependency down: the run still ends, as data
        log.exception("run crashed", extra={"feed_id": feed.id, "run_id": run.run_id})
        await _fail(deps, feed, run, f"{prefix}internal error: {type(error).__name__}", None, None)


async def _fetch_and_publish(deps: Dependencies, feed: Feed, run: RunStarted, recovering: bool) -> None:
    # Fetching again for a stopped run asks for the whole feed: a 304 would end it with no jobs.
    stored = None if recovering else await registry.load(deps.feeds, feed.id)
    validators = Validators(stored.etag, stored.last_modified) if stored else Validators()
    fetched = await _fetch(deps, feed, feed.url, validators)
    fetched, discovered = await _discover(deps, feed, fetched)
    with fetched:
        await _follow_moves(deps, feed, fetched, discovered)
        stream = None if fetched.not_modified else await asyncio.to_thread(_open, deps.settings, fetched)
        if stream:
            metrics.PARSES.labels(stream.parse_mode.value).inc()
        if stream and discovered:
            stream.warnings.append(
                f"{redact_url(feed.url)} is an HTML page: read the feed it advertises, "
                + redact_url(discovered)
            )
        if stream and recovering:
            stream.warnings.append("the fetcher importing this run stopped during the fetch; fetched again")
        published = await _publish_jobs(deps, feed, run, stream) if stream else Published(0, 0, 0, [])
        metrics.PARSE_WARNINGS.inc(len(published.warnings))
    await announce(deps, _fetched_event(run, fetched, stream, published))
    await registry.record_success(
        deps.feeds,
        feed.id,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        ttl_minutes=stream.ttl_minutes if stream else None,
        cache_max_age_seconds=fetched.cache_max_age,
        now=deps.clock(),
    )
    log.info(
        "feed fetched", extra={"feed_id": feed.id, "run_id": run.run_id, "jobs": published.expected_statuses}
    )


async def _discover(deps: Dependencies, feed: Feed, page: Fetched) -> tuple[Fetched, str | None]:
    """An HTML page that advertises a feed is followed to that feed, as feed readers do: one hop,
    fetched as any feed is (same limits, same address checks), or the run fails saying why."""
    if page.not_modified or not _is_html_page(page):
        return page, None
    with page:
        url = await asyncio.to_thread(advertised_feed, page.body, page.url)
    fetched = await _fetch(deps, feed, url, Validators())
    if _is_html_page(fetched):
        fetched.close()
        raise FeedParseError(f"not a job feed: the page advertises {redact_url(url)}, an HTML page too")
    return fetched, url


async def _fetch(deps: Dependencies, feed: Feed, url: str, validators: Validators) -> Fetched:
    """One request for `feed`, within its host's rate and the feed's limits."""
    settings = deps.settings
    await _host_bucket(deps).take(host_of(url), longest_wait=settings.fetch_longest_host_wait_seconds)
    status, size, started = None, 0, time.perf_counter()
    try:
        fetched = await fetch(
            deps.http,
            url,
            max_bytes=feed.max_bytes or settings.fetch_max_bytes,
            total_timeout=settings.fetch_timeout_seconds,
            validators=validators,
        )
        status, size = fetched.http_status, fetched.size
        return fetched
    except FetchError as error:
        status = error.http_status
        raise
    finally:
        metrics.observe_fetch(*_labels(feed, url), status, time.perf_counter() - started, size)


async def _follow_moves(deps: Dependencies, feed: Feed, fetched: Fetched, discovered: str | None) -> None:
    """The registry keeps where the feed lives now: after permanent redirects, or as discovered."""
    if url := fetched.permanent_url or discovered:
        await registry.move_url(deps.feeds, feed.id, url, source=_source_kept(feed, discovered))


def _open(settings: Settings, fetched: Fetched) -> FeedStream:
    stream = stream_feed(fetched.body, fetched.charset, settings.fetch_max_items, fetched.content_type)
    if fetched.content_type and not any(kind in fetched.content_type for kind in FEED_CONTENT_TYPES):
        stream.warnings.append(f"served as {fetched.content_type}, read as a feed anyway")
    return stream


async def _publish_jobs(deps: Dependencies, feed: Feed, run: RunStarted, stream: FeedStream) -> Published:
    """Normalize and publish batch by batch, so a huge feed never sits in memory whole."""
    settings = deps.settings
    normalizer = FeedNormalizer(feed.source or source_of(feed.url), stream.format, run, feed.field_map)
    batches = stream.batches(settings.fetch_batch_size)
    expected = total = 0
    no_more: list[dict[str, Any]] = []
    while items := await asyncio.to_thread(next, batches, no_more):
        jobs, invalid = normalizer.batch(items)
        # A job the broker would refuse fails alone, as an invalid item does: one status each.
        fetched, refused = sendable(
            [(job.job_key, JobFetched(**_job_fields(run), job=job)) for job in jobs],
            settings.kafka_max_message_bytes,
        )
        await deps.publish(settings.topic(topics.JOBS_FETCHED), fetched)
        statuses = [(run.run_id, status) for status in invalid + refused]
        await deps.publish(settings.topic(topics.JOBS_STATUS), statuses)
        JOBS.labels(Outcome.FAILED.value).inc(len(statuses))  # no processor sees these
        expected, total = expected + len(jobs) + len(invalid), total + len(items)
    return Published(expected, total, normalizer.duplicates, stream.warnings + normalizer.warnings)


def _host_bucket(deps: Dependencies) -> TokenBucket:
    settings, keys = deps.settings, deps.keys
    per_second = settings.fetch_host_requests_per_minute / 60
    return TokenBucket(
        deps.redis, keys.host_requests(), settings.fetch_host_burst, per_second, keys.host_pause
    )


async def _fail(
    deps: Dependencies,
    feed: Feed,
    run: RunStarted,
    error: str,
    http_status: int | None,
    retry_after: float | None,
) -> None:
    await announce(deps, RunFailed(**run_fields(run), error=error, http_status=http_status))
    if http_status in RETRY_LATER and retry_after:
        await pause_host(deps.redis, deps.keys.host_pause(host_of(feed.url)), retry_after)
        metrics.HOST_PAUSES.labels(_labels(feed, feed.url)[1]).inc()
    await registry.record_failure(
        deps.feeds, feed.id, error=error, retry_after_seconds=retry_after, now=deps.clock()
    )
    log.warning("feed failed", extra={"feed_id": feed.id, "run_id": run.run_id, "error": error})


async def announce(deps: Dependencies, event: RunStarted | RunFetched | RunFailed) -> None:
    await deps.publish(deps.settings.topic(topics.IMPORTS_RUNS), [(event.run_id, event)])


def _is_html_page(fetched: Fetched) -> bool:
    head = fetched.body.read(HTML_HEAD_BYTES)
    fetched.body.seek(0)
    return is_html_page(head)


def _source_kept(feed: Feed, discovered: str | None) -> str | None:
    """The page's site stays the jobs' source when the feed it advertises lives on another site (a
    feed host): job keys derive from the source and must not change once the registry moves."""
    if feed.source or not discovered or source_of(discovered) == source_of(feed.url):
        return None
    return source_of(feed.url)


def _fetched_event(
    run: RunStarted, fetched: Fetched, stream: FeedStream | None, published: Published
) -> RunFetched:
    return RunFetched(
        **run_fields(run),
        expected_statuses=published.expected_statuses,
        total_fetched=published.total_fetched,
        duplicates=published.duplicates,
        http_status=fetched.http_status,
        not_modified=fetched.not_modified,
        bytes=fetched.size,
        parse_mode=stream.parse_mode if stream else ParseMode.STRICT,
        warnings=published.warnings,
    )


def run_fields(run: RunStarted) -> dict[str, Any]:
    return run.model_dump(include={"run_id", "trigger_id", "trigger", "feed_id", "feed_url"})


def _job_fields(run: RunStarted) -> dict[str, Any]:
    return run.model_dump(include={"run_id", "trigger_id", "feed_id"})


def adhoc_feed(url: str) -> Feed:
    return Feed(id=ADHOC_PREFIX + hashlib.sha256(url.encode()).hexdigest()[:12], url=url)


def _labels(feed: Feed, url: str) -> tuple[str, str]:
    """The metrics' feed and host labels: a feed outside the registry is `adhoc` (any URL may be one)."""
    if feed.id.startswith(ADHOC_PREFIX):
        return metrics.ADHOC, metrics.ADHOC
    return feed.id, host_of(url)

"""Import feeds: one run per feed per trigger, from fetch to one JobFetched per unique job."""

import asyncio
import hashlib
import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from pydantic import BaseModel
from redis.asyncio import Redis

from infra.redact import redact_url
from infra.throttle import LeaseHeld, Throttled, TokenBucket, lease, pause_host
from schemas import topics
from schemas.events import ImportRequested, JobFetched, ParseMode, RunFailed, RunFetched, RunStarted
from schemas.feeds import Feed
from services.fetcher import registry
from services.fetcher.config import Settings
from services.fetcher.fetch import Fetched, FetchError, Validators, fetch
from services.fetcher.health import host_of
from services.fetcher.identity import source_of
from services.fetcher.normalize import FeedNormalizer
from services.fetcher.parse import FeedParseError, FeedStream, stream_feed

log = logging.getLogger(__name__)
FEED_CONTENT_TYPES = ("xml", "rss", "atom")
RETRYABLE = {429, 503}


class Publisher(Protocol):
    """Sends (key, event) pairs to a topic and returns once the broker has acknowledged all."""

    async def __call__(self, topic: str, messages: Sequence[tuple[str, BaseModel]]) -> None: ...


@dataclass(frozen=True)
class Published:
    expected_statuses: int
    total_fetched: int
    duplicates: int
    warnings: list[str]


@dataclass
class Fetcher:
    settings: Settings
    http: httpx.AsyncClient
    redis: Redis
    publish: Publisher

    async def import_feeds(self, request: ImportRequested) -> None:
        found, unknown = await registry.find(request.feeds)
        feeds: list[Feed] = [*found, *(adhoc_feed(name) for name in unknown if _is_url(name))]
        limit = asyncio.Semaphore(self.settings.fetch_concurrency)

        async def bounded(feed: Feed) -> None:
            async with limit:
                await self.import_feed(feed, request)

        for name in unknown:
            if not _is_url(name):
                await self._refuse(request, name, f"unknown feed {name!r}")
        await asyncio.gather(*(bounded(feed) for feed in feeds))

    async def import_feed(self, feed: Feed, request: ImportRequested) -> None:
        run = new_run(request, feed.id, redact_url(feed.url))
        await self._announce(run)
        try:
            key, holder = f"fetcher:lease:{feed.id}", self.settings.fetcher_instance
            async with lease(self.redis, key, self.settings.fetch_lease_seconds, holder):
                await self._run(feed, run)
        except LeaseHeld as held:  # another run is importing this feed right now: nothing to record
            error = f"feed is already being imported by {held.holder}"
            await self._announce(RunFailed(**_run_fields(run), error=error))
        except Throttled as error:
            await self._fail(feed, run, f"host paused for {error.seconds:.0f} s", None, error.seconds)
        except FetchError as error:
            await self._fail(feed, run, str(error), error.http_status, error.retry_after)
        except FeedParseError as error:
            await self._fail(feed, run, str(error), None, None)
        except Exception as error:  # a bug or a dependency down: the run still ends, as data
            log.exception("run crashed", extra={"feed_id": feed.id, "run_id": run.run_id})
            await self._fail(feed, run, f"internal error: {type(error).__name__}", None, None)

    async def _run(self, feed: Feed, run: RunStarted) -> None:
        stored = await registry.load(feed.id)
        await self._host_bucket().take(
            host_of(feed.url), longest_wait=self.settings.fetch_longest_host_wait_seconds
        )
        fetched = await fetch(
            self.http,
            feed.url,
            max_bytes=feed.max_bytes or self.settings.fetch_max_bytes,
            total_timeout=self.settings.fetch_timeout_seconds,
            validators=Validators(stored.etag, stored.last_modified) if stored else Validators(),
        )
        with fetched:
            if fetched.permanent_url:
                await registry.move_url(feed.id, fetched.permanent_url)
            stream = None if fetched.not_modified else await asyncio.to_thread(self._open, fetched)
            published = await self._publish_jobs(feed, run, stream) if stream else Published(0, 0, 0, [])
        await self._announce(_fetched_event(run, fetched, stream, published))
        await registry.record_success(
            feed.id,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            ttl_minutes=stream.ttl_minutes if stream else None,
            cache_max_age_seconds=fetched.cache_max_age,
        )
        log.info(
            "feed fetched",
            extra={"feed_id": feed.id, "run_id": run.run_id, "jobs": published.expected_statuses},
        )

    def _open(self, fetched: Fetched) -> FeedStream:
        stream = stream_feed(fetched.body, fetched.charset, self.settings.fetch_max_items)
        if fetched.content_type and not any(kind in fetched.content_type for kind in FEED_CONTENT_TYPES):
            stream.warnings.append(f"served as {fetched.content_type}, read as a feed anyway")
        return stream

    async def _publish_jobs(self, feed: Feed, run: RunStarted, stream: FeedStream) -> Published:
        """Normalize and publish batch by batch, so a huge feed never sits in memory whole."""
        normalizer = FeedNormalizer(feed.source or source_of(feed.url), stream.format, run, feed.field_map)
        batches = stream.batches(self.settings.fetch_batch_size)
        expected = total = 0
        no_more: list[dict[str, Any]] = []
        while items := await asyncio.to_thread(next, batches, no_more):
            jobs, invalid = normalizer.batch(items)
            fetched = [(job.job_key, JobFetched(**_job_fields(run), job=job)) for job in jobs]
            await self.publish(self.settings.topic(topics.JOBS_FETCHED), fetched)
            await self.publish(self.settings.topic(topics.JOBS_STATUS), [(run.run_id, s) for s in invalid])
            expected, total = expected + len(jobs) + len(invalid), total + len(items)
        return Published(expected, total, normalizer.duplicates, stream.warnings + normalizer.warnings)

    def _host_bucket(self) -> TokenBucket:
        per_second = self.settings.fetch_host_requests_per_minute / 60
        return TokenBucket(self.redis, "fetcher:host", self.settings.fetch_host_burst, per_second)

    async def _fail(
        self, feed: Feed, run: RunStarted, error: str, http_status: int | None, retry_after: float | None
    ) -> None:
        await self._announce(RunFailed(**_run_fields(run), error=error, http_status=http_status))
        if http_status in RETRYABLE and retry_after:
            await pause_host(self.redis, host_of(feed.url), retry_after)
        await registry.record_failure(feed.id, error=error, retry_after_seconds=retry_after)
        log.warning("feed failed", extra={"feed_id": feed.id, "run_id": run.run_id, "error": error})

    async def _refuse(self, request: ImportRequested, name: str, error: str) -> None:
        run = new_run(request, name, "")
        await self._announce(run)
        await self._announce(RunFailed(**_run_fields(run), error=error))

    async def _announce(self, event: RunStarted | RunFetched | RunFailed) -> None:
        await self.publish(self.settings.topic(topics.IMPORTS_RUNS), [(event.run_id, event)])


def _fetched_event(
    run: RunStarted, fetched: Fetched, stream: FeedStream | None, published: Published
) -> RunFetched:
    return RunFetched(
        **_run_fields(run),
        expected_statuses=published.expected_statuses,
        total_fetched=published.total_fetched,
        duplicates=published.duplicates,
        http_status=fetched.http_status,
        not_modified=fetched.not_modified,
        bytes=fetched.size,
        parse_mode=stream.parse_mode if stream else ParseMode.STRICT,
        warnings=published.warnings,
    )


def new_run(request: ImportRequested, feed_id: str, feed_url: str) -> RunStarted:
    # Run ids start with the start time in hex, so history sorts by run_id.
    run_id = f"{time.time_ns():016x}{secrets.token_hex(4)}"
    return RunStarted(
        run_id=run_id,
        trigger_id=request.trigger_id,
        trigger=request.trigger,
        feed_id=feed_id,
        feed_url=feed_url,
    )


def _run_fields(run: RunStarted) -> dict[str, Any]:
    return run.model_dump(include={"run_id", "trigger_id", "trigger", "feed_id", "feed_url"})


def _job_fields(run: RunStarted) -> dict[str, Any]:
    return run.model_dump(include={"run_id", "trigger_id", "feed_id"})


def _is_url(reference: str) -> bool:
    return reference.startswith(("http://", "https://"))


def adhoc_feed(url: str) -> Feed:
    return Feed(id="url-" + hashlib.sha256(url.encode()).hexdigest()[:12], url=url)

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

from infra.throttle import LeaseHeld, TokenBucket, lease
from schemas import topics
from schemas.events import (
    ImportRequested,
    JobFetched,
    ParseMode,
    RunFailed,
    RunFetched,
    RunStarted,
)
from schemas.feeds import Feed
from services.fetcher import registry
from services.fetcher.config import Settings
from services.fetcher.fetch import FetchError, Validators, fetch
from services.fetcher.identity import source_of
from services.fetcher.normalize import Normalized, normalize_feed
from services.fetcher.parse import FeedParseError, ParsedFeed, parse_feed

log = logging.getLogger(__name__)


class Publisher(Protocol):
    """Sends (key, event) pairs to a topic and returns once the broker has acknowledged all."""

    async def __call__(self, topic: str, messages: Sequence[tuple[str, BaseModel]]) -> None: ...


@dataclass
class Fetcher:
    settings: Settings
    http: httpx.AsyncClient
    redis: Redis
    publish: Publisher

    async def import_feeds(self, request: ImportRequested) -> None:
        found, unknown = await registry.find(request.feeds)
        feeds: list[Feed] = list(found)
        feeds += [adhoc_feed(reference) for reference in unknown if _is_url(reference)]
        limit = asyncio.Semaphore(self.settings.fetch_concurrency)

        async def bounded(feed: Feed) -> None:
            async with limit:
                await self.import_feed(feed, request)

        for reference in unknown:
            if not _is_url(reference):
                await self._refuse(request, reference, f"unknown feed {reference!r}")
        await asyncio.gather(*(bounded(feed) for feed in feeds))

    async def import_feed(self, feed: Feed, request: ImportRequested) -> None:
        run = RunStarted(
            run_id=new_run_id(),
            trigger_id=request.trigger_id,
            trigger=request.trigger,
            feed_id=feed.id,
            feed_url=feed.url,
        )
        await self._announce(run)
        try:
            async with lease(self.redis, f"fetcher:lease:{feed.id}", self.settings.fetch_lease_seconds):
                await self._run(feed, run)
        except LeaseHeld:
            await self._fail(feed, run, "feed is already being imported by another run", None)
        except (FetchError, FeedParseError) as error:
            await self._fail(feed, run, str(error), getattr(error, "http_status", None))
        except Exception as error:  # a bug or a dependency down: the run still ends, as data
            log.exception("run crashed", extra={"feed_id": feed.id, "run_id": run.run_id})
            await self._fail(feed, run, f"internal error: {type(error).__name__}: {error}", None)

    async def _run(self, feed: Feed, run: RunStarted) -> None:
        stored = await registry.load(feed.id)
        validators = Validators(stored.etag, stored.last_modified) if stored else Validators()
        host = httpx.URL(feed.url).host
        await TokenBucket(
            self.redis,
            "fetcher:host",
            self.settings.fetch_host_burst,
            self.settings.fetch_host_requests_per_minute / 60,
        ).take(host)
        fetched = await fetch(
            self.http,
            feed.url,
            max_bytes=self.settings.fetch_max_bytes,
            total_timeout=self.settings.fetch_timeout_seconds,
            allow_private=self.settings.fetch_allow_private_networks,
            validators=validators,
        )
        parsed = None if fetched.not_modified else parse_feed(fetched.body)
        normalized = await self._publish_jobs(feed, run, parsed)
        await self._announce(
            RunFetched(
                **_run_fields(run),
                expected_statuses=len(normalized.jobs) + len(normalized.invalid),
                total_fetched=len(parsed.items) if parsed else 0,
                duplicates=normalized.duplicates,
                http_status=fetched.http_status,
                not_modified=fetched.not_modified,
                bytes=len(fetched.body),
                parse_mode=parsed.parse_mode if parsed else ParseMode.STRICT,
                warnings=normalized.warnings,
            )
        )
        await registry.record_attempt(feed, None, fetched.etag, fetched.last_modified)
        log.info(
            "feed fetched", extra={"feed_id": feed.id, "run_id": run.run_id, "jobs": len(normalized.jobs)}
        )

    async def _publish_jobs(self, feed: Feed, run: RunStarted, parsed: ParsedFeed | None) -> Normalized:
        if parsed is None:
            return Normalized([], [], 0, [])
        normalized = normalize_feed(parsed, source_of(feed.url), run)
        fetched = [
            (job.job_key, JobFetched(run_id=run.run_id, trigger_id=run.trigger_id, feed_id=feed.id, job=job))
            for job in normalized.jobs
        ]
        await self.publish(self.settings.topic(topics.JOBS_FETCHED), fetched)
        invalid = [(run.run_id, status) for status in normalized.invalid]
        await self.publish(self.settings.topic(topics.JOBS_STATUS), invalid)
        return normalized

    async def _fail(self, feed: Feed, run: RunStarted, error: str, http_status: int | None) -> None:
        await self._announce(RunFailed(**_run_fields(run), error=error, http_status=http_status))
        await registry.record_attempt(feed, error)
        log.warning("feed failed", extra={"feed_id": feed.id, "run_id": run.run_id, "error": error})

    async def _refuse(self, request: ImportRequested, reference: str, error: str) -> None:
        run = RunStarted(
            run_id=new_run_id(),
            trigger_id=request.trigger_id,
            trigger=request.trigger,
            feed_id=reference,
            feed_url="",
        )
        await self._announce(run)
        await self._announce(RunFailed(**_run_fields(run), error=error))

    async def _announce(self, event: RunStarted | RunFetched | RunFailed) -> None:
        await self.publish(self.settings.topic(topics.IMPORTS_RUNS), [(event.run_id, event)])


def _run_fields(run: RunStarted) -> dict[str, Any]:
    return run.model_dump(include={"run_id", "trigger_id", "trigger", "feed_id", "feed_url"})


def new_run_id() -> str:
    """Unique and ordered by start time (nanoseconds in hex first), so history sorts by run_id."""
    return f"{time.time_ns():016x}{secrets.token_hex(4)}"


def _is_url(reference: str) -> bool:
    return reference.startswith(("http://", "https://"))


def adhoc_feed(url: str) -> Feed:
    return Feed(id="url-" + hashlib.sha256(url.encode()).hexdigest()[:12], url=url)

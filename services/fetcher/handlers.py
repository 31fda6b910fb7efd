"""Import feeds: one run per feed per trigger (`run.py` does each run); the scheduler's tick and the
recovery of runs whose fetcher stopped.

Module-level functions over `Dependencies` (settings, HTTP client, Redis, the feeds collection, a
publisher, a clock), so each can be called, and tested, without the wiring in `app.py`.
"""

import asyncio
import contextlib
import logging
import secrets
import time
import uuid

from redis.exceptions import RedisError

from infra.logs import concerning
from infra.redact import redact_url
from infra.throttle import LeaseHeld, lease
from schemas import topics
from schemas.events import ImportRequested, RunFailed, RunStarted, Trigger
from schemas.feeds import Feed
from services.fetcher import registry
from services.fetcher.run import Dependencies, Publisher, adhoc_feed, announce, run_feed, run_fields

__all__ = [
    "Dependencies",
    "Publisher",
    "import_feed",
    "import_feeds",
    "new_run",
    "recover",
    "recover_runs",
    "request_due_feeds",
    "schedule",
]

log = logging.getLogger(__name__)


async def import_feeds(deps: Dependencies, request: ImportRequested) -> None:
    """One run per feed the request names (every enabled feed when it names none)."""
    log.info("import requested", extra={"feeds": request.feeds})
    found, unknown = await registry.find(deps.feeds, request.feeds)
    feeds: list[Feed] = [*found, *(adhoc_feed(name) for name in unknown if _is_url(name))]
    limit = asyncio.Semaphore(deps.settings.fetch_concurrency)

    async def bounded(feed: Feed) -> None:
        async with limit:
            await import_feed(deps, feed, request)

    for name in unknown:
        if not _is_url(name):
            await _refuse(deps, request, name, f"unknown feed {name!r}")
    await asyncio.gather(*(bounded(feed) for feed in feeds))


async def import_feed(deps: Dependencies, feed: Feed, request: ImportRequested) -> None:
    with concerning(trigger_id=request.trigger_id, feed_id=feed.id):
        if await _delivered_before(deps, request, feed):
            return
        run = new_run(request, feed.id, redact_url(feed.url))
        with concerning(run_id=run.run_id):
            await _import(deps, feed, run)


async def request_due_feeds(deps: Dependencies) -> None:
    """The scheduler's tick: one ImportRequested per feed that is due and claimed by this replica."""
    for feed in await registry.claim_due(deps.feeds, deps.redis, deps.keys, deps.clock()):
        request = ImportRequested(trigger_id=uuid.uuid4().hex, trigger=Trigger.SCHEDULE, feeds=[feed.id])
        await deps.publish(deps.settings.topic(topics.IMPORTS_REQUESTED), [(request.trigger_id, request)])


async def schedule(deps: Dependencies) -> None:
    """Request the due feeds every tick, for as long as the fetcher runs."""
    while True:
        try:
            await request_due_feeds(deps)
        except Exception:
            log.exception("scheduler tick failed; retrying at the next tick")
        await asyncio.sleep(deps.settings.scheduler_tick_seconds)


async def recover_runs(deps: Dependencies) -> int:
    """Finish the runs whose fetcher stopped during the fetch: fetch each feed again, as that run.

    Jobs the stopped fetcher published are published again under the same run id, which the
    processor and the logger count once, so the run ends with the feed's exact counts.
    """
    recovered = 0
    for orphan in await deps.in_flight.orphans():
        run = orphan.run
        with (
            concerning(run_id=run.run_id, feed_id=run.feed_id, trigger_id=run.trigger_id),
            contextlib.suppress(LeaseHeld),  # another replica is on it, or the feed's next run
        ):
            await _leased(deps, orphan.feed, run, recovering=True)
            recovered += 1
    return recovered


async def recover(deps: Dependencies) -> None:
    """Look for stopped runs every interval, for as long as the fetcher runs."""
    while True:
        await asyncio.sleep(deps.settings.fetch_recovery_interval_seconds)
        try:
            if recovered := await recover_runs(deps):
                log.warning("runs of stopped fetchers fetched again", extra={"count": recovered})
        except Exception:
            log.exception("recovering stopped runs failed; retrying at the next interval")


async def _import(deps: Dependencies, feed: Feed, run: RunStarted) -> None:
    await announce(deps, run)
    try:
        await _leased(deps, feed, run)
    except LeaseHeld as held:  # another run is importing this feed right now: nothing to record
        error = f"feed is already being imported by {held.holder}"
        await announce(deps, RunFailed(**run_fields(run), error=error))
    except Exception as error:  # the lease could not be taken or given back (Redis away)
        log.exception("run crashed", extra={"feed_id": feed.id, "run_id": run.run_id})
        error_text = f"internal error: {type(error).__name__}"
        await announce(deps, RunFailed(**run_fields(run), error=error_text))


async def _delivered_before(deps: Dependencies, request: ImportRequested, feed: Feed) -> bool:
    """Requests come at least once: a copy whose run is in flight or over starts no second run."""
    try:
        if listed := await deps.in_flight.find(request.trigger_id, feed.id):
            # Its fetcher stopped mid-run: `recover_runs` finishes that run.
            log.info("import already in flight", extra={"feed_id": feed.id, "run_id": listed.run.run_id})
            return True
        return await deps.in_flight.ended(request.trigger_id, feed.id)
    except RedisError:  # no way to tell: import, and the run says why if Redis stays away
        return False


async def _leased(deps: Dependencies, feed: Feed, run: RunStarted, recovering: bool = False) -> None:
    key, settings = deps.keys.feed_lease(feed.id), deps.settings
    async with lease(deps.redis, key, settings.fetch_lease_seconds, settings.fetcher_instance):
        await deps.in_flight.listed(run, feed)
        try:
            await run_feed(deps, feed, run, recovering)
        finally:
            await deps.in_flight.unlisted(run)


async def _refuse(deps: Dependencies, request: ImportRequested, name: str, error: str) -> None:
    run = new_run(request, name, "")
    await announce(deps, run)
    await announce(deps, RunFailed(**run_fields(run), error=error))


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


def _is_url(reference: str) -> bool:
    return reference.startswith(("http://", "https://"))

"""Wiring: imports.requested (and the scheduler) → Fetcher → imports.runs, jobs.fetched, jobs.status."""

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher import DefaultPublisher
from pydantic import BaseModel
from redis.asyncio import Redis

from infra import health, logs, metrics, mongo
from infra.kafka import ensure_topics, make_broker
from infra.lifecycle import Resources
from schemas import topics
from schemas.events import ImportRequested, JobFetched, JobStatus, RunLifecycleEvent, Trigger
from services.fetcher import registry
from services.fetcher.config import Settings
from services.fetcher.download import make_client
from services.fetcher.handlers import Fetcher
from services.fetcher.registry import claim_due

log = logging.getLogger("fetcher")


def build(settings: Settings) -> FastStream:
    broker = make_broker(settings, "fetcher")
    redis = Redis.from_url(settings.redis_url)
    http = make_client(
        timeout=settings.fetch_timeout_seconds,
        connect_timeout=settings.fetch_connect_timeout_seconds,
        user_agent=settings.fetch_user_agent,
        allow_private=settings.fetch_allow_private_networks,
    )

    publishers = _publishers(broker, settings)

    async def publish(topic: str, messages: Sequence[tuple[str, BaseModel]]) -> None:
        sent = [await publishers[topic].publish(m, key=k.encode(), no_confirm=True) for k, m in messages]
        await asyncio.gather(*sent)

    fetcher = Fetcher(settings, http, redis, publish)

    @broker.subscriber(
        settings.topic(topics.IMPORTS_REQUESTED),
        group_id=settings.group(settings.fetcher_group_id),
        auto_offset_reset="earliest",
        max_poll_interval_ms=60 * 60 * 1000,  # one request may fetch many feeds
        ack_policy=AckPolicy.ACK,  # committed even on failure: failures become run events, not redeliveries
        title="ImportRequests",
        description="Requests to import feeds, from the gateway, the scheduler or replay.",
    )
    async def on_import_requested(request: ImportRequested) -> None:
        with logs.concerning(trigger_id=request.trigger_id):
            log.info("import requested", extra={"feeds": request.feeds})
            await fetcher.import_feeds(request)

    async def schedule() -> None:
        while True:
            try:
                for feed in await claim_due(redis, datetime.now(UTC)):
                    request = ImportRequested(
                        trigger_id=uuid.uuid4().hex, trigger=Trigger.SCHEDULE, feeds=[feed.id]
                    )
                    await publish(settings.topic(topics.IMPORTS_REQUESTED), [(request.trigger_id, request)])
            except Exception:
                log.exception("scheduler tick failed; retrying at the next tick")
            await asyncio.sleep(settings.scheduler_tick_seconds)

    async def recover() -> None:
        while True:
            await asyncio.sleep(settings.fetch_recovery_interval_seconds)
            try:
                if recovered := await fetcher.recover():
                    log.warning("runs of stopped fetchers fetched again", extra={"count": recovered})
            except Exception:
                log.exception("recovering stopped runs failed; retrying at the next interval")

    resources = Resources()
    resources.on_close(http.aclose)
    resources.on_close(redis.aclose)

    async def start() -> None:
        await ensure_topics(settings)
        client = await mongo.connect(settings, registry.INDEXES)
        resources.on_close(client.close)
        await registry.register(registry.read_feeds_file(settings.feeds_file))
        if settings.health_port:
            checks = {"kafka": lambda: broker.ping(timeout=2), "mongodb": health.mongodb(client)}
            checks["redis"] = health.redis(redis)
            lag = metrics.consumer_lag(broker)
            stop = await health.serve(settings.health_host, settings.health_port, checks, [lag])
            resources.on_close(stop)

    async def started() -> None:
        resources.run_in_background(recover())
        if settings.scheduler_enabled:
            resources.run_in_background(schedule())

    return FastStream(broker, on_startup=[start], after_startup=[started], after_shutdown=[resources.close])


def _publishers(broker: KafkaBroker, settings: Settings) -> dict[str, DefaultPublisher]:
    """Every topic the fetcher writes, declared so the AsyncAPI document shows what it sends."""
    return {
        publisher.topic: publisher
        for publisher in (
            broker.publisher(
                settings.topic(topics.IMPORTS_REQUESTED),
                schema=ImportRequested,
                title="ScheduledImports",
                description="The scheduler's request for each feed that is due, keyed by trigger_id.",
            ),
            broker.publisher(
                settings.topic(topics.IMPORTS_RUNS),
                schema=RunLifecycleEvent,
                title="RunEvents",
                description="RunStarted, then RunFetched or RunFailed, for each feed; keyed by run_id.",
            ),
            broker.publisher(
                settings.topic(topics.JOBS_FETCHED),
                schema=JobFetched,
                title="FetchedJobs",
                description="Every normalized job of a fetched feed, keyed by job_key.",
            ),
            broker.publisher(
                settings.topic(topics.JOBS_STATUS),
                schema=JobStatus,
                title="InvalidJobStatuses",
                description="A failed status for each item that cannot become a job, keyed by run_id.",
            ),
        )
    }

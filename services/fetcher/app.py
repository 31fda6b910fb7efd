"""Wiring: imports.requested (and the scheduler) → handlers → imports.runs, jobs.fetched, jobs.status."""

from datetime import UTC, datetime
from functools import partial
from typing import Any

from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from infra import health, logs
from infra.kafka import ensure_topics, make_broker
from infra.lifecycle import Resources
from schemas import topics
from schemas.events import ImportRequested
from services.fetcher import handlers, publishers, registry
from services.fetcher.config import Settings
from services.fetcher.download import make_client


def build(settings: Settings) -> FastStream:
    broker, resources = make_broker(settings, "fetcher"), Resources()
    deps = _dependencies(settings, broker, resources)

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
            await handlers.import_feeds(deps, request)

    async def start() -> None:
        await ensure_topics(settings)
        checks = {
            "mongodb": health.mongodb(deps.feeds.health.database.client),
            "redis": health.redis(deps.redis),
        }
        await health.serve_probes(settings, broker, checks, resources)

    async def started() -> None:
        resources.run_in_background(handlers.recover(deps))
        if settings.scheduler_enabled:
            resources.run_in_background(handlers.schedule(deps))

    return FastStream(broker, on_startup=[start], after_startup=[started], after_shutdown=[resources.close])


def _dependencies(settings: Settings, broker: KafkaBroker, resources: Resources) -> handlers.Dependencies:
    """The clients the handlers share (none connects before its first use) and the publisher."""
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=10_000
    )
    redis = Redis.from_url(settings.redis_url)
    http = make_client(
        timeout=settings.fetch_timeout_seconds,
        connect_timeout=settings.fetch_connect_timeout_seconds,
        user_agent=settings.fetch_user_agent,
        allow_private=settings.fetch_allow_private_networks,
    )
    for close in (http.aclose, redis.aclose, mongo.close):
        resources.on_close(close)
    feeds = registry.Feeds.of(mongo[settings.mongodb_database])
    publish = publishers.publisher(broker, settings)
    return handlers.Dependencies(settings, http, redis, feeds, publish, partial(datetime.now, UTC))

"""Wiring: Kafka batch consumer of jobs.fetched → import_jobs → jobs.status."""

import asyncio
import logging
from typing import Any

from faststream import AckPolicy, FastStream
from pydantic import ValidationError
from redis.asyncio import Redis

from infra import health, mongo
from infra.kafka import ensure_topics, make_broker
from infra.lifecycle import Resources
from infra.semaphore import RedisSemaphore
from schemas import topics
from schemas.events import JobFetched
from services.processor.config import Settings
from services.processor.handlers import import_jobs, rejected_status
from services.processor.store import INDEXES

log = logging.getLogger("processor")


def build(settings: Settings) -> FastStream:
    broker = make_broker(settings, "processor")
    redis = Redis.from_url(settings.redis_url)
    writes = RedisSemaphore(
        redis, settings.topic("processor:writes"), settings.processor_max_concurrent_writes
    )
    status_topic = settings.topic(topics.JOBS_STATUS)
    dead_letters = topics.dead_letter(settings.topic(topics.JOBS_FETCHED))

    @broker.subscriber(
        settings.topic(topics.JOBS_FETCHED),
        group_id=settings.group(settings.processor_group_id),
        batch=True,
        max_records=settings.processor_batch_size,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,  # offsets are committed only after the writes
    )
    async def on_jobs_fetched(messages: list[Any]) -> None:
        batch, poison = _decode(messages)
        rejected = [status for body in poison if (status := rejected_status(body))]
        statuses = rejected + await import_jobs(
            batch, settings.processor_write_attempts, settings.mongodb_bulk_size, writes.slot
        )
        sent = [
            await broker.publish(status, status_topic, key=status.run_id.encode(), no_confirm=True)
            for status in statuses
        ]
        sent += [await broker.publish(body, dead_letters, no_confirm=True) for body in poison]
        await asyncio.gather(*sent)
        log.info("batch imported", extra={"jobs": len(batch), "poison": len(poison)})

    async def ready() -> bool:
        return await broker.ping(timeout=2)

    resources = Resources()
    resources.on_close(redis.aclose)

    async def start() -> None:
        await ensure_topics(settings)
        client = await mongo.connect(settings, INDEXES)
        resources.on_close(client.close)
        if settings.health_port:
            checks = {"kafka": ready, "mongodb": health.mongodb(client), "redis": health.redis(redis)}
            resources.on_close(await health.serve(settings.health_port, checks))

    return FastStream(broker, on_startup=[start], after_shutdown=[resources.close])


def _decode(messages: list[Any]) -> tuple[list[JobFetched], list[Any]]:
    batch: list[JobFetched] = []
    poison: list[Any] = []
    for body in messages:
        try:
            batch.append(JobFetched.model_validate(body))
        except ValidationError:
            poison.append(body)
    return batch, poison

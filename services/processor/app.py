"""Wiring: Kafka batch consumer of jobs.fetched → import_jobs → jobs.status."""

import asyncio
import logging
from collections import Counter
from typing import Annotated, Any

from faststream import AckPolicy, FastStream
from faststream.kafka.annotations import KafkaMessage
from redis.asyncio import Redis

from infra import health, logs, metrics, mongo
from infra.kafka import DeadLetters, DocumentedAs, ensure_topics, lenient_batch, make_broker, split_poison
from infra.lifecycle import Resources
from infra.semaphore import RedisSemaphore
from schemas import topics
from schemas.events import JobFetched, JobStatus, Outcome
from services.processor.config import Settings
from services.processor.handlers import import_jobs, rejected_status
from services.processor.store import INDEXES

log = logging.getLogger("processor")


def build(settings: Settings) -> FastStream:
    for outcome in Outcome:  # each a series from the start, at 0: the first failure shows as a rise
        metrics.JOBS.labels(outcome.value)
    broker = make_broker(settings, "processor")
    redis = Redis.from_url(settings.redis_url)
    writes = RedisSemaphore(
        redis, settings.topic("processor:writes"), settings.processor_max_concurrent_writes
    )
    statuses_out = broker.publisher(
        settings.topic(topics.JOBS_STATUS),
        schema=JobStatus,
        title="JobStatuses",
        description="One status per job read from jobs.fetched, keyed by run_id.",
    )
    jobs_fetched = settings.topic(topics.JOBS_FETCHED)
    dead_letter_publisher = broker.publisher(
        topics.dead_letter(jobs_fetched),
        schema=bytes,
        title="PoisonJobsFetched",
        description="Messages of jobs.fetched that are not a JobFetched, byte for byte with their key; "
        "headers name the source topic, partition, offset, the reason and the attempt count.",
    )
    dead_letters = DeadLetters({jobs_fetched: dead_letter_publisher})

    @broker.subscriber(
        jobs_fetched,
        group_id=settings.group(settings.processor_group_id),
        batch=True,
        decoder=lenient_batch,
        max_records=settings.processor_batch_size,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,  # offsets are committed only after the writes
        title="JobsFetched",
        description="Jobs to store, read in batches; a message that is no JobFetched is dead-lettered.",
    )
    async def on_jobs_fetched(
        messages: Annotated[list[Any], DocumentedAs(JobFetched)], message: KafkaMessage
    ) -> None:
        with metrics.batch_handled(message.raw_message), logs.concerning(**logs.identities_of(messages)):
            batch, poison = split_poison(messages, message.raw_message, JobFetched.model_validate)
            rejected = [status for item in poison if (status := rejected_status(item.body))]
            statuses = rejected + await import_jobs(
                batch, settings.processor_write_attempts, settings.mongodb_bulk_size, writes.slot
            )
            sent = [
                await statuses_out.publish(status, key=status.run_id.encode(), no_confirm=True)
                for status in statuses
            ]
            await asyncio.gather(*sent, dead_letters.send(poison))
            # Counted once published (a batch that fails comes back), per outcome: 1.5 us a job otherwise.
            for outcome, count in Counter(status.outcome.value for status in statuses).items():
                metrics.JOBS.labels(outcome).inc(count)
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
            lag = metrics.consumer_lag(broker)
            stop = await health.serve(settings.health_host, settings.health_port, checks, [lag])
            resources.on_close(stop)

    return FastStream(broker, on_startup=[start], after_shutdown=[resources.close])

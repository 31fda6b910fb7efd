"""Wiring: Kafka batch consumer of jobs.fetched → handlers.import_batch → jobs.status."""

from typing import Annotated, Any

from faststream import AckPolicy, FastStream
from faststream.kafka.annotations import KafkaMessage
from redis.asyncio import Redis

from infra import health, kafka, logs, metrics, mongo
from infra.lifecycle import Resources
from infra.redis_keys import RedisKeys
from infra.semaphore import RedisSemaphore
from schemas import topics
from schemas.events import JobFetched, JobStatus, Outcome
from services.processor.config import Settings
from services.processor.handlers import Retry, import_batch
from services.processor.store import INDEXES, JobDocument, MongoJobStore


def build(settings: Settings) -> FastStream:
    for outcome in Outcome:  # each a series from the start, at 0: the first failure shows as a rise
        metrics.JOBS.labels(outcome.value)
    broker = kafka.make_broker(settings, "processor")
    redis = Redis.from_url(settings.redis_url)
    client = mongo.client(settings)
    writes = RedisSemaphore(
        redis,
        RedisKeys(settings.kafka_topic_prefix).processor_writes(),
        settings.processor_max_concurrent_writes,
    )
    database = client[settings.mongodb_database]
    jobs = MongoJobStore(database[JobDocument.Settings.name], settings.mongodb_bulk_size, writes.slot)
    retry = Retry(settings.processor_write_attempts)
    statuses_out = broker.publisher(
        settings.topic(topics.JOBS_STATUS),
        schema=JobStatus,
        title="JobStatuses",
        description="One status per job read from jobs.fetched, keyed by run_id.",
    )
    jobs_fetched = settings.topic(topics.JOBS_FETCHED)
    poison_out = kafka.dead_letter_publisher(broker, jobs_fetched, "PoisonJobsFetched", "not a JobFetched")
    dead_letters = kafka.DeadLetters({jobs_fetched: poison_out})

    @broker.subscriber(
        jobs_fetched,
        group_id=settings.group(settings.processor_group_id),
        batch=True,
        decoder=kafka.lenient_batch,
        max_records=settings.processor_batch_size,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,  # offsets are committed only after the writes
        title="JobsFetched",
        description="Jobs to store, read in batches; a message that is no JobFetched is dead-lettered.",
    )
    async def on_jobs_fetched(
        messages: Annotated[list[Any], kafka.DocumentedAs(JobFetched)], message: KafkaMessage
    ) -> None:
        with metrics.batch_handled(message.raw_message), logs.concerning(**logs.identities_of(messages)):
            await import_batch(messages, message.raw_message, jobs, retry, statuses_out, dead_letters)

    resources = Resources()
    resources.on_close(redis.aclose)
    resources.on_close(client.close)

    async def start() -> None:
        await kafka.ensure_topics(settings)
        await mongo.prepare(database, INDEXES)
        checks = {"mongodb": health.mongodb(client), "redis": health.redis(redis)}
        await health.serve_probes(settings, broker, checks, resources)

    return FastStream(broker, on_startup=[start], after_shutdown=[resources.close])

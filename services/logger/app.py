"""Wiring: one consumer of imports.runs and jobs.status (co-partitioned by run_id) → imports.logs."""

from datetime import UTC, datetime
from typing import Annotated, Any

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy, FastStream
from faststream.kafka.annotations import KafkaMessage

from infra import health, kafka, logs, metrics, mongo
from infra.lifecycle import Resources
from schemas import topics
from schemas.events import ImportLog, JobStatus, RunLifecycleEvent
from services.logger.config import Settings
from services.logger.handlers import count_batch, keep_sweeping
from services.logger.store import INDEXES, RunStore


def build(settings: Settings) -> FastStream:
    broker = kafka.make_broker(settings, "logger")
    client = mongo.client(settings)
    database = client[settings.mongodb_database]
    runs = RunStore(database, settings.mongodb_bulk_size)
    logs_out = broker.publisher(
        settings.topic(topics.IMPORTS_LOGS),
        schema=ImportLog,
        title="ImportLogs",
        description="A run's ImportLog each time its counts change, keyed by run_id.",
    )
    imports_runs, jobs_status = settings.topic(topics.IMPORTS_RUNS), settings.topic(topics.JOBS_STATUS)
    # Each source topic has its own dead-letter topic, so a redrive sends a message back where it came from.
    dead_letters = kafka.DeadLetters(
        {
            imports_runs: kafka.dead_letter_publisher(
                broker, imports_runs, "PoisonRunEvents", "no run event"
            ),
            jobs_status: kafka.dead_letter_publisher(
                broker, jobs_status, "PoisonJobStatuses", "no JobStatus"
            ),
        }
    )

    # Both topics are keyed by run_id with equal partition counts; the range assignor gives
    # one consumer every event of a run, so one replica owns each run's ImportLog.
    @broker.subscriber(
        imports_runs,
        jobs_status,
        group_id=settings.group(settings.logger_group_id),
        batch=True,
        decoder=kafka.lenient_batch,
        max_records=settings.logger_batch_size,
        auto_offset_reset="earliest",
        partition_assignment_strategy=(RangePartitionAssignor,),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="RunEventsAndStatuses",
        description="Run events and job statuses, read in batches and counted into each run's ImportLog.",
    )
    async def on_events(
        messages: Annotated[list[Any], kafka.DocumentedAs(RunLifecycleEvent | JobStatus)],
        message: KafkaMessage,
    ) -> None:
        with metrics.batch_handled(message.raw_message), logs.concerning(**logs.identities_of(messages)):
            failures_kept, now = settings.logger_failures_kept, datetime.now(UTC)
            await count_batch(messages, message.raw_message, runs, failures_kept, logs_out, dead_letters, now)

    resources = Resources()
    resources.on_close(client.close)

    async def start() -> None:
        await kafka.ensure_topics(settings)
        await mongo.prepare(database, INDEXES)
        await health.serve_probes(settings, broker, {"mongodb": health.mongodb(client)}, resources)

    async def started() -> None:
        resources.run_in_background(keep_sweeping(runs, logs_out, settings, lambda: datetime.now(UTC)))

    return FastStream(broker, on_startup=[start], after_startup=[started], after_shutdown=[resources.close])

"""Wiring: one consumer of imports.runs and jobs.status (co-partitioned by run_id) → imports.logs."""

import asyncio
import logging
import time
from typing import Annotated, Any

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy, FastStream
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.publisher import DefaultPublisher

from infra import health, logs, metrics, mongo
from infra.kafka import DeadLetters, DocumentedAs, ensure_topics, lenient_batch, make_broker, split_poison
from infra.lifecycle import Resources
from schemas import topics
from schemas.events import ImportLog, JobStatus, RunLifecycleEvent, run_event_adapter
from services.logger.config import Settings
from services.logger.handlers import expire_stale_runs, record_events, trim_statuses
from services.logger.store import INDEXES
from services.logger.tally import RunEvent

log = logging.getLogger("logger")


def build(settings: Settings) -> FastStream:
    broker = make_broker(settings, "logger")
    logs_out = broker.publisher(
        settings.topic(topics.IMPORTS_LOGS),
        schema=ImportLog,
        title="ImportLogs",
        description="A run's ImportLog each time its counts change, keyed by run_id.",
    )
    imports_runs, jobs_status = settings.topic(topics.IMPORTS_RUNS), settings.topic(topics.JOBS_STATUS)
    # Each source topic has its own dead-letter topic, so a redrive sends a message back where it came from.
    dead_letters = DeadLetters(
        {
            imports_runs: broker.publisher(
                topics.dead_letter(imports_runs),
                schema=bytes,
                title="PoisonRunEvents",
                description="Messages of imports.runs that are no run event, byte for byte with their key; "
                "headers name the source topic, partition, offset, the reason and the attempt count.",
            ),
            jobs_status: broker.publisher(
                topics.dead_letter(jobs_status),
                schema=bytes,
                title="PoisonJobStatuses",
                description="Messages of jobs.status that are no JobStatus, byte for byte with their key; "
                "headers name the source topic, partition, offset, the reason and the attempt count.",
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
        decoder=lenient_batch,
        max_records=settings.logger_batch_size,
        auto_offset_reset="earliest",
        partition_assignment_strategy=(RangePartitionAssignor,),
        ack_policy=AckPolicy.NACK_ON_ERROR,
        title="RunEventsAndStatuses",
        description="Run events and job statuses, read in batches and counted into each run's ImportLog.",
    )
    async def on_events(
        messages: Annotated[list[Any], DocumentedAs(RunLifecycleEvent | JobStatus)], message: KafkaMessage
    ) -> None:
        with metrics.batch_handled(message.raw_message), logs.concerning(**logs.identities_of(messages)):
            events, poison = split_poison(messages, message.raw_message, _decode)
            run_events = [event for event in events if not isinstance(event, JobStatus)]
            statuses = [event for event in events if isinstance(event, JobStatus)]
            import_logs = await record_events(
                run_events, statuses, settings.logger_failures_kept, settings.mongodb_bulk_size
            )
            await _publish(logs_out, import_logs)
            await dead_letters.send(poison)

    async def sweep() -> None:
        trimmed_at = 0.0
        while True:
            await asyncio.sleep(settings.logger_sweep_interval_seconds)
            try:
                ended = await expire_stale_runs(
                    settings.logger_run_timeout_seconds, settings.logger_failures_kept
                )
                await _publish(logs_out, ended)
                if time.monotonic() - trimmed_at >= settings.logger_trim_interval_seconds:
                    trimmed = await trim_statuses(settings.logger_status_retention_days)
                    trimmed_at = time.monotonic()
                    log.info("old job statuses trimmed", extra={"count": trimmed})
            except Exception:
                log.exception("sweep failed; retrying at the next interval")

    resources = Resources()

    async def start() -> None:
        await ensure_topics(settings)
        client = await mongo.connect(settings, INDEXES)
        resources.on_close(client.close)
        if settings.health_port:
            checks = {"kafka": lambda: broker.ping(timeout=2), "mongodb": health.mongodb(client)}
            lag = metrics.consumer_lag(broker)
            stop = await health.serve(settings.health_host, settings.health_port, checks, [lag])
            resources.on_close(stop)

    async def started() -> None:
        resources.run_in_background(sweep())

    return FastStream(broker, on_startup=[start], after_startup=[started], after_shutdown=[resources.close])


async def _publish(publisher: DefaultPublisher, logs: list[ImportLog]) -> None:
    sent = [await publisher.publish(entry, key=entry.run_id.encode(), no_confirm=True) for entry in logs]
    await asyncio.gather(*sent)


def _decode(body: Any) -> RunEvent | JobStatus:
    if isinstance(body, dict) and "event" in body:
        return run_event_adapter.validate_python(body)
    return JobStatus.model_validate(body)

"""Wiring: one consumer of imports.runs and jobs.status (co-partitioned by run_id) → imports.logs."""

import asyncio
import logging
import time
from typing import Any

from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy, FastStream
from faststream.kafka import KafkaBroker
from pydantic import ValidationError

from infra import health, mongo
from infra.kafka import ensure_topics, make_broker
from infra.lifecycle import Resources
from schemas import topics
from schemas.events import ImportLog, JobStatus, run_event_adapter
from services.logger.config import Settings
from services.logger.handlers import expire_stale_runs, record_events, trim_statuses
from services.logger.store import INDEXES
from services.logger.tally import RunEvent

log = logging.getLogger("logger")


def build(settings: Settings) -> FastStream:
    broker = make_broker(settings, "logger")
    logs_topic = settings.topic(topics.IMPORTS_LOGS)
    dead_letters = topics.dead_letter(settings.topic(topics.JOBS_STATUS))

    # Both topics are keyed by run_id with equal partition counts; the range assignor gives
    # one consumer every event of a run, so one replica owns each run's ImportLog.
    @broker.subscriber(
        settings.topic(topics.IMPORTS_RUNS),
        settings.topic(topics.JOBS_STATUS),
        group_id=settings.group(settings.logger_group_id),
        batch=True,
        max_records=settings.logger_batch_size,
        auto_offset_reset="earliest",
        partition_assignment_strategy=(RangePartitionAssignor,),
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_events(messages: list[Any]) -> None:
        run_events, statuses, poison = _decode(messages)
        logs = await record_events(
            run_events, statuses, settings.logger_failures_kept, settings.mongodb_bulk_size
        )
        await _publish(broker, logs_topic, logs)
        for body in poison:
            await broker.publish(body, dead_letters)
        if poison:
            log.error("undecodable events sent to the dead-letter topic", extra={"count": len(poison)})

    async def sweep() -> None:
        trimmed_at = 0.0
        while True:
            await asyncio.sleep(settings.logger_sweep_interval_seconds)
            try:
                ended = await expire_stale_runs(
                    settings.logger_run_timeout_seconds, settings.logger_failures_kept
                )
                await _publish(broker, logs_topic, ended)
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
            resources.on_close(await health.serve(settings.health_port, checks))

    async def started() -> None:
        resources.run_in_background(sweep())

    return FastStream(broker, on_startup=[start], after_startup=[started], after_shutdown=[resources.close])


async def _publish(broker: KafkaBroker, topic: str, logs: list[ImportLog]) -> None:
    sent = [await broker.publish(entry, topic, key=entry.run_id.encode(), no_confirm=True) for entry in logs]
    await asyncio.gather(*sent)


def _decode(messages: list[Any]) -> tuple[list[RunEvent], list[JobStatus], list[Any]]:
    run_events: list[RunEvent] = []
    statuses: list[JobStatus] = []
    poison: list[Any] = []
    for body in messages:
        try:
            if isinstance(body, dict) and "event" in body:
                run_events.append(run_event_adapter.validate_python(body))
            else:
                statuses.append(JobStatus.model_validate(body))
        except ValidationError:
            poison.append(body)
    return run_events, statuses, poison

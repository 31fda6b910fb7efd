"""Exact counts through real Kafka: processor and logger in-process, events published as the fetcher would."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from infra.kafka import client_options, make_broker
from infra.settings import CommonSettings
from schemas import topics
from schemas.events import ImportLog, RunFetched, RunStarted, RunStatus, Trigger
from services.logger.app import build as build_logger
from services.logger.config import Settings as LoggerSettings
from services.processor.app import build as build_processor
from services.processor.config import Settings as ProcessorSettings
from tests.integration.test_processor import fetched


@pytest.fixture
async def pipeline(environment: dict[str, str], database: Any) -> AsyncIterator[Any]:
    apps = [build_processor(ProcessorSettings()), build_logger(LoggerSettings())]
    for app in apps:
        await app.start()
    producer = make_broker(CommonSettings(), "test")
    await producer.start()
    yield producer
    await producer.stop()
    for app in apps:
        await app.stop()


def finished(log: ImportLog) -> bool:
    return log.status is not RunStatus.RUNNING


async def final_log(
    run_id: str, until: Callable[[ImportLog], bool] = finished, timeout: float = 60
) -> ImportLog:
    """Wait for the logger's first snapshot of the run that satisfies `until`."""
    settings = CommonSettings()
    consumer = AIOKafkaConsumer(
        settings.topic(topics.IMPORTS_LOGS), **client_options(settings), auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for record in consumer:
                log = ImportLog.model_validate(json.loads(record.value or b"{}"))
                if log.run_id == run_id and until(log):
                    return log
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


async def send(producer: Any, topic: str, key: str, event: Any) -> None:
    await producer.publish(event, CommonSettings().topic(topic), key=key.encode())


async def test_a_job_fetched_delivered_twice_is_counted_once(pipeline: Any, database: Any) -> None:
    run = RunStarted(
        run_id="run-1", trigger_id="t", trigger=Trigger.API, feed_id="f", feed_url="http://x/feed"
    )
    messages = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")
    await send(pipeline, topics.IMPORTS_RUNS, run.run_id, run)
    for message in messages + messages[:4]:  # four redelivered, as after a crash before the commit
        await send(pipeline, topics.JOBS_FETCHED, message.job.job_key, message)
    fields = run.model_dump(include={"run_id", "trigger_id", "trigger", "feed_id", "feed_url"})
    await send(
        pipeline,
        topics.IMPORTS_RUNS,
        run.run_id,
        RunFetched(**fields, expected_statuses=12, total_fetched=12),
    )

    log = await final_log("run-1")

    assert log.status is RunStatus.COMPLETED
    assert (log.new, log.updated, log.unchanged, log.failed, log.total_imported) == (12, 0, 0, 0, 12)
    assert await database.jobs.count_documents({}) == 12
    assert await database.job_statuses.count_documents({"run_id": "run-1"}) == 12


async def test_statuses_that_arrive_before_the_run_events_are_counted(pipeline: Any) -> None:
    run = RunStarted(
        run_id="run-2", trigger_id="t", trigger=Trigger.API, feed_id="f", feed_url="http://x/feed"
    )
    fields = run.model_dump(include={"run_id", "trigger_id", "trigger", "feed_id", "feed_url"})
    for message in fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-2")[:5]:
        await send(pipeline, topics.JOBS_FETCHED, message.job.job_key, message)
    await send(
        pipeline,
        topics.IMPORTS_RUNS,
        run.run_id,
        RunFetched(**fields, expected_statuses=5, total_fetched=6, duplicates=1),
    )
    await send(pipeline, topics.IMPORTS_RUNS, run.run_id, run)

    log = await final_log("run-2", until=lambda log: finished(log) and log.started_at is not None)

    assert (log.status, log.new, log.total_fetched, log.duplicates) == (RunStatus.COMPLETED, 5, 6, 1)
    assert log.started_at is not None and log.duration_ms is not None

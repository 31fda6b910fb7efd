"""The logger's subscriber of imports.runs and jobs.status, its handler run in memory
(TestKafkaBroker) and the same test on the local Kafka (with_real=True); the store is the real
local one in both."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from faststream.kafka import KafkaBroker

from infra import mongo
from infra.kafka import SOURCE_TOPIC
from schemas import topics
from schemas.events import JobStatus, Outcome, RunFetched, RunStarted, Trigger
from services.logger.app import build
from services.logger.config import Settings
from services.logger.handlers import keep_sweeping
from services.logger.store import INDEXES, RunStore
from tests.brokers import bodies, publisher_to, under_test
from tests.conftest import eventually

RUN = {"run_id": "run-1", "trigger_id": "t", "trigger": Trigger.API, "feed_id": "f", "feed_url": "http://x/f"}


def status(job_key: str, outcome: Outcome) -> JobStatus:
    return JobStatus(run_id="run-1", trigger_id="t", feed_id="f", job_key=job_key, outcome=outcome)


@pytest.fixture(params=[False, True], ids=["in-memory", "real-kafka"])
async def logger(request: Any, environment: dict[str, str], database: Any) -> AsyncIterator[KafkaBroker]:
    await mongo.prepare(database, INDEXES)
    settings = Settings()
    async with under_test(build(settings), settings, with_real=request.param) as broker:
        yield broker


async def test_a_run_whose_statuses_are_all_in_is_published_completed_with_exact_counts(
    logger: KafkaBroker, database: Any
) -> None:
    settings = Settings()
    imports_runs, jobs_status = settings.topic(topics.IMPORTS_RUNS), settings.topic(topics.JOBS_STATUS)
    logs_out = publisher_to(logger, settings.topic(topics.IMPORTS_LOGS))

    await logger.publish(RunStarted(**RUN), imports_runs, key=b"run-1")
    for job_key, outcome in [("a", Outcome.NEW), ("b", Outcome.UNCHANGED), ("a", Outcome.NEW)]:
        await logger.publish(status(job_key, outcome), jobs_status, key=b"run-1")
    await logger.publish(
        RunFetched(**RUN, expected_statuses=2, total_fetched=3, duplicates=1), imports_runs, key=b"run-1"
    )

    async def completed() -> Any:
        return next((entry for entry in bodies(logs_out) if entry["status"] == "completed"), None)

    published = await eventually(completed)
    assert (published["run_id"], published["new"], published["unchanged"], published["duplicates"]) == (
        "run-1",
        1,
        1,
        1,
    )
    await logs_out.assert_any_call(key=b"run-1")
    stored = await database.import_logs.find_one({"_id": "run-1"})
    assert (stored["status"], stored["new"], stored["unchanged"]) == ("completed", 1, 1)


async def test_poison_goes_to_its_own_topics_dead_letters_with_its_key(logger: KafkaBroker) -> None:
    settings = Settings()
    imports_runs, jobs_status = settings.topic(topics.IMPORTS_RUNS), settings.topic(topics.JOBS_STATUS)
    runs_letters = publisher_to(logger, topics.dead_letter(imports_runs))
    status_letters = publisher_to(logger, topics.dead_letter(jobs_status))

    await logger.publish(b'{"event": "run_exploded"}', imports_runs, key=b"run-7")
    await logger.publish(b"not json", jobs_status, key=b"run-8")

    async def both_dead_lettered() -> bool:
        return bool(bodies(runs_letters)) and bool(bodies(status_letters))

    await eventually(both_dead_lettered)
    await runs_letters.assert_called_once_with(key=b"run-7", headers={SOURCE_TOPIC: imports_runs})
    await status_letters.assert_called_once_with(
        b"not json", key=b"run-8", headers={SOURCE_TOPIC: jobs_status}
    )


async def test_a_run_silent_past_its_timeout_is_ended_by_the_sweep_and_published(
    logger: KafkaBroker, database: Any
) -> None:
    settings = Settings().model_copy(update={"logger_sweep_interval_seconds": 0.05})
    logs_out = publisher_to(logger, settings.topic(topics.IMPORTS_LOGS))
    await logger.publish(RunStarted(**RUN), settings.topic(topics.IMPORTS_RUNS), key=b"run-1")

    async def open_run() -> Any:
        return await database.open_runs.find_one({"_id": "run-1"})

    await eventually(open_run)
    timed_out = timedelta(seconds=settings.logger_run_timeout_seconds + 1)
    sweeping = asyncio.create_task(
        keep_sweeping(
            RunStore(database, bulk_size=20), logs_out, settings, lambda: datetime.now(UTC) + timed_out
        )
    )

    async def ended() -> Any:
        return next((entry for entry in bodies(logs_out) if entry["status"] == "failed"), None)

    try:
        published = await eventually(ended)
    finally:
        sweeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sweeping
    assert (published["run_id"], published["error"]) == ("run-1", "fetch did not finish within 900 s")
    assert await database.open_runs.count_documents({}) == 0

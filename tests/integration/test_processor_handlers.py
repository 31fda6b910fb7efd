"""The processor's subscriber of jobs.fetched, its handler run in memory (TestKafkaBroker) and the
same test on the local Kafka (with_real=True); the store is the real local one in both."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from faststream.kafka import KafkaBroker

from infra import mongo
from infra.kafka import REASON, SOURCE_TOPIC
from schemas import topics
from services.processor.app import build
from services.processor.config import Settings
from services.processor.store import INDEXES
from tests.brokers import bodies, publisher_to, under_test
from tests.conftest import eventually
from tests.integration.test_processor import fetched


@pytest.fixture(params=[False, True], ids=["in-memory", "real-kafka"])
async def processor(request: Any, environment: dict[str, str], database: Any) -> AsyncIterator[KafkaBroker]:
    await mongo.prepare(database, INDEXES)
    settings = Settings()
    async with under_test(build(settings), settings, with_real=request.param) as broker:
        yield broker


async def test_fetched_jobs_are_stored_and_each_gets_one_status_keyed_by_its_run(
    processor: KafkaBroker, database: Any
) -> None:
    settings = Settings()
    messages = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")
    statuses_out = publisher_to(processor, settings.topic(topics.JOBS_STATUS))

    for message in messages:
        await processor.publish(
            message, settings.topic(topics.JOBS_FETCHED), key=message.job.job_key.encode()
        )

    async def all_statuses() -> bool:
        return len(bodies(statuses_out)) >= len(messages)

    await eventually(all_statuses)
    statuses = bodies(statuses_out)
    assert sorted(s["job_key"] for s in statuses) == sorted(m.job.job_key for m in messages)
    assert {(s["run_id"], s["outcome"]) for s in statuses} == {("run-1", "new")}
    await statuses_out.assert_called_with(key=b"run-1")
    assert await database.jobs.count_documents({}) == len(messages)


async def test_a_message_that_is_no_job_fetched_is_dead_lettered_with_its_key_and_the_rest_imported(
    processor: KafkaBroker, database: Any
) -> None:
    settings = Settings()
    jobs_fetched = settings.topic(topics.JOBS_FETCHED)
    dead_letters = publisher_to(processor, topics.dead_letter(jobs_fetched))
    statuses_out = publisher_to(processor, settings.topic(topics.JOBS_STATUS))
    [message] = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")[:1]

    await processor.publish(b"not json", jobs_fetched, key=b"bad-key")
    await processor.publish(message, jobs_fetched, key=message.job.job_key.encode())

    async def both_handled() -> bool:
        return bool(bodies(dead_letters)) and bool(bodies(statuses_out))

    await eventually(both_handled)
    reason = "body: Input should be a valid dictionary or instance of JobFetched"
    await dead_letters.assert_called_once_with(
        b"not json", key=b"bad-key", headers={SOURCE_TOPIC: jobs_fetched, REASON: reason}
    )
    assert [(s["job_key"], s["outcome"]) for s in bodies(statuses_out)] == [(message.job.job_key, "new")]
    assert await database.jobs.count_documents({}) == 1

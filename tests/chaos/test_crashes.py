"""A service killed mid-import (SIGKILL) and restarted: every job stored once, every run exact."""

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka import client_options
from infra.settings import CommonSettings
from launcher.processes import Services
from schemas import topics
from tests.chaos.conftest import JOBS, latest_log, runs_of, trigger


async def wait_for(
    services: Services, trigger_id: str, until: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = await latest_log(services, trigger_id)
        if log is not None and until(log):
            return log
        await asyncio.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s: {await latest_log(services, trigger_id)}")


def counted(log: dict[str, Any]) -> int:
    return int(log["new"] + log["updated"] + log["unchanged"] + log["failed"])


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_a_fetcher_killed_mid_feed_leaves_a_run_its_restart_finishes_exactly(
    services: Services, database: Any, seed: int
) -> None:
    kill_after = int(JOBS * random.Random(seed).uniform(0.02, 0.5))  # while it still publishes
    trigger_id = await trigger(services)
    started = await wait_for(services, trigger_id, lambda log: counted(log) >= kill_after, timeout=60)
    assert started["status"] == "running"

    services.kill("fetcher")
    killed_at = time.monotonic()
    services.restart("fetcher")
    log = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=120)
    assert len(await runs_of(services, trigger_id)) == 1

    assert (log["run_id"], log["status"]) == (started["run_id"], "completed")
    assert (log["total_fetched"], log["new"], log["updated"], log["failed"]) == (JOBS, JOBS, 0, 0)
    assert log["warnings"] == ["the fetcher importing this run stopped during the fetch; fetched again"]
    assert await database.jobs.count_documents({}) == JOBS
    assert time.monotonic() - killed_at < 60  # the lease's 3 s and the re-fetch, not the logger's timeout


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("service", ["processor", "logger"])
async def test_a_consumer_killed_at_any_point_is_redelivered_and_counted_once(
    services: Services, database: Any, service: str, seed: int
) -> None:
    kill_after = int(JOBS * random.Random(seed).uniform(0.05, 0.9))
    trigger_id = await trigger(services)
    await wait_for(services, trigger_id, lambda log: counted(log) >= kill_after, timeout=60)

    services.kill(service)
    services.restart(service)
    log = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=120)
    assert len(await runs_of(services, trigger_id)) == 1

    assert (log["status"], log["total_fetched"], log["new"], log["updated"], log["failed"]) == (
        "completed",
        JOBS,
        JOBS,
        0,
        0,
    )
    assert await database.jobs.count_documents({}) == JOBS


async def test_one_of_two_processor_replicas_killed_mid_import_leaves_the_other_to_finish(
    services: Services, database: Any
) -> None:
    second = services.add_replica("processor")
    trigger_id = await trigger(services)
    await wait_for(services, trigger_id, lambda log: counted(log) >= JOBS // 3, timeout=60)

    services.kill(second)
    log = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=120)
    assert len(await runs_of(services, trigger_id)) == 1

    assert (log["status"], log["total_fetched"], log["new"], log["failed"]) == ("completed", JOBS, JOBS, 0)
    assert await database.jobs.count_documents({}) == JOBS


async def test_every_status_published_twice_more_changes_no_count(
    services: Services, database: Any, environment: dict[str, str]
) -> None:
    trigger_id = await trigger(services)
    before = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=120)
    assert len(await runs_of(services, trigger_id)) == 1

    settings = CommonSettings()
    statuses = await read_all(settings, settings.topic(topics.JOBS_STATUS))
    producer = AIOKafkaProducer(**client_options(settings))
    await producer.start()
    try:
        for _ in range(2):
            for record in statuses:
                await producer.send(record.topic, record.value, key=record.key, partition=record.partition)
        await producer.flush()
    finally:
        await producer.stop()
    await logger_caught_up(settings)

    after = await latest_log(services, trigger_id)
    assert len(statuses) == JOBS
    assert after is not None
    assert (
        {k: after[k] for k in COUNTS}
        == {k: before[k] for k in COUNTS}
        == {
            "status": "completed",
            "new": JOBS,
            "updated": 0,
            "unchanged": 0,
            "failed": 0,
            "total_fetched": JOBS,
        }
    )


COUNTS = ("status", "new", "updated", "unchanged", "failed", "total_fetched")


async def read_all(settings: CommonSettings, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(topic, **client_options(settings), auto_offset_reset="earliest")
    await consumer.start()
    try:
        ends = await consumer.end_offsets(
            [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
        )
        records: list[Any] = []
        while sum(ends.values()) > len(records):
            for batch in (await consumer.getmany(timeout_ms=1000)).values():
                records += batch
        return records
    finally:
        await consumer.stop()


async def logger_caught_up(settings: CommonSettings, timeout: float = 60) -> None:
    """Wait until the logger's group has committed every status: it has processed them all."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    consumer = AIOKafkaConsumer(**client_options(settings))
    await admin.start()
    await consumer.start()
    try:
        topic = settings.topic(topics.JOBS_STATUS)
        partitions = [TopicPartition(topic, p) for p in range(settings.kafka_partitions)]
        ends = await consumer.end_offsets(partitions)
        async with asyncio.timeout(timeout):
            while True:
                committed = await admin.list_consumer_group_offsets(settings.group("logger"))
                if all(p in committed and committed[p].offset >= ends[p] for p in partitions):
                    return
                await asyncio.sleep(0.2)
    finally:
        await consumer.stop()
        await admin.close()

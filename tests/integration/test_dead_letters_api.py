"""The gateway's dead letters: counts per topic and each letter with its reason, read from real Kafka."""

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from infra.kafka import client_options
from infra.settings import CommonSettings
from launcher.processes import ROOT, Services, free_port
from schemas import topics
from tests.conftest import eventually

JSON = [("content-type", b"application/json")]


@pytest.fixture
def services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    with Services(namespace, tmp_path / "logs", free_port()).running(("processor", "gateway")) as running:
        yield running


@pytest.fixture
async def poisoned(
    services: Services, namespace: dict[str, str], stack: CommonSettings
) -> AsyncIterator[None]:
    """Three messages the processor refuses: bytes that are not JSON, and two events missing fields."""
    producer = AIOKafkaProducer(**client_options(stack), acks="all")
    await producer.start()
    topic = namespace["KAFKA_TOPIC_PREFIX"] + topics.JOBS_FETCHED
    try:
        await producer.send_and_wait(topic, b"<not json>", key=b"broken-1", headers=JSON)
        for n in (2, 3):
            await producer.send_and_wait(topic, b'{"run_id": "r"}', key=f"broken-{n}".encode(), headers=JSON)
    finally:
        await producer.stop()
    yield


async def get(services: Services, path: str, **params: Any) -> Any:
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def counts(services: Services) -> dict[str, tuple[int, int]]:
    summary = await get(services, "/api/dead-letters")
    return {row["source_topic"]: (row["count"], row["redriven"]) for row in summary["items"]}


async def until_counted(services: Services, topic: str, expected: tuple[int, int]) -> None:
    await eventually(lambda: counted(services, topic, expected))


async def counted(services: Services, topic: str, expected: tuple[int, int]) -> bool:
    return (await counts(services))[topic] == expected


async def test_refused_messages_are_counted_per_topic_and_listed_newest_first_with_reasons(
    services: Services, poisoned: None
) -> None:
    await until_counted(services, topics.JOBS_FETCHED, (3, 0))
    found = await counts(services)
    assert set(found) == set(topics.ALL)
    assert all(found[topic] == (0, 0) for topic in topics.ALL if topic != topics.JOBS_FETCHED)

    first = await get(services, f"/api/dead-letters/{topics.JOBS_FETCHED}", limit=2)
    rest = await get(
        services, f"/api/dead-letters/{topics.JOBS_FETCHED}", limit=2, cursor=first["next_cursor"]
    )
    assert rest["next_cursor"] is None
    letters = first["items"] + rest["items"]
    assert sorted(letter["key"] for letter in letters) == ["broken-1", "broken-2", "broken-3"]
    assert [letter["at"] for letter in letters] == sorted((letter["at"] for letter in letters), reverse=True)
    by_key = {letter["key"]: letter for letter in letters}
    assert by_key["broken-1"]["body"] == "<not json>"
    assert by_key["broken-2"]["reason"] and by_key["broken-2"]["reason"] != "unknown"
    assert "Field required" in by_key["broken-3"]["reason"]
    assert {letter["attempt"] for letter in letters} == {1}
    assert not any(letter["redriven"] for letter in letters)
    assert all(letter["source_offset"] is not None for letter in letters)


async def test_a_redriven_letter_is_marked_and_its_failure_again_counted(
    services: Services, poisoned: None, namespace: dict[str, str]
) -> None:
    await until_counted(services, topics.JOBS_FETCHED, (3, 0))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "replay", "dlq", "--redrive", "--yes", "--topic", "jobs.fetched.dlq",
        cwd=ROOT, env=os.environ | namespace, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()

    await until_counted(services, topics.JOBS_FETCHED, (6, 3))  # each failed again, attempt 2
    letters = (await get(services, f"/api/dead-letters/{topics.JOBS_FETCHED}"))["items"]
    assert (
        sorted((letter["attempt"], letter["redriven"]) for letter in letters)
        == [(1, True)] * 3 + [(2, False)] * 3
    )


async def test_an_unknown_topic_is_404_and_a_forged_cursor_400(services: Services) -> None:
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        unknown = await client.get("/api/dead-letters/no.such.topic")
        forged = await client.get(f"/api/dead-letters/{topics.JOBS_FETCHED}", params={"cursor": "e30="})
    assert unknown.status_code == 404 and "jobs.fetched" in unknown.json()["detail"]
    assert forged.status_code == 400 and forged.json()["errors"][0]["parameter"] == "cursor"

"""Shared fixtures: the real stack's addresses and a fresh namespace (topics, database) per test."""

import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from infra.settings import CommonSettings

DATA = Path(__file__).parent / "data"
STACK_HINT = "start the local stack with `make up` (or set KAFKA_BOOTSTRAP_SERVERS, MONGODB_URL, REDIS_URL)"


def _answers(address: str, default_port: int) -> bool:
    parts = urlsplit(address if "//" in address else f"tcp://{address}")
    try:
        with socket.create_connection((parts.hostname or "localhost", parts.port or default_port), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def stack() -> CommonSettings:
    """The real Kafka, MongoDB-compatible store and Redis; a missing one fails the test, never skips."""
    settings = CommonSettings()
    bootstrap = settings.kafka_bootstrap_servers.split(",")[0]
    missing = [
        name
        for name, address, port in (
            ("Kafka", bootstrap, 9092),
            ("MongoDB", settings.mongodb_url, 27017),
            ("Redis", settings.redis_url, 6379),
        )
        if not _answers(address, port)
    ]
    if missing:
        pytest.fail(f"{', '.join(missing)} not reachable: {STACK_HINT}")
    return settings


@pytest.fixture
async def namespace(stack: CommonSettings) -> AsyncIterator[dict[str, str]]:
    """Environment for one test: its own topic prefix, database and consumer groups.

    The test's topics are deleted afterwards: a long-lived local broker would otherwise collect
    thousands of partitions over many runs and run out of memory.
    """
    unique = uuid.uuid4().hex[:10]
    prefix = f"test-{unique}."
    yield {
        "KAFKA_BOOTSTRAP_SERVERS": stack.kafka_bootstrap_servers,
        "MONGODB_URL": stack.mongodb_url,
        "REDIS_URL": stack.redis_url,
        "KAFKA_TOPIC_PREFIX": prefix,
        "MONGODB_DATABASE": f"test_{unique}",
    }
    await _delete_topics(stack.kafka_bootstrap_servers, prefix)


async def _delete_topics(bootstrap_servers: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        topics = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics)
    finally:
        await admin.close()


@pytest.fixture
async def database(stack: CommonSettings, namespace: dict[str, str]) -> AsyncIterator[Any]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    yield client[namespace["MONGODB_DATABASE"]]
    await client.drop_database(namespace["MONGODB_DATABASE"])
    await client.close()


@pytest.fixture
def environment(namespace: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The namespace exported to this process, for settings read in-process."""
    for name, value in namespace.items():
        monkeypatch.setenv(name, value)
    return namespace


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


os.environ.setdefault("LOG_LEVEL", "WARNING")

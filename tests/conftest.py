"""Shared fixtures: the real stack's addresses and a fresh namespace (topics, database) per test."""

import asyncio
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient, monitoring

from infra.kafka import client_options
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


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 60) -> Any:
    """The first truthy answer of `check`, asked until it gives one (a test fails after `timeout`)."""
    deadline = time.monotonic() + timeout
    while not (found := await check()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)
    return found


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
        "FEEDS_FILE": str(DATA / "no-feeds.yaml"),  # a gateway registers no feeds unless a test says
    }
    await _delete_topics(stack, prefix)


async def _delete_topics(stack: CommonSettings, prefix: str) -> None:
    admin = AIOKafkaAdminClient(**client_options(stack))
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


class CommandLog(monitoring.CommandListener):
    """Every command sent to the store while recording: to prove what a hot path touches."""

    def __init__(self) -> None:
        self.recording = False
        self.commands: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.recording and event.command_name not in {"ping", "hello", "isMaster", "endSessions"}:
            self.commands.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None: ...

    def failed(self, event: monitoring.CommandFailedEvent) -> None: ...

    def filters(self) -> list[dict[str, Any]]:
        """The filter of every read, update and delete, as (command name, filter) pairs."""
        found: list[dict[str, Any]] = []
        for command in self.commands:
            name = next(iter(command))
            if name in {"find", "count"}:
                found.append({name: command.get("filter", command.get("query", {}))})
            elif name == "findAndModify":
                found.append({name: command["query"]})
            elif name in {"update", "delete"}:
                found += [{name: statement["q"]} for statement in command[f"{name}s"]]
            elif name == "aggregate":
                found.append({name: command["pipeline"]})
        return found


COMMANDS = CommandLog()
monitoring.register(COMMANDS)  # applies to every client made after this; inert unless recording


@pytest.fixture
def store_commands() -> Iterator[CommandLog]:
    COMMANDS.commands.clear()
    COMMANDS.recording = True
    yield COMMANDS
    COMMANDS.recording = False

"""/readyz answers for each dependency, so an operator sees which one is missing; /metrics is scraped
as Prometheus scrapes it; a gateway whose store is gone says so within seconds."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from infra import health
from infra.metrics import DEAD_LETTERS
from infra.settings import CommonSettings
from launcher.processes import SERVICES, Services, free_port
from tests.conftest import eventually
from tests.scrape import samples


async def test_readiness_names_the_dependency_that_does_not_answer(stack: CommonSettings) -> None:
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(stack.mongodb_url)
    gone = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    port = free_port()
    stop = await health.serve(
        "127.0.0.1", port, {"mongodb": health.mongodb(mongo), "redis": health.redis(gone)}
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            ready, alive = await client.get("/readyz"), await client.get("/healthz")
    finally:
        await stop()
        await gone.aclose()
        await mongo.close()

    assert (ready.status_code, ready.json()) == (
        503,
        {"ok": False, "checks": {"mongodb": True, "redis": False}},
    )
    assert alive.status_code == 200


async def test_metrics_are_prometheus_text_brought_up_to_date_at_each_scrape() -> None:
    scrapes: list[float] = []

    async def refresh() -> None:
        scrapes.append(time.monotonic())

    DEAD_LETTERS.labels("health-test.jobs.fetched").inc()
    port = free_port()
    stop = await health.serve("127.0.0.1", port, {}, [refresh])
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            first, second = await client.get("/metrics"), await client.get("/metrics")
    finally:
        await stop()

    assert first.headers["content-type"].startswith("text/plain; version=")
    found = {(s.name, s.labels.get("topic")): s.value for s in samples(second.text)}
    assert found[("job_importer_dead_letters_total", "health-test.jobs.fetched")] == 1
    assert len(scrapes) == 2


@contextlib.asynccontextmanager
async def silent_store() -> AsyncIterator[int]:
    """A port that takes connections and never answers: a store hung, or behind a dead route."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()


@contextlib.asynccontextmanager
async def nothing_listening() -> AsyncIterator[int]:
    yield free_port()


@pytest.mark.parametrize("dead_store", [nothing_listening, silent_store], ids=["refused", "silent"])
async def test_a_gateway_whose_store_is_gone_reports_it_within_seconds(
    namespace: dict[str, str], tmp_path: Path, dead_store: Callable[[], Any]
) -> None:
    async with dead_store() as port:
        store = {"MONGODB_URL": f"mongodb://127.0.0.1:{port}/?directConnection=true"}
        gateway = Services(namespace | store, tmp_path / "logs", free_port())
        await asyncio.to_thread(gateway.start, 60, ("gateway",), "/healthz")  # alive, not ready
        try:
            async with httpx.AsyncClient(timeout=10) as client, asyncio.timeout(10):
                while (ready := await client.get(gateway.url("gateway", "/readyz"))).status_code != 503:  # noqa: ASYNC110 - another process
                    await asyncio.sleep(0.2)
        finally:
            await asyncio.to_thread(gateway.stop)

    checks = {
        "kafka": True,
        "mongodb": False,
        "redis": True,
        "feeds_file": False,
    }  # registered once it answers
    assert ready.json() == {"ok": False, "checks": checks}


async def test_each_service_checks_every_dependency_it_uses_and_names_the_missing_one(
    namespace: dict[str, str], tmp_path: Path
) -> None:
    dead_redis = {"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0", "SCHEDULER_ENABLED": "false"}
    services = Services(namespace | dead_redis, tmp_path / "logs", free_port())
    await asyncio.to_thread(services.start, 60, SERVICES, "/healthz")
    try:
        async with httpx.AsyncClient(timeout=10) as client:

            async def answer(name: str) -> httpx.Response | None:
                """The readiness of `name`, once the gateway has registered its feeds file."""
                response = await client.get(services.url(name, "/readyz"))
                return response if response.json()["checks"].get("feeds_file") is not False else None

            answers = [await eventually(partial(answer, name), timeout=30) for name in SERVICES]
    finally:
        await asyncio.to_thread(services.stop)

    without_redis = {"kafka": True, "mongodb": True, "redis": False}
    assert {name: answer.json()["checks"] for name, answer in zip(SERVICES, answers, strict=True)} == {
        "fetcher": without_redis,
        "processor": without_redis,
        "logger": {"kafka": True, "mongodb": True},  # it uses no Redis
        "gateway": without_redis | {"feeds_file": True},
    }
    assert [answer.status_code for answer in answers] == [503, 503, 200, 503]

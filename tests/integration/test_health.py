"""/readyz answers for each dependency, so an operator sees which one is missing."""

from typing import Any

import httpx
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from infra import health
from infra.settings import CommonSettings
from launcher.processes import free_port


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

"""A minimal HTTP endpoint for services that serve nothing else: `/healthz`, `/readyz`, `/metrics`."""

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from infra import metrics
from infra.lifecycle import Resources
from infra.metrics import Refresh
from infra.settings import CommonSettings

# However long a client library would wait (PyMongo's server selection, a connect timeout), a
# dependency that has not answered by then is reported missing: probes and operators wait no longer.
CHECK_TIMEOUT_SECONDS = 3
ReadyCheck = Callable[[], Awaitable[bool]]
Checks = dict[str, ReadyCheck]


def mongodb(client: AsyncMongoClient[Any]) -> ReadyCheck:
    async def check() -> bool:
        await client.admin.command("ping")
        return True

    return check


def redis(client: Redis) -> ReadyCheck:
    async def check() -> bool:
        return bool(await client.ping())

    return check


async def readiness(checks: Checks) -> dict[str, bool]:
    """Each dependency's answer, so that /readyz says which one is missing."""
    answers = await asyncio.gather(*(_safe(check) for check in checks.values()))
    return dict(zip(checks, answers, strict=True))


async def serve_probes(
    settings: CommonSettings, broker: KafkaBroker, checks: Checks, resources: Resources
) -> None:
    """When HEALTH_PORT is set, answer probes (Kafka's check first) and scrapes until shutdown."""
    if settings.health_port:
        checks = {"kafka": lambda: broker.ping(timeout=2)} | checks
        lag = metrics.consumer_lag(broker)
        resources.on_close(await serve(settings.health_host, settings.health_port, checks, [lag]))


async def serve(
    host: str, port: int, checks: Checks, refresh: Sequence[Refresh] = ()
) -> Callable[[], Awaitable[None]]:
    """Start answering probes and scrapes; returns the coroutine function that stops it.

    `refresh` brings scrape-time metrics (consumer lag) up to date before each /metrics answer.
    """

    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            path = request_line.split(b" ")[1] if request_line.count(b" ") >= 2 else b"/"
            code, content_type, body = await _answer(path, checks, refresh)
            writer.write(
                b"HTTP/1.1 " + code + b"\r\nContent-Type: " + content_type.encode() + b"\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass  # a probe that hung up or stalled gets nothing
        finally:
            writer.close()

    server = await asyncio.start_server(respond, host=host, port=port)

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return stop


async def _answer(path: bytes, checks: Checks, refresh: Sequence[Refresh]) -> tuple[bytes, str, bytes]:
    if path == b"/metrics":
        for update in refresh:
            await update()
        body, content_type = metrics.exposition()
        return b"200 OK", content_type, body
    if path == b"/healthz":  # liveness only: a missing dependency is /readyz's business
        return b"200 OK", "application/json", json.dumps({"ok": True}).encode()
    if path == b"/readyz":
        answers = await readiness(checks)
        ok = all(answers.values())
        body = json.dumps({"ok": ok, "checks": answers}).encode()
        return (b"200 OK" if ok else b"503 Service Unavailable"), "application/json", body
    return b"404 Not Found", "application/json", json.dumps({"ok": False}).encode()


async def _safe(ready: ReadyCheck) -> bool:
    try:
        return await asyncio.wait_for(ready(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception:
        return False

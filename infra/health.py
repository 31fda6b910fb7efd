"""A minimal HTTP health endpoint for services that serve nothing else (`/healthz`, `/readyz`)."""

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pymongo import AsyncMongoClient
from redis.asyncio import Redis

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


async def serve(host: str, port: int, checks: Checks) -> Callable[[], Awaitable[None]]:
    """Start answering probes; returns the coroutine function that stops it."""

    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            path = request_line.split(b" ")[1] if request_line.count(b" ") >= 2 else b"/"
            answers = await readiness(checks) if path == b"/readyz" else {}
            ok = path == b"/healthz" or (path == b"/readyz" and all(answers.values()))
            code = (
                b"200 OK" if ok else (b"503 Service Unavailable" if path == b"/readyz" else b"404 Not Found")
            )
            body = json.dumps({"ok": ok} | ({"checks": answers} if answers else {})).encode()
            writer.write(
                b"HTTP/1.1 " + code + b"\r\nContent-Type: application/json\r\n"
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


async def _safe(ready: ReadyCheck) -> bool:
    try:
        return await asyncio.wait_for(ready(), timeout=3)
    except Exception:
        return False

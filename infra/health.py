"""A minimal HTTP health endpoint for services that serve nothing else (`/healthz`, `/readyz`)."""

import asyncio
import json
from collections.abc import Awaitable, Callable

ReadyCheck = Callable[[], Awaitable[bool]]


async def serve(port: int, ready: ReadyCheck) -> Callable[[], Awaitable[None]]:
    """Start answering probes; returns the coroutine function that stops it."""

    async def respond(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = await asyncio.wait_for(reader.readline(), timeout=5)
            path = request_line.split(b" ")[1] if request_line.count(b" ") >= 2 else b"/"
            ok = path == b"/healthz" or (path == b"/readyz" and await _safe(ready))
            code = (
                b"200 OK" if ok else (b"503 Service Unavailable" if path == b"/readyz" else b"404 Not Found")
            )
            body = json.dumps({"ok": ok}).encode()
            writer.write(
                b"HTTP/1.1 " + code + b"\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass  # a probe that hung up or stalled gets nothing
        finally:
            writer.close()

    server = await asyncio.start_server(respond, host="0.0.0.0", port=port)

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    return stop


async def _safe(ready: ReadyCheck) -> bool:
    try:
        return await asyncio.wait_for(ready(), timeout=3)
    except Exception:
        return False

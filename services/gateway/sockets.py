"""One websocket client's session: its messages in, its outbox out, until either side ends.

The caller has checked the client (Origin, auth) and accepted the socket.
"""

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from services.gateway.hub import Hub, Outbox
from services.gateway.metrics import WEBSOCKET_CLIENTS, WEBSOCKET_DROPPED_CLIENTS, WEBSOCKET_FRAMES

TOO_SLOW = 1013  # "try again later"
CLOSE_TIMEOUT_SECONDS = 1.0  # a peer that stopped reading cannot take a close frame either


async def serve(socket: WebSocket, hub: Hub) -> None:
    outbox = hub.join()
    try:
        with WEBSOCKET_CLIENTS.track_inprogress():
            reading, writing = _read(socket, hub, outbox), _write(socket, outbox)
            await _until_first_ends(reading, writing, outbox.dropped.wait())
    finally:
        hub.leave(outbox)
    if outbox.dropped.is_set():
        WEBSOCKET_DROPPED_CLIENTS.inc()
        with contextlib.suppress(TimeoutError, WebSocketDisconnect, RuntimeError):
            await asyncio.wait_for(socket.close(TOO_SLOW, "too slow"), CLOSE_TIMEOUT_SECONDS)


async def _read(socket: WebSocket, hub: Hub, outbox: Outbox) -> None:
    while (message := await socket.receive())["type"] != "websocket.disconnect":
        hub.request(outbox, message.get("text"))


async def _write(socket: WebSocket, outbox: Outbox) -> None:
    while True:
        # Sends return without suspending while the transport takes data: a full outbox drains at once.
        await socket.send_text(await outbox.next())
        WEBSOCKET_FRAMES.inc()


async def _until_first_ends(*coroutines: Coroutine[Any, Any, Any]) -> None:
    """Run them until one returns or fails; a client going away is an ordinary end."""
    tasks = [asyncio.create_task(coroutine) for coroutine in coroutines]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, WebSocketDisconnect)]
    if failures:
        raise failures[0]

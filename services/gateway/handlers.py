"""What the gateway does with the events it hears and the few requests outside the API: relay
statuses and logs to the websocket hub, answer probes and scrapes, serve a websocket client.

Module-level functions: the hub comes in as a parameter, the rest from the app's state (set by the
wiring in `app.py` and its lifespan).
"""

import asyncio
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import JSONResponse, Response

from infra import health, metrics
from services.gateway import problems, sockets
from services.gateway.hub import Hub

router = APIRouter(include_in_schema=False)


def relay_job_statuses(hub: Hub, statuses: Sequence[Any]) -> None:
    for status in statuses:
        if isinstance(status, dict):  # anything else is not ours to relay
            hub.publish("job_status", status)


def relay_import_log(hub: Hub, import_log: dict[str, Any]) -> None:
    hub.publish("import_log", import_log)


@router.get("/healthz")
async def healthz() -> Response:
    return JSONResponse({"ok": True})


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    state = request.app.state
    checks = await health.readiness(
        {
            "kafka": lambda: state.broker.ping(timeout=2),
            "mongodb": health.mongodb(state.mongo),
            "redis": health.redis(state.redis),
            "feeds_file": lambda: _is_set(state.feeds_registered),
        }
    )
    ok = all(checks.values())
    return JSONResponse({"ok": ok, "checks": checks}, 200 if ok else 503)


async def _is_set(event: asyncio.Event) -> bool:
    return event.is_set()


@router.get("/metrics")
async def scrape(request: Request) -> Response:
    await request.app.state.refresh_lag()
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


@router.websocket("/ws")
async def websocket(socket: WebSocket) -> None:
    """Browsers send Origin: only the gateway's own and allowed origins may listen from a page."""
    gate = socket.app.state.gate
    try:
        if "origin" in socket.headers and not gate.origin_allowed(socket):
            raise problems.ProblemError(403, "origin not allowed")
        gate.check_read(socket)
    except problems.ProblemError:
        await socket.close(code=1008)  # before accept: the handshake is refused with 403
        return
    await socket.accept()
    await sockets.serve(socket, socket.app.state.hub)

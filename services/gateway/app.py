"""Wiring: Starlette routes, the Kafka consumers feeding the hub, and the request publisher."""

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pymongo import AsyncMongoClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from infra import health
from infra.kafka import ensure_topics, make_broker
from schemas import topics
from schemas.events import ImportRequested, Trigger
from services.gateway import queries
from services.gateway.config import Settings
from services.gateway.feeds import feed_routes
from services.gateway.hub import Hub, Subscription
from services.gateway.responses import json_response as _json

log = logging.getLogger("gateway")
DASHBOARD = Path(__file__).parent / "static" / "index.html"


class ImportRequestBody(BaseModel):
    feeds: list[str] = []
    trigger: Trigger = Trigger.API


def build(settings: Settings) -> Starlette:
    broker = make_broker(settings, "gateway")
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    db = client[settings.mongodb_database]
    hub = Hub(send_timeout=settings.gateway_send_timeout_seconds)
    events_seen = {"job_status": 0, "import_log": 0}

    async def forward(event_type: str, data: dict[str, Any]) -> None:
        events_seen[event_type] += 1
        await hub.broadcast(event_type, data)

    # No group: every gateway replica hears every event, from now on. Statuses come in batches:
    # one at a time, decoding them cost the gateway as much CPU as the logger's counting.
    @broker.subscriber(
        settings.topic(topics.JOBS_STATUS), auto_offset_reset="latest", batch=True, max_records=500
    )
    async def on_job_statuses(batch: list[dict[str, Any]]) -> None:
        for data in batch:
            await forward("job_status", data)

    @broker.subscriber(settings.topic(topics.IMPORTS_LOGS), auto_offset_reset="latest")
    async def on_import_log(data: dict[str, Any]) -> None:
        await forward("import_log", data)

    def page_size(request: Request) -> int:
        raw = request.query_params.get("limit") or settings.gateway_page_size
        try:
            return max(1, min(int(raw), settings.gateway_max_page_size))
        except ValueError:
            raise ValueError("limit must be a whole number") from None

    async def dashboard(request: Request) -> Response:
        return FileResponse(DASHBOARD, media_type="text/html")

    async def list_imports(request: Request) -> Response:
        params = request.query_params
        try:
            rows, cursor = await queries.imports(
                db,
                feed=params.get("feed"),
                status=params.get("status"),
                limit=page_size(request),
                cursor=params.get("cursor"),
            )
        except ValueError as error:
            return _json({"error": str(error)}, 400)
        return _json({"items": rows, "next_cursor": cursor})

    async def get_import(request: Request) -> Response:
        row = await queries.one_import(db, request.path_params["run_id"])
        return _json(row) if row else _json({"error": "no such run"}, 404)

    async def request_import(request: Request) -> Response:
        try:
            body = ImportRequestBody.model_validate(await request.json() if await request.body() else {})
        except (ValidationError, json.JSONDecodeError) as error:
            return _json({"error": "invalid body", "detail": str(error)}, 422)
        event = ImportRequested(trigger_id=uuid.uuid4().hex, trigger=body.trigger, feeds=body.feeds)
        await broker.publish(event, settings.topic(topics.IMPORTS_REQUESTED), key=event.trigger_id.encode())
        return _json({"trigger_id": event.trigger_id}, 202)

    async def list_jobs(request: Request) -> Response:
        params = request.query_params
        try:
            rows, cursor = await queries.jobs(
                db,
                text=params.get("q"),
                source=params.get("source"),
                limit=page_size(request),
                cursor=params.get("cursor"),
            )
        except ValueError as error:
            return _json({"error": str(error)}, 400)
        return _json({"items": rows, "next_cursor": cursor})

    async def healthz(request: Request) -> Response:
        return _json({"ok": True})

    async def readyz(request: Request) -> Response:
        checks = await health.readiness(
            {"kafka": lambda: broker.ping(timeout=2), "mongodb": health.mongodb(client)}
        )
        ok = all(checks.values())
        return _json({"ok": ok, "checks": checks}, 200 if ok else 503)

    async def metrics(request: Request) -> Response:
        lines = [
            "# TYPE gateway_websocket_clients gauge",
            f"gateway_websocket_clients {len(hub.clients)}",
            "# TYPE gateway_events_total counter",
            *(f'gateway_events_total{{type="{kind}"}} {count}' for kind, count in events_seen.items()),
            "# TYPE gateway_websocket_messages_total counter",
            f"gateway_websocket_messages_total {hub.delivered}",
        ]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    async def websocket(socket: WebSocket) -> None:
        await socket.accept()
        hub.join(socket)
        try:
            while True:
                try:
                    hub.subscribe(socket, Subscription.from_request(json.loads(await socket.receive_text())))
                except (ValueError, AttributeError) as error:
                    await socket.send_text(json.dumps({"type": "error", "data": {"message": str(error)}}))
        except WebSocketDisconnect:
            pass
        finally:
            hub.leave(socket)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await ensure_topics(settings)
        await broker.start()
        yield
        for socket in list(hub.clients):
            with contextlib.suppress(Exception):
                await socket.close(code=1001, reason="server shutting down")
        await broker.stop()
        await client.close()

    routes = [
        Route("/", dashboard),
        Route("/api/imports", list_imports, methods=["GET"]),
        Route("/api/imports", request_import, methods=["POST"]),
        Route("/api/imports/{run_id}", get_import),
        *feed_routes(db),
        Route("/api/jobs", list_jobs),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        Route("/metrics", metrics),
        WebSocketRoute("/ws", websocket),
    ]
    return Starlette(routes=routes, lifespan=lifespan)

"""Wiring: the API and pages, the Kafka consumers feeding the websocket hub, the request publisher."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from faststream.kafka.annotations import KafkaMessage
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from infra import health, metrics
from infra.kafka import DocumentedAs, ensure_topics, lenient_batch, make_broker
from infra.redis_keys import RedisKeys
from infra.throttle import TokenBucket
from schemas import topics
from schemas.events import ImportLog, ImportRequested, JobStatus
from services.gateway import api, pages, problems, runs, sockets
from services.gateway.auth import Gate
from services.gateway.config import Settings
from services.gateway.guard import Guard
from services.gateway.hub import Hub
from services.gateway.letters import Letters
from services.gateway.openapi import document

DESCRIPTION = "Import history, feeds and jobs of the Job Importer. Writes need a bearer token."


def build(settings: Settings) -> FastAPI:
    broker = make_broker(settings, "gateway")
    hub = Hub(settings.gateway_ws_queue_size, settings.gateway_progress_interval_seconds)

    # No group: every gateway replica hears every event, from now on. Statuses come in batches:
    # one at a time, decoding them cost the gateway as much CPU as the logger's counting.
    @broker.subscriber(
        settings.topic(topics.JOBS_STATUS),
        auto_offset_reset="latest",
        batch=True,
        decoder=lenient_batch,
        max_records=500,
        title="gateway: relay job statuses",
    )
    async def on_job_statuses(
        statuses: Annotated[list[dict[str, Any]], DocumentedAs(JobStatus)], message: KafkaMessage
    ) -> None:
        with metrics.batch_handled(message.raw_message):
            for status in statuses:
                if isinstance(status, dict):  # anything else is not ours to relay
                    hub.publish("job_status", status)

    @broker.subscriber(
        settings.topic(topics.IMPORTS_LOGS), auto_offset_reset="latest", title="gateway: relay logs"
    )
    async def on_import_log(log: Annotated[dict[str, Any], DocumentedAs(ImportLog)]) -> None:
        hub.publish("import_log", log)

    app = FastAPI(
        title="Job Importer API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings, app.state.broker, app.state.hub = settings, broker, hub
    app.state.refresh_lag = metrics.consumer_lag(broker)
    app.state.requests = broker.publisher(
        settings.topic(topics.IMPORTS_REQUESTED), schema=ImportRequested, title="gateway: request imports"
    )
    app.state.gate = Gate(
        tuple(settings.api_tokens),
        settings.gateway_public_reads,
        frozenset(settings.allowed_origins),
        settings.gateway_session_hours * 3600,
    )
    app.include_router(api.router)
    app.include_router(runs.router)
    app.include_router(pages.router)
    app.add_api_route("/healthz", healthz, include_in_schema=False)
    app.add_api_route("/readyz", readyz, include_in_schema=False)
    app.add_api_route("/metrics", scrape, include_in_schema=False)
    app.add_api_websocket_route("/ws", websocket)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.add_middleware(Guard, max_body_bytes=settings.gateway_max_body_bytes)
    problems.install(app)
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
    return app


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    client: AsyncMongoClient[Any] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    app.state.mongo, app.state.db, app.state.redis = client, client[settings.mongodb_database], redis
    per_second = settings.gateway_import_requests_per_minute / 60
    keys = app.state.keys = RedisKeys(settings.kafka_topic_prefix)
    app.state.import_bucket = TokenBucket(
        redis, keys.import_requests(), settings.gateway_import_burst, per_second
    )
    await ensure_topics(settings)
    await app.state.broker.start()
    app.state.letters = Letters(settings)
    await app.state.letters.start()
    progress = asyncio.create_task(app.state.hub.run())
    yield
    progress.cancel()
    await app.state.letters.stop()
    await app.state.broker.stop()
    await redis.aclose()
    await client.close()


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


async def healthz() -> Response:
    return JSONResponse({"ok": True})


async def readyz(request: Request) -> Response:
    state = request.app.state
    checks = await health.readiness(
        {
            "kafka": lambda: state.broker.ping(timeout=2),
            "mongodb": health.mongodb(state.mongo),
            "redis": health.redis(state.redis),
        }
    )
    ok = all(checks.values())
    return JSONResponse({"ok": ok, "checks": checks}, 200 if ok else 503)


async def scrape(request: Request) -> Response:
    await request.app.state.refresh_lag()
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)

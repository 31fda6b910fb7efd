"""Wiring: the API and pages, the Kafka consumers feeding the websocket hub, the request publisher."""

from typing import Annotated, Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from faststream.kafka.annotations import KafkaMessage

from infra import metrics
from infra.kafka import DocumentedAs, lenient_batch, make_broker
from infra.redis_keys import RedisKeys
from schemas import topics
from schemas.events import ImportLog, ImportRequested, JobStatus
from services.gateway import api, handlers, pages, problems, runs
from services.gateway.auth import Gate
from services.gateway.config import Settings
from services.gateway.guard import Guard
from services.gateway.hub import Hub
from services.gateway.lifespan import lifespan
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
            handlers.relay_job_statuses(hub, statuses)

    @broker.subscriber(
        settings.topic(topics.IMPORTS_LOGS), auto_offset_reset="latest", title="gateway: relay logs"
    )
    async def on_import_log(import_log: Annotated[dict[str, Any], DocumentedAs(ImportLog)]) -> None:
        handlers.relay_import_log(hub, import_log)

    app = FastAPI(
        title="Job Importer API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    state = app.state
    state.settings, state.broker, state.hub = settings, broker, hub
    state.keys, state.refresh_lag = RedisKeys(settings.kafka_topic_prefix), metrics.consumer_lag(broker)
    state.requests = broker.publisher(
        settings.topic(topics.IMPORTS_REQUESTED), schema=ImportRequested, title="gateway: request imports"
    )
    state.gate = Gate.from_settings(settings)
    for router in (api.router, runs.router, pages.router, handlers.router):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    app.add_middleware(Guard, max_body_bytes=settings.gateway_max_body_bytes)
    problems.install(app)
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
    return app

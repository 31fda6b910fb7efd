"""The gateway's two subscribers as FastStream tests them: in memory (TestKafkaBroker), then the same
test against the local Kafka (`with_real=True`). What they prove: events heard on jobs.status and
imports.logs reach the websocket clients that asked for them, as the frames those clients read.
"""

import json
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker
from faststream.kafka.broker import KafkaBroker

from infra.kafka import ensure_topics
from schemas import topics
from schemas.events import JobStatus, Outcome
from services.gateway.app import build
from services.gateway.config import Settings
from services.gateway.hub import EVENT_TYPES, Hub, Outbox
from tests.conftest import eventually

BROKERS = pytest.mark.parametrize("with_real", [False, True], ids=["in-memory", "real-kafka"])


def status(run_id: str, job_key: str, outcome: Outcome) -> JobStatus:
    return JobStatus(run_id=run_id, trigger_id="t", feed_id="f", job_key=job_key, outcome=outcome)


def frames(outbox: Outbox) -> list[dict[str, Any]]:
    return [json.loads(frame) for frame in outbox.frames]


def client(hub: Hub, **subscription: Any) -> Outbox:
    """A websocket client that sent `{"subscribe": subscription}` (none: the default overview)."""
    outbox = hub.join()
    if subscription:
        hub.request(outbox, json.dumps({"subscribe": subscription}))
    return outbox


async def listening(broker: KafkaBroker, settings: Settings, hub: Hub) -> None:
    """Until the gateway hears a status: on a real broker its consumer starts at the end once assigned."""
    listener = client(hub, run_id="warm-up")

    async def heard() -> bool:
        await broker.publish(status("warm-up", "k", Outcome.NEW), topic=settings.topic(topics.JOBS_STATUS))
        return bool(listener.frames)

    await eventually(heard, timeout=30)
    hub.leave(listener)


@pytest.fixture
async def settings(environment: dict[str, str]) -> Settings:
    return Settings()


@BROKERS
async def test_a_batch_of_statuses_reaches_the_clients_following_the_run(
    settings: Settings, with_real: bool
) -> None:
    if with_real:
        await ensure_topics(settings)
    app = build(settings)
    hub: Hub = app.state.hub
    follower, other_run, overview = client(hub, run_id="r1"), client(hub, run_id="r2"), client(hub)

    async with TestKafkaBroker(app.state.broker, with_real=with_real) as broker:
        await listening(broker, settings, hub)
        batch = [status("r1", "k1", Outcome.NEW), status("r1", "k2", Outcome.FAILED)]
        await broker.publish_batch(*batch, topic=settings.topic(topics.JOBS_STATUS))
        await eventually(lambda: _at_least(follower, 2), timeout=30)

    assert [(f["type"], f["data"]["job_key"]) for f in frames(follower)] == [
        ("job_status", "k1"),
        ("job_status", "k2"),
    ]
    assert frames(other_run) == [] and frames(overview) == []  # the overview gets progress, not jobs
    assert hub.progress.runs["r1"]["counts"] == {"new": 1, "updated": 0, "unchanged": 0, "failed": 1}


@BROKERS
async def test_an_import_log_reaches_the_clients_of_its_feed(settings: Settings, with_real: bool) -> None:
    if with_real:
        await ensure_topics(settings)
    app = build(settings)
    hub: Hub = app.state.hub
    of_feed, of_other_feed = client(hub, feed_id="f"), client(hub, feed_id="g")
    everything = client(hub, types=sorted(EVENT_TYPES - {"job_status"}))

    async with TestKafkaBroker(app.state.broker, with_real=with_real) as broker:
        await listening(broker, settings, hub)
        log = {"run_id": "r1", "feed_id": "f", "status": "running", "total_fetched": 12}
        await broker.publish(log, topic=settings.topic(topics.IMPORTS_LOGS))
        await eventually(lambda: _at_least(of_feed, 1), timeout=30)

    assert frames(of_feed) == [{"type": "import_log", "data": log}]
    assert frames(everything) == [{"type": "import_log", "data": log}]
    assert frames(of_other_feed) == []


async def _at_least(outbox: Outbox, count: int) -> bool:
    return len(outbox.frames) >= count

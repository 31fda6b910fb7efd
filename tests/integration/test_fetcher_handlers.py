"""The fetcher's subscriber as FastStream tests it: in memory (TestKafkaBroker), then the same test
against the local Kafka (`with_real=True`). The store and Redis are the real ones in both; the feed
is served over loopback. What it proves: an ImportRequested on imports.requested becomes one
JobFetched per job on jobs.fetched and the run's RunStarted and RunFetched on imports.runs.
"""

from collections.abc import Iterator
from typing import Any

import pytest
from faststream.kafka import TestKafkaBroker

from infra.kafka import ensure_topics
from launcher.feed_server import FeedServer
from schemas import topics
from schemas.events import ImportRequested, Trigger
from schemas.feeds import Feed
from services.fetcher import registry
from services.fetcher.app import build
from services.fetcher.config import Settings
from services.gateway import feeds as gateway_feeds
from tests.conftest import DATA, eventually

BROKERS = pytest.mark.parametrize("with_real", [False, True], ids=["in-memory", "real-kafka"])
FEED = "techcorridor_positions_2017.atom"  # twelve jobs


@pytest.fixture(scope="module")
def feeds_server() -> Iterator[FeedServer]:
    with FeedServer(DATA) as server:
        yield server


@BROKERS
async def test_an_import_request_becomes_a_job_fetched_per_job_and_the_run_events(
    environment: dict[str, str], database: Any, feeds_server: FeedServer, with_real: bool
) -> None:
    settings = Settings(fetch_allow_private_networks=True, fetch_host_requests_per_minute=60_000)
    if with_real:
        await ensure_topics(settings)
    await gateway_feeds.register(database, [Feed(id="f", url=feeds_server.url(FEED))])
    app = build(settings)
    runs: list[dict[str, Any]] = []
    jobs: list[dict[str, Any]] = []
    heard = {"group_id": settings.group("test-heard"), "auto_offset_reset": "earliest"}

    @app.broker.subscriber(settings.topic(topics.IMPORTS_RUNS), **heard)
    async def on_run(event: dict[str, Any]) -> None:
        runs.append(event)

    @app.broker.subscriber(settings.topic(topics.JOBS_FETCHED), **heard)
    async def on_job(event: dict[str, Any]) -> None:
        jobs.append(event)

    request = ImportRequested(trigger_id="t1", trigger=Trigger.API, feeds=["f"])
    try:
        async with TestKafkaBroker(app.broker, with_real=with_real) as broker:
            await broker.publish(request, topic=settings.topic(topics.IMPORTS_REQUESTED), key=b"t1")
            await eventually(lambda: _ended(runs, jobs), timeout=60)
    finally:
        await app.stop()  # the clients the wiring opened

    started, fetched = runs
    assert (started["event"], fetched["event"]) == ("run_started", "run_fetched")
    assert (fetched["expected_statuses"], fetched["total_fetched"], fetched["http_status"]) == (12, 12, 200)
    assert {job["run_id"] for job in jobs} == {started["run_id"]} and started["trigger_id"] == "t1"
    assert len({job["job"]["job_key"] for job in jobs}) == 12
    stored = await registry.load(registry.Feeds.of(database), "f")
    assert stored is not None and stored.last_success_at is not None  # the fetch was recorded


async def _ended(runs: list[dict[str, Any]], jobs: list[dict[str, Any]]) -> bool:
    return len(runs) >= 2 and len(jobs) >= 12

"""The feeds registry in the real store: the file is the source, health survives, one replica claims."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from infra import mongo
from infra.settings import CommonSettings
from schemas.feeds import Feed
from services.fetcher import registry
from services.fetcher.schedule import claim_due


@pytest.fixture
async def feeds(environment: dict[str, str], database: Any) -> AsyncIterator[Any]:
    client = await mongo.connect(CommonSettings(), registry.INDEXES)
    yield database.feeds
    await client.close()


async def test_the_feeds_file_is_registered_and_edits_keep_health(feeds: Any, tmp_path: Path) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - {id: a, url: 'https://a.example/feed', interval_minutes: 30}\n")
    await registry.register(registry.read_feeds_file(path))
    await registry.record_attempt(Feed(id="a", url="https://a.example/feed"), "HTTP 503")

    await registry.register([Feed(id="a", url="https://a.example/jobs.rss", enabled=False)])

    feed = await registry.load("a")
    assert feed is not None
    assert (feed.url, feed.enabled, feed.consecutive_failures, feed.last_error) == (
        "https://a.example/jobs.rss",
        False,
        1,
        "HTTP 503",
    )


async def test_feeds_are_found_by_id_or_url_and_unknown_names_are_reported(feeds: Any) -> None:
    await registry.register(
        [Feed(id="a", url="https://a.example/feed"), Feed(id="b", url="https://b.example/")]
    )
    found, unknown = await registry.find(["b", "https://a.example/feed", "missing"])
    assert [feed.id for feed in found] == ["b", "a"] and unknown == ["missing"]


async def test_a_due_feed_is_claimed_by_exactly_one_of_many_schedulers(feeds: Any) -> None:
    await registry.register([Feed(id="a", url="https://a.example/feed", interval_minutes=60)])
    now = datetime.now(UTC) + timedelta(hours=2)  # past the first check

    replicas = [Redis.from_url(CommonSettings().redis_url) for _ in range(5)]
    claims = await asyncio.gather(*(claim_due(redis, now) for redis in replicas))
    for redis in replicas:
        await redis.aclose()

    assert sorted(len(claimed) for claimed in claims) == [0, 0, 0, 0, 1]
    feed = await registry.load("a")
    assert feed is not None and feed.next_check_at is not None
    assert abs(feed.next_check_at - (now + timedelta(minutes=60))) < timedelta(
        milliseconds=1
    )  # store keeps ms

"""The feeds registry in the real store: file and API entries (the gateway writes them), per-feed
health (the fetcher writes it), one replica claims."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any

import pytest
from redis.asyncio import Redis

from infra.redis_keys import RedisKeys
from infra.settings import CommonSettings
from schemas.feeds import Feed
from schemas.views import FeedChange, FeedEntry
from services.fetcher.registry import feeds as registry
from services.fetcher.registry.schedule import claim_due
from services.gateway import feeds as api_feeds

MS = timedelta(milliseconds=1)  # the store keeps milliseconds
KEYS = RedisKeys(f"test-{uuid.uuid4().hex[:10]}.")


@pytest.fixture
async def feeds(environment: dict[str, str], database: Any) -> AsyncIterator[registry.Feeds]:
    yield registry.Feeds.of(database)


@pytest.fixture
async def redis(stack: CommonSettings) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack.redis_url)
    yield client
    await client.aclose()


def host() -> str:
    """A host no other test (or earlier run) has taken turns on in the shared Redis."""
    return f"{uuid.uuid4().hex[:12]}.example"


async def register(feeds: registry.Feeds, entries: list[Feed]) -> None:
    """The file's entries, as the gateway registers them at start."""
    await api_feeds.register(feeds.registry.database, entries)


async def health(feeds: registry.Feeds, feed_id: str) -> registry.FeedDocument:
    feed = await registry.load(feeds, feed_id)
    assert feed is not None
    return feed


async def origin(feeds: registry.Feeds, feed_id: str) -> str:
    stored = await feeds.registry.find_one({"_id": feed_id})
    assert stored is not None
    return str(stored["origin"])


# The feeds file and the API


async def test_the_feeds_file_is_registered_and_edits_keep_health(
    feeds: registry.Feeds, tmp_path: Path
) -> None:
    path = tmp_path / "feeds.yaml"
    path.write_text("feeds:\n  - {id: a, url: 'https://a.example/feed', interval_minutes: 30}\n")
    await register(feeds, api_feeds.read_feeds_file(path))
    await registry.record_failure(feeds, "a", error="HTTP 503")

    await register(feeds, [Feed(id="a", url="https://a.example/jobs.rss", enabled=False)])

    feed = await health(feeds, "a")
    assert (feed.url, feed.enabled, feed.consecutive_failures, feed.last_error) == (
        "https://a.example/jobs.rss",
        False,
        1,
        "HTTP 503",
    )
    assert await origin(feeds, "a") == "file"


async def test_a_feed_removed_from_the_file_is_disabled_and_keeps_its_history(feeds: registry.Feeds) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/"), Feed(id="b", url="https://b.example/")])
    await registry.record_failure(feeds, "b", error="HTTP 500")

    await register(feeds, [Feed(id="a", url="https://a.example/")])

    gone = await health(feeds, "b")
    assert (gone.enabled, gone.consecutive_failures, gone.last_error) == (False, 1, "HTTP 500")
    assert (await health(feeds, "a")).enabled


async def test_the_file_never_overwrites_or_disables_a_feed_made_through_the_api(
    feeds: registry.Feeds,
) -> None:
    await api_feeds.add(feeds.registry.database, FeedEntry(id="api", url="https://api.example/feed"))

    await register(feeds, [Feed(id="api", url="https://file.example/feed", interval_minutes=5)])
    await register(feeds, [])

    feed = await health(feeds, "api")
    assert (feed.url, feed.interval_minutes, feed.enabled) == ("https://api.example/feed", 60, True)
    assert await origin(feeds, "api") == "api"


async def test_a_file_feed_edited_through_the_api_is_no_longer_managed_by_the_file(
    feeds: registry.Feeds,
) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/feed")])
    await api_feeds.change(feeds.registry.database, "a", FeedChange(enabled=False))

    await register(feeds, [Feed(id="a", url="https://a.example/feed", enabled=True)])

    assert not (await health(feeds, "a")).enabled


async def test_feeds_are_found_by_id_or_url_and_unknown_names_are_reported(feeds: registry.Feeds) -> None:
    await register(
        feeds, [Feed(id="a", url="https://a.example/feed"), Feed(id="b", url="https://b.example/")]
    )
    found, unknown = await registry.find(feeds, ["b", "https://a.example/feed", "missing"])
    assert [feed.id for feed in found] == ["b", "a"] and unknown == ["missing"]


# Health


async def test_a_success_records_validators_resets_failures_and_schedules_within_the_jittered_interval(
    feeds: registry.Feeds,
) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/", interval_minutes=60)])
    await registry.record_failure(feeds, "a", error="HTTP 500")
    now = datetime.now(UTC)

    next_check = await registry.record_success(feeds, "a", etag='"v2"', last_modified=None, now=now)

    feed = await health(feeds, "a")
    assert (feed.consecutive_failures, feed.last_error, feed.etag) == (0, None, '"v2"')
    assert abs(feed.last_success_at - now) < MS and abs(feed.last_attempt_at - now) < MS  # type: ignore[operator]
    assert feed.next_check_at is not None and next_check is not None
    assert abs(feed.next_check_at - next_check) < MS
    assert timedelta(minutes=54) <= next_check - now <= timedelta(minutes=66)


async def test_a_feed_asking_for_a_long_ttl_is_checked_no_sooner(feeds: registry.Feeds) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/", interval_minutes=15)])
    now = datetime.now(UTC)
    next_check = await registry.record_success(
        feeds, "a", etag=None, last_modified=None, ttl_minutes=120, now=now
    )
    assert next_check == now + timedelta(minutes=120)


async def test_failures_count_up_and_back_off_further_each_time(feeds: registry.Feeds) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/", interval_minutes=60)])
    now = datetime.now(UTC)
    checks = [
        await registry.record_failure(feeds, "a", error=f"try {n}", now=now, rng=Random(1)) for n in range(4)
    ]

    feed = await health(feeds, "a")
    assert (feed.consecutive_failures, feed.last_error) == (4, "try 3")
    assert feed.last_success_at is None and feed.enabled  # polling never stops for good
    waits = [check - now for check in checks if check]
    assert waits == sorted(waits) and waits[-1] >= timedelta(hours=4)


async def test_a_failure_with_retry_after_is_not_retried_before_it(feeds: registry.Feeds) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/", interval_minutes=10)])
    now = datetime.now(UTC)
    next_check = await registry.record_failure(
        feeds, "a", error="HTTP 429", retry_after_seconds=7200, now=now
    )
    assert next_check == now + timedelta(hours=2)


async def test_health_of_a_feed_that_is_not_registered_is_not_recorded(feeds: registry.Feeds) -> None:
    assert await registry.record_failure(feeds, "adhoc", error="HTTP 500") is None
    assert await registry.load(feeds, "adhoc") is None


async def test_a_permanent_redirect_moves_the_feed_and_the_file_does_not_move_it_back(
    feeds: registry.Feeds,
) -> None:
    await register(feeds, [Feed(id="a", url="http://old.example/feed")])

    await registry.move_url(feeds, "a", "https://new.example/feed")
    await register(feeds, [Feed(id="a", url="http://old.example/feed", interval_minutes=5)])

    feed = await health(feeds, "a")
    assert (feed.url, feed.previous_url, feed.interval_minutes) == (
        "https://new.example/feed",
        "http://old.example/feed",
        5,
    )


async def test_a_discovered_feed_keeps_its_url_and_source_when_the_file_still_names_the_page(
    feeds: registry.Feeds,
) -> None:
    await register(feeds, [Feed(id="a", url="https://acme.example/careers")])

    await registry.move_url(feeds, "a", "https://feeds.host.example/acme", source="acme.example")
    await register(feeds, [Feed(id="a", url="https://acme.example/careers")])

    feed = await health(feeds, "a")
    assert (feed.url, feed.previous_url, feed.source) == (
        "https://feeds.host.example/acme",
        "https://acme.example/careers",
        "acme.example",
    )


async def test_a_new_address_in_the_file_drops_the_old_addresses_validators(feeds: registry.Feeds) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/old")])
    await registry.record_success(feeds, "a", etag='"old"', last_modified="Sun, 01 Nov 2026 12:00:00 GMT")

    await register(feeds, [Feed(id="a", url="https://a.example/new")])

    feed = await health(feeds, "a")
    assert (feed.url, feed.etag, feed.last_modified) == ("https://a.example/new", None, None)


# Scheduling


async def test_new_feeds_are_due_at_once_and_those_of_one_host_take_turns(
    feeds: registry.Feeds, redis: Redis
) -> None:
    shared, now = host(), datetime.now(UTC)
    await register(
        feeds,
        [Feed(id=name, url=f"https://{shared}/{name}") for name in ("a", "b", "c")]
        + [Feed(id="other", url=f"https://{host()}/")],
    )

    claimed = await claim_due(feeds, redis, KEYS, now, spacing_seconds=30)

    assert sorted(feed.id for feed in claimed) == ["a", "other"]  # a host's first, most overdue first
    later = sorted([(await health(feeds, name)).next_check_at - now for name in ("b", "c")])  # type: ignore[operator]
    assert [round(wait.total_seconds()) for wait in later] == [30, 60]


async def test_a_due_feed_is_claimed_by_exactly_one_of_many_schedulers(feeds: registry.Feeds) -> None:
    await register(feeds, [Feed(id="a", url=f"https://{host()}/feed", interval_minutes=60)])
    now = datetime.now(UTC) + timedelta(hours=2)  # past the first check

    replicas = [Redis.from_url(CommonSettings().redis_url) for _ in range(5)]
    claims = await asyncio.gather(*(claim_due(feeds, redis, KEYS, now) for redis in replicas))
    for replica in replicas:
        await replica.aclose()

    assert sorted(len(claimed) for claimed in claims) == [0, 0, 0, 0, 1]
    assert abs((await health(feeds, "a")).next_check_at - (now + timedelta(minutes=60))) < MS  # type: ignore[operator]


async def test_due_feeds_of_one_host_take_turns_spacing_seconds_apart(
    feeds: registry.Feeds, redis: Redis
) -> None:
    shared = host()
    await register(feeds, [Feed(id=name, url=f"https://{shared}/{name}") for name in ("a", "b", "c")])
    now = datetime.now(UTC) + timedelta(hours=2)  # all three are due

    first = await claim_due(feeds, redis, KEYS, now, spacing_seconds=30)
    second = await claim_due(feeds, redis, KEYS, now + timedelta(seconds=30), spacing_seconds=30)
    third = await claim_due(feeds, redis, KEYS, now + timedelta(seconds=60), spacing_seconds=30)

    assert [len(claimed) for claimed in (first, second, third)] == [1, 1, 1]
    assert len({feed.id for feed in first + second + third}) == 3


async def test_due_feeds_on_different_hosts_are_claimed_together(feeds: registry.Feeds, redis: Redis) -> None:
    await register(feeds, [Feed(id=name, url=f"https://{host()}/feed") for name in ("a", "b", "c")])
    claimed = await claim_due(feeds, redis, KEYS, datetime.now(UTC) + timedelta(hours=2))
    assert sorted(feed.id for feed in claimed) == ["a", "b", "c"]


# One writer each: the gateway the registry, the fetcher the health


async def test_the_fetcher_writes_only_health_and_the_gateway_only_the_registry(
    feeds: registry.Feeds,
) -> None:
    db = feeds.registry.database
    await api_feeds.add(db, FeedEntry(id="a", url="https://a.example/feed"))
    registered = await feeds.registry.find_one({"_id": "a"})

    await registry.record_failure(feeds, "a", error="HTTP 500")
    await registry.move_url(feeds, "a", "https://b.example/feed", source="a.example")
    await registry.record_success(feeds, "a", etag='"v1"', last_modified=None)
    assert await feeds.registry.find_one({"_id": "a"}) == registered

    stored_health = await feeds.health.find_one({"_id": "a"})
    await api_feeds.change(db, "a", FeedChange(interval_minutes=5))
    await register(feeds, [Feed(id="b", url="https://b.example/other")])
    assert await feeds.health.find_one({"_id": "a"}) == stored_health
    assert await feeds.health.find_one({"_id": "b"}) is None


async def test_a_moved_feed_is_found_by_its_new_address_too(feeds: registry.Feeds) -> None:
    await register(feeds, [Feed(id="a", url="http://old.example/feed")])
    await registry.move_url(feeds, "a", "https://new.example/feed")

    found, unknown = await registry.find(feeds, ["https://new.example/feed", "http://old.example/feed"])

    assert [feed.id for feed in found] == ["a", "a"] and unknown == []


async def test_a_move_learnt_at_an_address_the_registry_no_longer_names_is_forgotten(
    feeds: registry.Feeds,
) -> None:
    await register(feeds, [Feed(id="a", url="https://a.example/page")])
    await registry.move_url(feeds, "a", "https://feeds.example/a", source="a.example")
    await register(feeds, [Feed(id="a", url="https://a.example/feed.rss")])

    await registry.record_success(feeds, "a", etag='"v1"', last_modified=None)  # fetched at the new address

    feed = await health(feeds, "a")
    assert (feed.url, feed.previous_url, feed.source, feed.etag) == (
        "https://a.example/feed.rss",
        None,
        None,
        '"v1"',
    )

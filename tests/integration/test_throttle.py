"""Token buckets, host pauses, turns and leases held in the real Redis, shared by every replica."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis.asyncio import Redis

from infra.redis_keys import RedisKeys
from infra.settings import CommonSettings
from infra.throttle import LeaseHeld, Throttled, TokenBucket, lease, pause_host, paused_for, take_turn


@pytest.fixture
async def redis(stack: CommonSettings) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack.redis_url)
    yield client
    await client.aclose()


async def test_a_bucket_lets_a_burst_through_then_makes_callers_wait(redis: Redis) -> None:
    bucket = TokenBucket(redis, f"test:{uuid.uuid4().hex}", capacity=3, per_second=20)
    waits = [await bucket.take("jobs.example") for _ in range(5)]
    assert waits[:3] == [0, 0, 0]
    assert all(wait > 0 for wait in waits[3:])


async def test_buckets_are_per_host(redis: Redis) -> None:
    bucket = TokenBucket(redis, f"test:{uuid.uuid4().hex}", capacity=1, per_second=0.01)
    assert await bucket.take("a.example") == 0
    assert await bucket.take("b.example") == 0


async def test_replicas_share_one_bucket(redis: Redis, stack: CommonSettings) -> None:
    name = f"test:{uuid.uuid4().hex}"
    other_replica = Redis.from_url(stack.redis_url)
    try:
        await TokenBucket(redis, name, capacity=1, per_second=0.01).take("host")
        taking = asyncio.create_task(
            TokenBucket(other_replica, name, capacity=1, per_second=0.01).take("host")
        )
        await asyncio.sleep(0.2)  # the other replica must still be waiting for a token
        assert not taking.done()
        taking.cancel()
    finally:
        await other_replica.aclose()


PAUSES = RedisKeys(f"test-{uuid.uuid4().hex[:10]}.").host_pause


def unique_host() -> str:
    return f"{uuid.uuid4().hex[:12]}.example"


@pytest.fixture
async def other_replica(stack: CommonSettings) -> AsyncIterator[Redis]:
    client = Redis.from_url(stack.redis_url)
    yield client
    await client.aclose()


async def test_a_host_paused_by_one_replica_gives_another_replica_no_token(
    redis: Redis, other_replica: Redis
) -> None:
    host, name = unique_host(), f"test:{uuid.uuid4().hex}"
    await pause_host(redis, PAUSES(host), 600)  # a 429 with Retry-After: 600

    with pytest.raises(Throttled) as throttled:
        await TokenBucket(other_replica, name, capacity=5, per_second=10, pause_key=PAUSES).take(
            host, longest_wait=60
        )

    assert throttled.value.key == host and throttled.value.seconds > 60
    assert (
        await TokenBucket(other_replica, name, capacity=5, per_second=10, pause_key=PAUSES).take(
            unique_host()
        )
        == 0
    )


async def test_a_take_waits_out_a_short_pause_then_gets_its_token(redis: Redis, other_replica: Redis) -> None:
    host = unique_host()
    await pause_host(redis, PAUSES(host), 1)
    waited = await TokenBucket(
        other_replica, f"test:{uuid.uuid4().hex}", capacity=5, per_second=10, pause_key=PAUSES
    ).take(host)
    assert waited > 0 and await paused_for(redis, PAUSES(host)) == 0


async def test_a_shorter_retry_after_never_cuts_a_longer_pause_short(redis: Redis) -> None:
    host = unique_host()
    await pause_host(redis, PAUSES(host), 600)
    assert await pause_host(redis, PAUSES(host), 5) > 500
    assert await paused_for(redis, PAUSES(host)) > 500


async def test_turns_on_a_key_are_spacing_apart_across_replicas(redis: Redis, other_replica: Redis) -> None:
    key, now = f"test:turn:{uuid.uuid4().hex}", datetime.now(UTC)
    assert await take_turn(redis, key, 30, now) == 0
    assert await take_turn(other_replica, key, 30, now + timedelta(seconds=10)) == 20
    assert await take_turn(other_replica, key, 30, now + timedelta(seconds=30)) == 0


async def test_a_lease_is_exclusive_until_released(redis: Redis) -> None:
    key = f"test:lease:{uuid.uuid4().hex}"
    async with lease(redis, key, seconds=30):
        with pytest.raises(LeaseHeld):
            async with lease(redis, key, seconds=30):
                pass
    async with lease(redis, key, seconds=30):
        assert await redis.exists(key)


async def test_a_lease_expires_when_its_holder_dies(redis: Redis) -> None:
    key = f"test:lease:{uuid.uuid4().hex}"
    await redis.set(key, "crashed-holder", px=100)  # as left by a replica that died mid-import
    await asyncio.sleep(0.2)
    async with lease(redis, key, seconds=30):
        assert await redis.get(key) != b"crashed-holder"


async def test_a_lease_outlives_its_ttl_while_its_holder_works_and_names_the_holder(redis: Redis) -> None:
    key = f"test:lease:{uuid.uuid4().hex}"
    async with lease(redis, key, seconds=0.3, holder="fetcher-a:12"):
        await asyncio.sleep(1.0)  # three lease lifetimes: only the heartbeat keeps it
        with pytest.raises(LeaseHeld) as held:
            async with lease(redis, key, seconds=0.3, holder="fetcher-b:34"):
                pass
    assert held.value.holder == "fetcher-a:12"
    assert not await redis.exists(key)

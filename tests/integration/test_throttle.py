"""Token buckets and leases held in the real Redis, shared by every replica."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from infra.settings import CommonSettings
from infra.throttle import LeaseHeld, TokenBucket, lease


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

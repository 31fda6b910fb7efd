"""The Redis semaphore that caps concurrent store writes across processor replicas."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from infra.semaphore import RedisSemaphore
from infra.settings import CommonSettings


@pytest.fixture
async def replicas(stack: CommonSettings) -> AsyncIterator[list[Redis]]:
    clients = [Redis.from_url(stack.redis_url) for _ in range(4)]
    yield clients
    for client in clients:
        await client.aclose()


async def test_no_more_than_the_limit_hold_a_slot_at_once_across_replicas(replicas: list[Redis]) -> None:
    name = f"test:writes:{uuid.uuid4().hex}"
    inside, most = 0, 0

    async def write(redis: Redis) -> None:
        nonlocal inside, most
        async with RedisSemaphore(redis, name, limit=2).slot():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.02)  # hold the slot while others try
            inside -= 1

    await asyncio.gather(*(write(redis) for redis in replicas for _ in range(3)))

    assert most == 2
    assert await RedisSemaphore(replicas[0], name, limit=2).holders() == 0


async def test_a_slot_held_by_a_dead_replica_is_freed_when_its_lease_ends(replicas: list[Redis]) -> None:
    name = f"test:writes:{uuid.uuid4().hex}"
    await replicas[0].zadd(name, {"dead-replica": time.time() + 0.1})

    async with asyncio.timeout(10), RedisSemaphore(replicas[1], name, limit=1).slot():
        assert await replicas[1].zscore(name, "dead-replica") is None

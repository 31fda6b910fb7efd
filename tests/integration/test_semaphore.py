"""The Redis semaphore that caps concurrent store writes across processor replicas."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from infra.semaphore import RedisSemaphore
from infra.settings import CommonSettings
from tests.conftest import eventually


@pytest.fixture
async def replicas(stack: CommonSettings) -> AsyncIterator[list[Redis]]:
    clients = [Redis.from_url(stack.redis_url) for _ in range(4)]
    yield clients
    for client in clients:
        await client.aclose()


class Watched(RedisSemaphore):
    """One writer's semaphore, which notes whether it was ever refused a slot."""

    refused = False

    async def _try_acquire(self, token: str) -> bool:
        acquired = await super()._try_acquire(token)
        self.refused |= not acquired
        return acquired


async def test_no_more_than_the_limit_hold_a_slot_at_once_across_replicas(replicas: list[Redis]) -> None:
    name = f"test:writes:{uuid.uuid4().hex}"
    writers = [Watched(redis, name, limit=2) for redis in replicas for _ in range(3)]
    entered: set[Watched] = set()
    inside, most = 0, 0

    async def all_others_refused() -> bool:
        return all(writer.refused for writer in writers if writer not in entered)

    async def write(semaphore: Watched) -> None:
        nonlocal inside, most
        async with semaphore.slot():
            inside += 1
            most = max(most, inside)
            entered.add(semaphore)
            # Hold the slot until every writer still outside has tried and been refused.
            await eventually(all_others_refused)
            inside -= 1

    await asyncio.gather(*(write(semaphore) for semaphore in writers))

    assert most == 2
    assert await RedisSemaphore(replicas[0], name, limit=2).holders() == 0


async def test_a_slot_held_by_a_dead_replica_is_freed_when_its_lease_ends(replicas: list[Redis]) -> None:
    name = f"test:writes:{uuid.uuid4().hex}"
    await replicas[0].zadd(name, {"dead-replica": time.time() + 0.1})

    async with asyncio.timeout(10), RedisSemaphore(replicas[1], name, limit=1).slot():
        assert await replicas[1].zscore(name, "dead-replica") is None

"""A counting semaphore in Redis: at most N holders across every replica, each with a lease."""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

# Drop holders whose lease ran out (a replica that died holding a slot), then take a free slot.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  return 1
end
return 0
"""


class RedisSemaphore:
    def __init__(
        self, redis: Redis, name: str, limit: int, lease_seconds: float = 60, poll_seconds: float = 0.05
    ) -> None:
        self._redis, self._name, self._limit = redis, name, limit
        self._lease, self._poll = lease_seconds, poll_seconds

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        token = secrets.token_hex(8)
        while not await self._try_acquire(token):  # noqa: ASYNC110 - the other holders live in other processes
            await asyncio.sleep(self._poll)
        try:
            yield
        finally:
            await self._redis.zrem(self._name, token)

    async def holders(self) -> int:
        return int(await self._redis.zcount(self._name, time.time(), "+inf"))

    async def _try_acquire(self, token: str) -> bool:
        now = time.time()
        acquired = await self._redis.eval(_ACQUIRE, 1, self._name, now, self._limit, now + self._lease, token)
        return bool(acquired)

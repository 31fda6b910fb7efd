"""Redis-held limits shared by every replica: token buckets and leases."""

import asyncio
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis

# Refill the bucket for the time elapsed, then take one token or say how long to wait for it.
_TAKE = """
local capacity = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - at) * per_second)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / per_second end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'at', now)
redis.call('EXPIRE', KEYS[1], math.ceil(capacity / per_second) + 60)
return tostring(wait)
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class TokenBucket:
    def __init__(self, redis: Redis, name: str, capacity: float, per_second: float) -> None:
        self._redis, self._name = redis, name
        self._capacity, self._per_second = capacity, per_second

    async def take(self, key: str) -> float:
        """Wait until one token for `key` is ours; returns the seconds waited."""
        waited = 0.0
        while True:
            wait = float(
                await self._redis.eval(
                    _TAKE, 1, f"{self._name}:{key}", self._capacity, self._per_second, time.time()
                )
            )
            if wait <= 0:
                return waited
            await asyncio.sleep(wait)
            waited += wait


class LeaseHeld(Exception):
    pass


@asynccontextmanager
async def lease(redis: Redis, key: str, seconds: int) -> AsyncIterator[None]:
    """Hold `key` exclusively across replicas; expires by itself if the holder dies."""
    token = secrets.token_hex(8)
    if not await redis.set(key, token, nx=True, ex=seconds):
        raise LeaseHeld(key)
    try:
        yield
    finally:
        await redis.eval(_RELEASE, 1, key, token)

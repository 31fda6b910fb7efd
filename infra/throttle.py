"""Redis-held limits shared by every replica: token buckets, host pauses, turns and leases."""

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# A paused key gives no tokens. Otherwise refill the bucket for the time elapsed, then take one
# token or say how long to wait for it.
_TAKE = """
local paused_ms = -2
if #KEYS > 1 then paused_ms = redis.call('PTTL', KEYS[2]) end
if paused_ms > 0 then return tostring(paused_ms / 1000) end
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

# Only ever lengthen a pause: a short Retry-After must not cut a longer one short.
_PAUSE = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], 1, 'PX', ARGV[1]) end
return redis.call('PTTL', KEYS[1])
"""

# Our turn if the last one was at least `spacing` ago (then this is the last); else the wait.
# Milliseconds as integers: exact in Lua, where a float timestamp would lose its last digits.
_TURN = """
local now = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
local last = tonumber(redis.call('GET', KEYS[1]))
if last and now < last + spacing then return last + spacing - now end
redis.call('SET', KEYS[1], ARGV[1], 'PX', spacing + 60000)
return 0
"""

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""


async def pause_host(redis: Redis, pause_key: str, seconds: float) -> float:
    """Pause every replica's requests to a host (429/503 Retry-After); returns the pause left.

    `pause_key` is the host's (`RedisKeys.host_pause`), as the host's token bucket checks it.
    """
    left_ms = await redis.eval(_PAUSE, 1, pause_key, max(1, round(seconds * 1000)))
    return max(int(left_ms), 0) / 1000


async def paused_for(redis: Redis, pause_key: str) -> float:
    """Seconds left in the pause at `pause_key`, 0 when it is not paused."""
    return max(int(await redis.pttl(pause_key)), 0) / 1000


class Throttled(Exception):
    """Waiting for `key` would take longer than the caller allows."""

    def __init__(self, key: str, seconds: float) -> None:
        super().__init__(f"{key} is throttled for {seconds:.0f} s more")
        self.key, self.seconds = key, seconds


class TokenBucket:
    """One bucket per key (a host) under `name`; with `pause_key` (key -> its pause's Redis key),
    a key paused by `pause_host` gives no tokens until it resumes."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        capacity: float,
        per_second: float,
        pause_key: Callable[[str], str] | None = None,
    ) -> None:
        self._redis, self._name, self._pause_key = redis, name, pause_key
        self._capacity, self._per_second = capacity, per_second

    async def take(self, key: str, longest_wait: float | None = None) -> float:
        """Wait until one token for `key` is ours; returns the seconds waited.

        Raises `Throttled` instead of waiting when one wait would exceed `longest_wait`.
        """
        waited = 0.0
        while True:
            wait = await self._wait_for_token(key)
            if wait <= 0:
                return waited
            if longest_wait is not None and wait > longest_wait:
                raise Throttled(key, wait)
            await asyncio.sleep(wait)
            waited += wait

    async def _wait_for_token(self, key: str) -> float:
        keys = [f"{self._name}:{key}"] + ([self._pause_key(key)] if self._pause_key else [])
        now = time.time()
        return float(await self._redis.eval(_TAKE, len(keys), *keys, self._capacity, self._per_second, now))


async def take_turn(redis: Redis, key: str, spacing_seconds: float, now: datetime) -> float:
    """0 if it is our turn at `now` (the next turn is `spacing_seconds` later), else the wait."""
    now_ms = (now - _EPOCH) // timedelta(milliseconds=1)
    wait_ms = await redis.eval(_TURN, 1, key, now_ms, round(spacing_seconds * 1000))
    return int(wait_ms) / 1000


class LeaseHeld(Exception):
    def __init__(self, key: str, holder: str) -> None:
        super().__init__(f"{key} is held by {holder}")
        self.key, self.holder = key, holder


@asynccontextmanager
async def lease(redis: Redis, key: str, seconds: float, holder: str = "unknown") -> AsyncIterator[None]:
    """Hold `key` exclusively across replicas while the body runs.

    The lease lives `seconds` and a heartbeat renews it every third of that, so a holder that
    dies frees it within `seconds`, however long a live holder works.
    """
    value = f"{holder} {secrets.token_hex(8)}"
    ttl_ms = max(1, round(seconds * 1000))
    if not await redis.set(key, value, nx=True, px=ttl_ms):
        held = await redis.get(key)
        raise LeaseHeld(key, _holder_of(held) if held else "a holder that just let go")
    heartbeat = asyncio.create_task(_renew(redis, key, value, ttl_ms))
    try:
        yield
    finally:
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        await redis.eval(_RELEASE, 1, key, value)


def _holder_of(value: bytes | str) -> str:
    text = value.decode() if isinstance(value, bytes) else value
    return text.rsplit(" ", 1)[0]


async def _renew(redis: Redis, key: str, value: str, ttl_ms: int) -> None:
    while True:
        await asyncio.sleep(ttl_ms / 3000)
        try:
            await redis.eval(_RENEW, 1, key, value, ttl_ms)
        except RedisError:  # Redis away for a moment: the next beat tries again, within the TTL
            continue

"""Runs being fetched, in Redis: a fetcher that dies mid-fetch leaves its run here to be finished.

A run is listed after its feed's lease is taken and unlisted before the lease is let go, so a
listed run whose feed has no lease lost its fetcher (leases end within their TTL of it dying).
"""

from pydantic import BaseModel
from redis.asyncio import Redis

from infra.redis_keys import RedisKeys
from schemas.events import RunStarted
from schemas.feeds import Feed

# Requests are delivered at least once: one seen again within a day of its run's end is a copy.
DONE_SECONDS = 24 * 3600


class RunInFlight(BaseModel):
    run: RunStarted
    feed: Feed


class RunsInFlight:
    """One list per deployment: its keys carry the deployment's prefix."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis, self._keys, self._key = redis, keys, keys.runs_in_flight()

    async def listed(self, run: RunStarted, feed: Feed) -> None:
        await self._redis.hset(self._key, run.run_id, RunInFlight(run=run, feed=feed).model_dump_json())

    async def unlisted(self, run: RunStarted) -> None:
        """The run has ended: a redelivery of its request must not import the feed again."""
        await self._redis.set(self._keys.run_ended(run.trigger_id, run.feed_id), run.run_id, ex=DONE_SECONDS)
        await self._redis.hdel(self._key, run.run_id)

    async def ended(self, trigger_id: str, feed_id: str) -> bool:
        return bool(await self._redis.exists(self._keys.run_ended(trigger_id, feed_id)))

    async def orphans(self) -> list[RunInFlight]:
        """Listed runs whose feed is leased by nobody: their fetcher stopped during the fetch."""
        leased = self._keys.feed_lease
        return [entry for entry in await self._all() if not await self._redis.exists(leased(entry.feed.id))]

    async def find(self, trigger_id: str, feed_id: str) -> RunInFlight | None:
        """The listed run of this trigger and feed: a request redelivered after its fetcher died."""
        matching = (entry for entry in await self._all() if entry.run.trigger_id == trigger_id)
        return next((entry for entry in matching if entry.feed.id == feed_id), None)

    async def _all(self) -> list[RunInFlight]:
        values = (await self._redis.hgetall(self._key)).values()
        return [RunInFlight.model_validate_json(value) for value in values]

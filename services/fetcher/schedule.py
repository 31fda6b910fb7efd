"""Which feeds are due: each due check is claimed in Redis by exactly one scheduler replica."""

from datetime import datetime, timedelta

from redis.asyncio import Redis

from services.fetcher import registry


async def claim_due(redis: Redis, now: datetime) -> list[registry.FeedDocument]:
    # The store's conditional update is not atomic on FerretDB; Redis SET NX is, everywhere.
    claimed = []
    for feed in await registry.due(now):
        slot = feed.next_check_at.timestamp() if feed.next_check_at else 0
        if await redis.set(f"fetcher:due:{feed.id}:{slot}", 1, nx=True, ex=feed.interval_minutes * 60):
            await registry.schedule_next(feed, now + timedelta(minutes=feed.interval_minutes))
            claimed.append(feed)
    return claimed

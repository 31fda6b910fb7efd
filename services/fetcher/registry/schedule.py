"""Which feeds are due: each due check is claimed by exactly one scheduler replica.

Feeds of one host take turns: a host starts at most one scheduled check per `spacing_seconds`,
and the due feeds that must wait are moved to their turns, one spacing apart, instead of firing
together.
"""

from collections import Counter
from datetime import datetime, timedelta

from redis.asyncio import Redis

from infra.redis_keys import RedisKeys
from infra.throttle import take_turn
from services.fetcher.registry import feeds as registry
from services.fetcher.registry.next_check import HOST_SPACING_SECONDS
from services.fetcher.registry.sites import host_of


async def claim_due(
    feeds: registry.Feeds,
    redis: Redis,
    keys: RedisKeys,
    now: datetime,
    spacing_seconds: float = HOST_SPACING_SECONDS,
) -> list[registry.FeedDocument]:
    """The due feeds this replica should check now; the others of a busy host are moved later."""
    claimed = []
    waiting: Counter[str] = Counter()
    for feed in sorted(await registry.due(feeds, now), key=_most_overdue_first):
        # Until the fetch records its own next check, or if it never does (a crash).
        if not await registry.claim(feeds, feed, now + timedelta(minutes=feed.interval_minutes)):
            continue
        host = host_of(feed.url)
        wait = await take_turn(redis, keys.host_turn(host), spacing_seconds, now)
        if wait > 0:
            later = wait + spacing_seconds * waiting[host]
            waiting[host] += 1
            await registry.schedule_next(feeds, feed, now + timedelta(seconds=later))
        else:
            claimed.append(feed)
    return claimed


def _most_overdue_first(feed: registry.FeedDocument) -> float:
    return feed.next_check_at.timestamp() if feed.next_check_at else 0.0

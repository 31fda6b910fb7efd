"""What the gateway opens for its life: the store, Redis, the broker and the dead-letter reader;
and, once the store answers, the registry made to agree with FEEDS_FILE (ready only then).

They go on `app.state`, next to what the wiring built, where endpoints find them. (Starlette's
yielded lifespan state is not used: the in-process tests drive `lifespan_context` directly, which
hands no state on to requests.)
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from infra.kafka import ensure_topics
from infra.throttle import TokenBucket
from services.gateway import feeds
from services.gateway.letters import Letters


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state, settings = app.state, app.state.settings
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    redis = Redis.from_url(settings.redis_url, socket_timeout=2, socket_connect_timeout=2)
    state.mongo, state.db, state.redis = mongo, mongo[settings.mongodb_database], redis
    per_second = settings.gateway_import_requests_per_minute / 60
    bucket = TokenBucket(redis, state.keys.import_requests(), settings.gateway_import_burst, per_second)
    state.import_bucket, state.letters = bucket, Letters(settings)
    entries = feeds.read_feeds_file(settings.feeds_file)  # a file that is not valid stops the start
    state.feeds_registered = asyncio.Event()
    await ensure_topics(settings)
    await state.broker.start()
    await state.letters.start()
    progress, stopping = asyncio.create_task(state.hub.run()), asyncio.Event()
    registering = asyncio.create_task(
        feeds.register_once_possible(state.db, entries, state.feeds_registered, stopping)
    )
    yield
    progress.cancel()
    stopping.set()
    await registering  # its attempt ends (within the store's 5 s selection timeout) before the store closes
    await state.letters.stop()
    await state.broker.stop()
    await redis.aclose()
    await mongo.close()

"""The registry's only writer: feeds added and edited through the API, and the entries of FEEDS_FILE.

Each entry records its origin. The file manages only `origin: file` entries: a feed that leaves the
file is disabled, never deleted, so its history stays; an entry made or edited through the API is
the API's, and the file never overwrites it. A feed's health is the fetcher's (`feed_health`).
"""

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import yaml
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, PyMongoError

from schemas import collections
from schemas.feeds import Feed, FeedsFile
from schemas.views import FeedChange, FeedEntry

log = logging.getLogger(__name__)
RETRY_SECONDS = 5.0


class FeedConflict(Exception):
    """Another feed has this id or URL."""


async def add(db: AsyncDatabase[Any], entry: FeedEntry) -> None:
    """Register a new feed (never checked, so due at once); FeedConflict when the id (even
    disabled) or URL is taken."""
    await _url_free(db, entry.url, entry.id)
    try:
        await db[collections.FEEDS].insert_one({"_id": entry.id, **entry.model_dump(), "origin": "api"})
    except DuplicateKeyError:
        raise FeedConflict(f"a feed with id {entry.id!r} exists; change it with PATCH") from None


async def change(db: AsyncDatabase[Any], feed_id: str, changes: FeedChange) -> bool:
    """Apply the changes (ValueError if the result is invalid); False if the feed is unknown."""
    stored = await db[collections.FEEDS].find_one({"_id": feed_id})
    if stored is None:
        return False
    current = {name: stored[name] for name in Feed.model_fields if name in stored}
    entry = FeedEntry.model_validate(current | changes.model_dump(exclude_unset=True))
    if entry.url != stored.get("url"):
        await _url_free(db, entry.url, feed_id)
    await db[collections.FEEDS].update_one({"_id": feed_id}, {"$set": entry.model_dump() | {"origin": "api"}})
    return True


def read_feeds_file(path: Path) -> list[Feed]:
    return FeedsFile.model_validate(yaml.safe_load(path.read_text())).feeds


async def register(db: AsyncDatabase[Any], feeds: list[Feed]) -> None:
    """Make the file's entries agree with the file; API entries and every feed's health survive."""
    registry = db[collections.FEEDS]
    feeds = list({feed.id: feed for feed in feeds}.values())  # a repeated id: the last entry wins
    # A scan, not an `$in` of the file's ids: the local store answers an `$in` of 5,000 ids in 1 s.
    made_by_api = {doc["_id"] async for doc in registry.find({"origin": "api"}, {"_id": 1})}
    for feed in feeds:
        if feed.id in made_by_api:
            log.warning("feed %s is managed through the API; its entry in the feeds file is ignored", feed.id)
            continue
        # Never over an API entry; an upsert losing to another replica's, or to an API add meanwhile, is fine.
        with contextlib.suppress(DuplicateKeyError):
            await registry.update_one(
                {"_id": feed.id, "origin": {"$ne": "api"}},
                {"$set": feed.model_dump() | {"origin": "file"}},
                upsert=True,
            )
    gone = {"origin": {"$ne": "api"}, "enabled": True, "_id": {"$nin": [feed.id for feed in feeds]}}
    await registry.update_many(gone, {"$set": {"enabled": False}})


async def register_once_possible(
    db: AsyncDatabase[Any], feeds: list[Feed], done: asyncio.Event, stopping: asyncio.Event
) -> None:
    """`register`, tried again until the store answers (a gateway starts without it), then `done`;
    or until `stopping`. An attempt is never cancelled: that could leave a store connection open."""
    while not stopping.is_set():
        try:
            await register(db, feeds)
        except PyMongoError as error:
            log.warning("the feeds file is not registered yet: %s; trying again", error)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), RETRY_SECONDS)
        else:
            done.set()
            return


async def _url_free(db: AsyncDatabase[Any], url: str, feed_id: str) -> None:
    other = await db[collections.FEEDS].find_one({"url": url, "_id": {"$ne": feed_id}}, {"_id": 1})
    if other:
        raise FeedConflict(f"feed {other['_id']!r} already has this url")

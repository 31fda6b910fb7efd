"""Feed edits through the API: add, change, disable (never delete: the feed's health history stays).

The gateway edits only a feed's registry fields and marks the entry `origin: api`, so the
fetcher's FEEDS_FILE no longer manages it; the fetcher owns the health fields.
"""

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schemas.feeds import Feed
from schemas.views import FeedChange, FeedEntry


class FeedConflict(Exception):
    """Another feed has this id or URL."""


async def add(db: AsyncDatabase[Any], entry: FeedEntry) -> None:
    """Register a new feed, due at once; FeedConflict when the id (even disabled) or URL is taken."""
    await _url_free(db, entry.url, entry.id)
    schedule = {"next_check_at": datetime.now(UTC), "consecutive_failures": 0}
    try:
        await db.feeds.insert_one({"_id": entry.id, **entry.model_dump(), "origin": "api", **schedule})
    except DuplicateKeyError:
        raise FeedConflict(f"a feed with id {entry.id!r} exists; change it with PATCH") from None


async def change(db: AsyncDatabase[Any], feed_id: str, changes: FeedChange) -> bool:
    """Apply the changes (ValueError if the result is invalid); False if the feed is unknown."""
    stored = await db.feeds.find_one({"_id": feed_id})
    if stored is None:
        return False
    current = {name: stored[name] for name in Feed.model_fields if name in stored}
    entry = FeedEntry.model_validate(current | changes.model_dump(exclude_unset=True))
    update = entry.model_dump() | {"origin": "api"}
    if entry.url != stored.get("url"):  # a new address: the old one's validators would mislead
        await _url_free(db, entry.url, feed_id)
        update |= {"etag": None, "last_modified": None, "previous_url": None}
    await db.feeds.update_one({"_id": feed_id}, {"$set": update})
    return True


async def _url_free(db: AsyncDatabase[Any], url: str, feed_id: str) -> None:
    other = await db.feeds.find_one({"url": url, "_id": {"$ne": feed_id}}, {"_id": 1})
    if other:
        raise FeedConflict(f"feed {other['_id']!r} already has this url")

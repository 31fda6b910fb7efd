"""The feeds collection: the registry (from FEEDS_FILE and the gateway's API) plus each feed's health.

Every function takes the collection (`Feeds`) from its caller: the wiring builds it from the database.
Each entry records its origin. The file manages only `origin: file` entries: a feed that leaves
the file is disabled, never deleted, so its health history stays; an entry made or edited through
the API is the API's, and the file never overwrites it. The fetcher owns the health fields.
"""

import contextlib
import logging
from datetime import UTC, datetime
from pathlib import Path
from random import Random
from typing import Any, Literal

import yaml
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from schemas.feeds import Feed, FeedsFile
from services.fetcher.registry.next_check import (
    next_check_after_failure,
    next_check_after_success,
    staggered,
)

log = logging.getLogger(__name__)


COLLECTION = "feeds"
Feeds = AsyncCollection[dict[str, Any]]


class FeedDocument(Feed):
    """A stored entry: `_id` is the feed id (no other index: every query is by id or a scan)."""

    origin: Literal["file", "api"] = "file"  # entries registered before origins existed came from the file
    previous_url: str | None = None  # where the feed lived before a permanent redirect or discovery
    etag: str | None = None
    last_modified: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    next_check_at: datetime | None = None


def read_feeds_file(path: Path) -> list[Feed]:
    return FeedsFile.model_validate(yaml.safe_load(path.read_text())).feeds


async def register(collection: Feeds, feeds: list[Feed]) -> None:
    """Make the file's entries agree with the file; health, schedule and API entries survive."""
    now = datetime.now(UTC)
    feeds = list({feed.id: feed for feed in feeds}.values())  # a repeated id: the last entry wins
    stored = {doc["_id"]: doc async for doc in collection.find({"_id": {"$in": [feed.id for feed in feeds]}})}
    new = [feed for feed in feeds if feed.id not in stored]
    for feed, first_check in zip(new, staggered(now, [feed.url for feed in new]), strict=True):
        document = feed.model_dump() | {"origin": "file", "next_check_at": first_check}
        with contextlib.suppress(DuplicateKeyError):  # another replica, starting too, was first
            await collection.insert_one({"_id": feed.id, **document})
    for feed in feeds:
        if feed.id in stored:
            await _update_from_file(collection, feed, stored[feed.id])
    gone = {"origin": {"$ne": "api"}, "enabled": True, "_id": {"$nin": [feed.id for feed in feeds]}}
    await collection.update_many(gone, {"$set": {"enabled": False}})


async def _update_from_file(collection: Feeds, feed: Feed, stored: dict[str, Any]) -> None:
    if stored.get("origin") == "api":
        log.warning("feed %s is managed through the API; its entry in the feeds file is ignored", feed.id)
        return
    change = feed.model_dump() | {"origin": "file"}
    if feed.url == stored.get("previous_url"):  # the file still names the address we were redirected from
        change["url"] = stored["url"]
        change["source"] = feed.source or stored.get("source")  # as kept when the feed was discovered
    elif feed.url != stored.get("url"):  # a new address: the old one's validators and history of moves go
        change |= {"etag": None, "last_modified": None, "previous_url": None}
    await collection.update_one({"_id": feed.id}, {"$set": change})


async def load(collection: Feeds, feed_id: str) -> FeedDocument | None:
    document = await collection.find_one({"_id": feed_id}, {"_id": 0})
    return None if document is None else FeedDocument.model_validate(document)


async def find(collection: Feeds, references: list[str]) -> tuple[list[FeedDocument], list[str]]:
    """Feeds named by id or url (all enabled ones when none are named), and the unknown names."""
    if not references:
        cursor = collection.find({"enabled": True}, {"_id": 0}).sort("id", ASCENDING)
        return [FeedDocument.model_validate(doc) async for doc in cursor], []
    found, unknown = [], []
    for reference in dict.fromkeys(references):
        document = await collection.find_one({"$or": [{"_id": reference}, {"url": reference}]}, {"_id": 0})
        if document is None:
            unknown.append(reference)
        else:
            found.append(FeedDocument.model_validate(document))
    return found, unknown


async def due(collection: Feeds, now: datetime) -> list[FeedDocument]:
    cursor = collection.find({"enabled": True, "next_check_at": {"$lte": now}}, {"_id": 0})
    return [FeedDocument.model_validate(document) async for document in cursor]


async def claim(collection: Feeds, feed: FeedDocument, until: datetime) -> bool:
    """Move a due check to `until` unless another replica moved it first: one claim wins."""
    claimed = await collection.find_one_and_update(
        {"_id": feed.id, "next_check_at": feed.next_check_at}, {"$set": {"next_check_at": until}}, {"_id": 1}
    )
    return claimed is not None


async def schedule_next(collection: Feeds, feed: Feed, at: datetime) -> None:
    await collection.update_one({"_id": feed.id}, {"$set": {"next_check_at": at}})


async def record_success(
    collection: Feeds,
    feed_id: str,
    *,
    etag: str | None,
    last_modified: str | None,
    ttl_minutes: int | None = None,
    cache_max_age_seconds: float | None = None,
    now: datetime | None = None,
    rng: Random | None = None,
) -> datetime | None:
    """Record a fetch that worked (200 or 304); returns the next check, None for an unknown feed."""
    feed, now = await load(collection, feed_id), now or datetime.now(UTC)
    if feed is None:
        return None
    next_check = next_check_after_success(
        now, feed.interval_minutes, ttl_minutes, cache_max_age_seconds, rng or Random()
    )
    validators = {"etag": etag, "last_modified": last_modified} if etag or last_modified else {}
    change = {"last_attempt_at": now, "last_success_at": now, "consecutive_failures": 0, "last_error": None}
    await collection.update_one(
        {"_id": feed_id}, {"$set": change | validators | {"next_check_at": next_check}}
    )
    return next_check


async def record_failure(
    collection: Feeds,
    feed_id: str,
    *,
    error: str,
    retry_after_seconds: float | None = None,
    now: datetime | None = None,
    rng: Random | None = None,
) -> datetime | None:
    """Record a failed fetch and back off; returns the next check, None for an unknown feed."""
    # Read, then write: the caller holds the feed's lease, so no other run records meanwhile.
    feed, now = await load(collection, feed_id), now or datetime.now(UTC)
    if feed is None:
        return None
    failures = feed.consecutive_failures + 1
    next_check = next_check_after_failure(
        now, feed.interval_minutes, failures, retry_after_seconds, rng or Random()
    )
    change = {"last_attempt_at": now, "last_error": error, "consecutive_failures": failures}
    await collection.update_one({"_id": feed_id}, {"$set": change | {"next_check_at": next_check}})
    return next_check


async def move_url(collection: Feeds, feed_id: str, new_url: str, source: str | None = None) -> None:
    """Follow a permanent redirect or a discovered feed: the feed lives at `new_url` now;
    `previous_url` keeps the old. `source`, when given, becomes the feed's source too."""
    feed = await load(collection, feed_id)
    if feed is not None and feed.url != new_url:
        change = {"url": new_url, "previous_url": feed.url} | ({"source": source} if source else {})
        await collection.update_one({"_id": feed_id}, {"$set": change})

"""Read models for the JSON API (import history, feeds, jobs; pages newest first) and feed edits.

The gateway edits only a feed's registry fields and marks the entry `origin: api`, so the
fetcher's FEEDS_FILE no longer manages it; the fetcher owns the health fields.
"""

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import ConfigDict, field_validator
from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from infra.redact import redact_url
from schemas.feeds import Feed

Page = tuple[list[dict[str, Any]], str | None]


# The logger's counting bookkeeping is its own business, not the API's.
IMPORT_LOG_VIEW = {"_id": 0, "counting": 0, "version": 0}


async def imports(
    db: AsyncDatabase[Any], *, feed: str | None, status: str | None, limit: int, cursor: str | None
) -> Page:
    # run ids start with their start time in hex, so run_id (the _id) order is start order.
    query: dict[str, Any] = {}
    if feed:
        query["$or"] = [{"feed_id": feed}, {"feed_url": feed}]
    if status:
        query["status"] = status
    if cursor:
        query["_id"] = {"$lt": cursor}
    found = db.import_logs.find(query, IMPORT_LOG_VIEW).sort("_id", DESCENDING).limit(limit)
    rows = [row async for row in found]
    return rows, (rows[-1]["run_id"] if len(rows) == limit else None)


async def one_import(db: AsyncDatabase[Any], run_id: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await db.import_logs.find_one({"_id": run_id}, IMPORT_LOG_VIEW)
    return result


# Conditional-GET validators are the fetcher's business, not the API's.
FEED_VIEW = {"_id": 0, "etag": 0, "last_modified": 0}


class FeedEntry(Feed):
    """A feed as the API accepts it: unknown fields and non-web addresses are refused."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("url")
    @classmethod
    def _web_address(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("url must be an http or https address with a host")
        return url


class FeedExists(Exception):
    pass


async def feeds(db: AsyncDatabase[Any]) -> list[dict[str, Any]]:
    return [_shown(row) async for row in db.feeds.find({}, FEED_VIEW).sort("id")]


async def feed(db: AsyncDatabase[Any], feed_id: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await db.feeds.find_one({"_id": feed_id}, FEED_VIEW)
    return None if result is None else _shown(result)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """Secrets in feed URLs (query tokens, passwords) never leave the service."""
    for name in ("url", "previous_url"):
        if row.get(name):
            row[name] = redact_url(row[name])
    return row


async def add_feed(db: AsyncDatabase[Any], entry: FeedEntry) -> dict[str, Any]:
    """Register a new feed, due at once; raises FeedExists when the id is taken (even if disabled)."""
    schedule = {"next_check_at": datetime.now(UTC), "consecutive_failures": 0}
    try:
        await db.feeds.insert_one({"_id": entry.id, **entry.model_dump(), "origin": "api", **schedule})
    except DuplicateKeyError:
        raise FeedExists(entry.id) from None
    return await feed(db, entry.id) or {}


async def change_feed(db: AsyncDatabase[Any], feed_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
    """Apply `changes` to a feed's registry fields (ValidationError if invalid); None if unknown."""
    stored = await db.feeds.find_one({"_id": feed_id})
    if stored is None:
        return None
    current = {name: stored[name] for name in Feed.model_fields if name in stored}
    entry = FeedEntry.model_validate(current | changes)
    if entry.id != feed_id:
        raise ValueError("a feed's id cannot change; add a new feed instead")
    change = entry.model_dump() | {"origin": "api"}
    if entry.url != stored.get("url"):  # a new address: the old one's validators would mislead
        change |= {"etag": None, "last_modified": None, "previous_url": None}
    await db.feeds.update_one({"_id": feed_id}, {"$set": change})
    return await feed(db, feed_id)


async def jobs(
    db: AsyncDatabase[Any], *, text: str | None, source: str | None, limit: int, cursor: str | None
) -> Page:
    """Newest first by when the job was first seen; the cursor is the last row's (time, key)."""
    query: dict[str, Any] = {}
    if text:
        query["title"] = {"$regex": re.escape(text), "$options": "i"}
    if source:
        query["source"] = source
    if cursor:
        seen, key = _decode(cursor)
        query["$or"] = [{"first_seen_at": {"$lt": seen}}, {"first_seen_at": seen, "_id": {"$lt": key}}]
    order = [("first_seen_at", DESCENDING), ("_id", DESCENDING)]
    rows = [row async for row in db.jobs.find(query).sort(order).limit(limit)]
    next_cursor = _encode(rows[-1]["first_seen_at"], rows[-1]["_id"]) if len(rows) == limit else None
    for row in rows:
        row.pop("_id")
    return rows, next_cursor


def _encode(seen: datetime, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([seen.isoformat(), key]).encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        seen, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        return datetime.fromisoformat(seen), str(key)
    except (ValueError, TypeError) as error:
        raise ValueError("invalid cursor") from error

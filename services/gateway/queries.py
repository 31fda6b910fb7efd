"""Read models for the JSON API: import history, feeds, jobs. Pages are newest first."""

import base64
import json
import re
from datetime import datetime
from typing import Any

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

Page = tuple[list[dict[str, Any]], str | None]


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
    found = db.import_logs.find(query, {"_id": 0}).sort("_id", DESCENDING).limit(limit)
    rows = [row async for row in found]
    return rows, (rows[-1]["run_id"] if len(rows) == limit else None)


async def one_import(db: AsyncDatabase[Any], run_id: str) -> dict[str, Any] | None:
    result: dict[str, Any] | None = await db.import_logs.find_one({"_id": run_id}, {"_id": 0})
    return result


async def feeds(db: AsyncDatabase[Any]) -> list[dict[str, Any]]:
    return [row async for row in db.feeds.find({}, {"_id": 0}).sort("id")]


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

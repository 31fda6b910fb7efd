"""Read models for the JSON API: import history, feeds, jobs. Pages are newest first."""

import re
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
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
    query: dict[str, Any] = {}
    if text:
        query["title"] = {"$regex": re.escape(text), "$options": "i"}
    if source:
        query["source"] = source
    if cursor:
        query["_id"] = {"$lt": _object_id(cursor)}
    found = db.jobs.find(query).sort("_id", DESCENDING).limit(limit)
    rows = [row async for row in found]
    next_cursor = str(rows[-1]["_id"]) if len(rows) == limit else None
    for row in rows:
        row.pop("_id")
    return rows, next_cursor


def _object_id(cursor: str) -> ObjectId:
    try:
        return ObjectId(cursor)
    except InvalidId:
        raise ValueError("invalid cursor") from None

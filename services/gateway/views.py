"""Read models for the JSON API, read from the store: import history, feeds, jobs; pages newest first.

Reads only. Cursors are opaque to clients: the last row's sort key, base64-encoded JSON.
"""

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from redis.exceptions import RedisError

from infra.redact import redact_url
from infra.redis_keys import RedisKeys
from infra.throttle import paused_for
from schemas import collections
from schemas.feeds import joined
from schemas.job import EmploymentType, WorkplaceType
from schemas.views import FeedView, ImportLogView, JobStatusView, JobView, LastRun, Page


class InvalidCursor(ValueError):
    pass


async def imports(
    db: AsyncDatabase[Any], limit: int, cursor: str | None, **filters: Any
) -> Page[ImportLogView]:
    # run ids start with their start time in hex, so run_id (the _id) order is start order.
    query = _import_filters(**filters)
    if cursor:
        [after] = _decode(cursor, 1)
        query["_id"] = {"$lt": str(after)}
    found = db[collections.IMPORT_LOGS].find(query).sort("_id", DESCENDING).limit(limit)
    rows = [ImportLogView.model_validate(row) async for row in found]
    return Page(items=rows, next_cursor=_encode(rows[-1].run_id) if len(rows) == limit else None)


def _import_filters(
    feed: str | None, status: str | None, trigger: str | None, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if feed:
        query["$or"] = [{"feed_id": feed}, {"feed_url": feed}]
    if status:
        query["status"] = status
    if trigger:
        query["trigger"] = trigger
    if since or until:
        query["started_at"] = _between(since, until)
    return query


async def one_import(db: AsyncDatabase[Any], run_id: str) -> ImportLogView | None:
    found = await db[collections.IMPORT_LOGS].find_one({"_id": run_id})
    return None if found is None else ImportLogView.model_validate(found)


async def statuses(
    db: AsyncDatabase[Any], run_id: str, outcome: str | None, limit: int, cursor: str | None
) -> Page[JobStatusView]:
    """A run's per-job outcomes in job key order; the cursor is the last row's `_id`.

    The logger keys each status "run_id job_key": a range of `_id` is the run, on any store's index.
    """
    start = f"{run_id} "
    after = max(_decode(cursor, 1)[0], start) if cursor else start
    query: dict[str, Any] = {"_id": {"$gt": after, "$lt": f"{run_id}!"}}
    if outcome:
        query["outcome"] = outcome
    found = db[collections.JOB_STATUSES].find(query).sort("_id", ASCENDING).limit(limit)
    rows = [(row["_id"], JobStatusView.model_validate(row)) async for row in found]
    last = rows[-1][0] if len(rows) == limit else None
    return Page(items=[row for _, row in rows], next_cursor=last and _encode(last))


async def feeds(db: AsyncDatabase[Any], redis: Any, keys: RedisKeys) -> list[FeedView]:
    registered = await db[collections.FEEDS].find({}).sort("_id", ASCENDING).to_list()
    health = {row["_id"]: row async for row in db[collections.FEED_HEALTH].find({})}
    return [await _feed(db, redis, keys, row, health.get(row["_id"])) for row in registered]


async def feed(db: AsyncDatabase[Any], redis: Any, keys: RedisKeys, feed_id: str) -> FeedView | None:
    found = await db[collections.FEEDS].find_one({"_id": feed_id})
    if found is None:
        return None
    return await _feed(db, redis, keys, found, await db[collections.FEED_HEALTH].find_one({"_id": feed_id}))


async def _feed(
    db: AsyncDatabase[Any],
    redis: Any,
    keys: RedisKeys,
    registered: dict[str, Any],
    health: dict[str, Any] | None,
) -> FeedView:
    """Secrets in feed URLs (query tokens, passwords) never leave the service."""
    row = joined(registered, health)
    last = await db[collections.IMPORT_LOGS].find_one({"feed_id": row["_id"]}, sort=[("_id", DESCENDING)])
    row["last_run"] = last and LastRun.model_validate(last)
    row["paused_seconds"] = await _paused(redis, keys.host_pause(urlsplit(row["url"]).hostname or ""))
    for name in ("url", "previous_url"):
        if row.get(name):
            row[name] = redact_url(row[name])
    return FeedView.model_validate(row)


async def _paused(redis: Any, pause_key: str) -> float:
    """The host's pause after a 429/503; unknown (0) while Redis does not answer."""
    try:
        return await paused_for(redis, pause_key)
    except RedisError:
        return 0


async def known_feeds(db: AsyncDatabase[Any], references: list[str]) -> set[str]:
    """Which of these feed ids or URLs the registry knows (a feed's URL may be where it moved)."""
    query = {"$or": [{"_id": {"$in": references}}, {"url": {"$in": references}}]}
    known = {
        ref for row in await db[collections.FEEDS].find(query, {"url": 1}).to_list() for ref in row.values()
    }
    moved = db[collections.FEED_HEALTH].find({"moved_to": {"$in": references}}, {"moved_to": 1})
    return known | {row["moved_to"] async for row in moved}


async def jobs(db: AsyncDatabase[Any], limit: int, cursor: str | None, **filters: Any) -> Page[JobView]:
    """Newest first by when the job was first seen; the cursor is the last row's (time, key)."""
    query = _job_filters(**filters)
    if cursor:
        seen, key = _decode(cursor, 2)
        at = _time(seen)
        query["$and"] = [
            {"$or": [{"first_seen_at": {"$lt": at}}, {"first_seen_at": at, "_id": {"$lt": key}}]}
        ]
    order = [("first_seen_at", DESCENDING), ("_id", DESCENDING)]
    rows = [
        JobView.model_validate(row) async for row in db[collections.JOBS].find(query).sort(order).limit(limit)
    ]
    last = rows[-1] if len(rows) == limit else None
    return Page(items=rows, next_cursor=last and _encode(_iso(last.first_seen_at), last.job_key))


def _job_filters(
    q: str | None,
    source: str | None,
    company: str | None,
    location: str | None,
    employment_type: EmploymentType | None,
    workplace_type: WorkplaceType | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if q:
        query["$or"] = [{name: _containing(q)} for name in ("title", "company.name", "description_text")]
    for name, text in (("company.name", company), ("locations.raw", location)):
        if text:
            query[name] = _containing(text)
    if source:
        query["source"] = source
    if employment_type:
        query["employment_types"] = employment_type.value
    if workplace_type:
        query["workplace_type"] = workplace_type.value
    if since or until:
        query["first_seen_at"] = _between(since, until)
    return query


def _containing(text: str) -> dict[str, str]:
    """Case-insensitive, anywhere in the field: no index serves it, on any store."""
    return {"$regex": re.escape(text), "$options": "i"}


async def job(db: AsyncDatabase[Any], job_key: str) -> JobView | None:
    found = await db[collections.JOBS].find_one({"_id": job_key})
    return None if found is None else JobView.model_validate(found)


def _between(since: datetime | None, until: datetime | None) -> dict[str, datetime]:
    return {name: at for name, at in (("$gte", since), ("$lt", until)) if at}


def _encode(*key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()


def _decode(cursor: str, parts: int) -> list[str]:
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, binascii.Error, UnicodeError) as error:
        raise InvalidCursor("cursor is not one this API gave") from error
    if not isinstance(key, list) or len(key) != parts or not all(isinstance(part, str) for part in key):
        raise InvalidCursor("cursor is not one this API gave")
    return key


def _time(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as error:
        raise InvalidCursor("cursor is not one this API gave") from error


def _iso(at: datetime | None) -> str:
    return at.isoformat() if at else ""

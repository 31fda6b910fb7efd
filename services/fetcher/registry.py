"""The feeds collection: the registry from FEEDS_FILE plus each feed's health."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from beanie import Document
from pymongo import ASCENDING, IndexModel

from schemas.feeds import Feed, FeedsFile


class FeedDocument(Feed, Document):
    """`_id` is the feed id."""

    etag: str | None = None
    last_modified: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    consecutive_failures: int = 0
    last_error: str | None = None
    next_check_at: datetime | None = None

    class Settings:
        name = "feeds"


INDEXES: dict[type[Document], list[IndexModel]] = {FeedDocument: []}  # _id is the feed id


def _feeds() -> Any:
    return FeedDocument.get_pymongo_collection()


def read_feeds_file(path: Path) -> list[Feed]:
    return FeedsFile.model_validate(yaml.safe_load(path.read_text())).feeds


async def register(feeds: list[Feed]) -> None:
    """Make the collection agree with the file; health and schedule survive a restart."""
    now = datetime.now(UTC)
    for feed in feeds:
        first_check = now + timedelta(minutes=feed.interval_minutes)
        await _feeds().update_one(
            {"_id": feed.id},
            {
                "$set": feed.model_dump(),
                "$setOnInsert": {"next_check_at": first_check, "consecutive_failures": 0},
            },
            upsert=True,
        )


async def load(feed_id: str) -> FeedDocument | None:
    document = await _feeds().find_one({"_id": feed_id}, {"_id": 0})
    return None if document is None else FeedDocument.model_validate(document)


async def find(references: list[str]) -> tuple[list[FeedDocument], list[str]]:
    """Feeds named by id or url (all enabled ones when none are named), and the unknown names."""
    if not references:
        cursor = _feeds().find({"enabled": True}, {"_id": 0}).sort("id", ASCENDING)
        return [FeedDocument.model_validate(doc) async for doc in cursor], []
    found, unknown = [], []
    for reference in dict.fromkeys(references):
        document = await _feeds().find_one({"$or": [{"_id": reference}, {"url": reference}]}, {"_id": 0})
        if document is None:
            unknown.append(reference)
        else:
            found.append(FeedDocument.model_validate(document))
    return found, unknown


async def due(now: datetime) -> list[FeedDocument]:
    cursor = _feeds().find({"enabled": True, "next_check_at": {"$lte": now}}, {"_id": 0})
    return [FeedDocument.model_validate(document) async for document in cursor]


async def schedule_next(feed: Feed, at: datetime) -> None:
    await _feeds().update_one({"_id": feed.id}, {"$set": {"next_check_at": at}})


async def record_attempt(
    feed: Feed, error: str | None, etag: str | None = None, last_modified: str | None = None
) -> None:
    now = datetime.now(UTC)
    if error is None:
        change: dict[str, Any] = {
            "$set": {
                "last_attempt_at": now,
                "last_success_at": now,
                "consecutive_failures": 0,
                "last_error": None,
            }
            | ({"etag": etag, "last_modified": last_modified} if etag or last_modified else {})
        }
    else:
        change = {"$set": {"last_attempt_at": now, "last_error": error}, "$inc": {"consecutive_failures": 1}}
    await _feeds().update_one({"_id": feed.id}, change)

"""The jobs collection: one document per job, written with unordered bulk upserts.

`_id` is the job_key: lookups by `_id` are fast on FerretDB too, which scans for other fields.
"""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from beanie import Document
from pymongo import ASCENDING, IndexModel, UpdateOne
from pymongo.errors import BulkWriteError

from infra.mongo import chunks
from schemas.job import Job
from services.processor.classify import Stored

DUPLICATE_KEY = 11000


class JobDocument(Job, Document):
    id: str | None = None  # type: ignore[assignment]  # the job_key
    content_hash: str
    created_run_id: str
    changed_run_id: str
    last_seen_run_id: str
    first_seen_at: datetime
    changed_at: datetime
    last_seen_at: datetime

    class Settings:
        name = "jobs"


INDEXES = {JobDocument: [IndexModel([("job_key", ASCENDING)], unique=True, name="job_key_unique")]}


async def load_stored(job_keys: list[str]) -> dict[str, Stored]:
    projection = {"job_key": 1, "content_hash": 1, "created_run_id": 1, "changed_run_id": 1}
    cursor = JobDocument.get_pymongo_collection().find({"_id": {"$in": job_keys}}, projection)
    return {
        doc["job_key"]: Stored(doc["content_hash"], doc["created_run_id"], doc["changed_run_id"])
        async for doc in cursor
    }


def insert(job: Job, content_hash: str, run_id: str) -> UpdateOne:
    now = datetime.now(UTC)
    document = job.model_dump() | {
        "content_hash": content_hash,
        "created_run_id": run_id,
        "changed_run_id": run_id,
        "last_seen_run_id": run_id,
        "first_seen_at": now,
        "changed_at": now,
        "last_seen_at": now,
    }
    return UpdateOne({"_id": job.job_key}, {"$setOnInsert": document}, upsert=True)


def replace_content(job: Job, content_hash: str, run_id: str) -> UpdateOne:
    now = datetime.now(UTC)
    fields = job.model_dump() | {
        "content_hash": content_hash,
        "changed_run_id": run_id,
        "last_seen_run_id": run_id,
        "changed_at": now,
        "last_seen_at": now,
    }
    return UpdateOne({"_id": job.job_key}, {"$set": fields})


def mark_seen(job: Job, run_id: str) -> UpdateOne:
    seen = {"last_seen_run_id": run_id, "last_seen_at": datetime.now(UTC)}
    return UpdateOne({"_id": job.job_key}, {"$set": seen})


WriteSlot = Callable[[], AbstractAsyncContextManager[None]]


async def write(operations: list[UpdateOne], bulk_size: int, slot: WriteSlot) -> "WriteResult":
    """Apply the operations unordered; report which ones lost an insert race or failed."""
    result = WriteResult(set(), {})
    for offset, chunk in chunks(operations, bulk_size):
        try:
            async with slot():
                written = await JobDocument.get_pymongo_collection().bulk_write(chunk, ordered=False)
            result.upserted |= {offset + index for index in written.upserted_ids or {}}
        except BulkWriteError as error:
            partial = _partial_result(dict(error.details))
            result.upserted |= {offset + index for index in partial.upserted}
            result.errors |= {offset + index: entry for index, entry in partial.errors.items()}
    return result


class WriteResult:
    def __init__(self, upserted: set[int], errors: dict[int, dict[str, Any]]) -> None:
        self.upserted = upserted
        self.errors = errors

    def lost_race(self, index: int, inserts: bool) -> bool:
        """An insert that found the job already there, or hit the unique index, must be redone."""
        error = self.errors.get(index)
        if error is not None:
            return bool(error.get("code") == DUPLICATE_KEY)
        return inserts and index not in self.upserted

    def error_message(self, index: int) -> str | None:
        error = self.errors.get(index)
        return None if error is None else str(error.get("errmsg", "write failed"))


def _partial_result(details: dict[str, Any]) -> WriteResult:
    upserted = {entry["index"] for entry in details.get("upserted", [])}
    errors = {entry["index"]: entry for entry in details.get("writeErrors", [])}
    return WriteResult(upserted, errors)

"""The jobs collection: one document per job, written with unordered bulk writes.

`_id` is the job_key: every read and write of the hot path is by `_id`. The collection is passed
in (`MongoJobStore`); Beanie's `JobDocument` only declares the stored shape, the collection name
and the indexes that `infra.mongo` creates at start-up.
"""

import contextlib
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from beanie import Document
from pymongo import ASCENDING, IndexModel, InsertOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, InvalidOperation

from infra.metrics import store_write
from infra.mongo import DUPLICATE_KEY, chunks
from schemas import collections
from schemas.job import Job
from services.processor.classify import Stored

# Errors no retry can cure (bad value, document too large or invalid); others may be transient.
PERMANENT = frozenset({2, 9, 121, 10334, 17280})
# What PyMongo raises on a reply it cannot read (e.g. FerretDB's bulk errors without nModified);
# retried like a transient error: re-classifying the jobs shows which writes landed.
MALFORMED_REPLY = (KeyError, TypeError, ValueError, InvalidOperation)


class JobDocument(Job, Document):
    id: str | None = None  # type: ignore[assignment]  # the job_key
    content_hash: str
    created_run_id: str
    changed_run_id: str
    first_seen_at: datetime
    changed_at: datetime

    class Settings:
        name = collections.JOBS


INDEXES = {JobDocument: [IndexModel([("job_key", ASCENDING)], unique=True, name="job_key_unique")]}


def insert(job: Job, content_hash: str, run_id: str) -> InsertOne[Any]:
    now = datetime.now(UTC)
    document = job.model_dump() | {
        "content_hash": content_hash,
        "created_run_id": run_id,
        "changed_run_id": run_id,
        "first_seen_at": now,
        "changed_at": now,
    }
    # A plain insert, not an upsert: a duplicate-key error tells that another replica inserted
    # the job first.
    return InsertOne({"_id": job.job_key} | document)


def replace_content(job: Job, content_hash: str, run_id: str) -> UpdateOne:
    now = datetime.now(UTC)
    fields = job.model_dump() | {
        "content_hash": content_hash,
        "changed_run_id": run_id,
        "changed_at": now,
    }
    return UpdateOne({"_id": job.job_key}, {"$set": fields})


WriteSlot = Callable[[], AbstractAsyncContextManager[None]]
Write = InsertOne[Any] | UpdateOne


def no_limit() -> AbstractAsyncContextManager[None]:
    return contextlib.nullcontext()


class JobStore(Protocol):
    """What importing needs of the jobs collection; tests pass a failing one in its place."""

    async def load_stored(self, job_keys: list[str]) -> dict[str, Stored]: ...

    async def write(self, operations: list[Write]) -> "WriteResult": ...


class MongoJobStore:
    def __init__(self, jobs: AsyncCollection[Any], bulk_size: int, slot: WriteSlot = no_limit) -> None:
        """`jobs`: the collection; `slot`: held around each bulk write (the replicas' semaphore)."""
        self.jobs, self.bulk_size, self.slot = jobs, bulk_size, slot

    async def load_stored(self, job_keys: list[str]) -> dict[str, Stored]:
        projection = {"job_key": 1, "content_hash": 1, "created_run_id": 1, "changed_run_id": 1}
        cursor = self.jobs.find({"_id": {"$in": job_keys}}, projection)
        return {
            doc["job_key"]: Stored(doc["content_hash"], doc["created_run_id"], doc["changed_run_id"])
            async for doc in cursor
        }

    async def write(self, operations: list[Write]) -> "WriteResult":
        """Apply the operations unordered; report the ones that failed, by index."""
        errors: dict[int, dict[str, Any]] = {}
        for offset, chunk in chunks(operations, self.bulk_size):
            try:
                async with self.slot():
                    with store_write("jobs"):
                        await self.jobs.bulk_write(chunk, ordered=False)
            except BulkWriteError as error:
                errors |= {offset + entry["index"]: entry for entry in error.details.get("writeErrors", [])}
            except MALFORMED_REPLY as error:  # the driver choked on the reply: the writes are in doubt
                message = f"malformed reply from the store ({type(error).__name__}: {error})"
                errors |= {offset + index: {"errmsg": message} for index in range(len(chunk))}
        return WriteResult(errors)


@dataclass(frozen=True)
class WriteResult:
    errors: dict[int, dict[str, Any]]

    def lost_race(self, index: int) -> bool:
        """An insert that hit the unique _id: another replica stored the job first; classify again."""
        return self.errors.get(index, {}).get("code") == DUPLICATE_KEY

    def permanent(self, index: int) -> bool:
        return self.errors.get(index, {}).get("code") in PERMANENT

    def error_message(self, index: int) -> str | None:
        error = self.errors.get(index)
        return None if error is None else str(error.get("errmsg", "write failed"))

"""import_logs (one per run), job_statuses (one per run and job) and open_runs (runs not yet over).

Every hot-path operation is by `_id`, an insert or an atomic single-document update, so its cost
does not grow with history. A status is counted when its insert succeeds (a duplicate key means
"already counted"), by `$inc` on the run's ImportLog. `counting` on the ImportLog is raised before
the inserts and lowered with the `$inc`: left raised, it says an attempt died in between, and the
run's counts are then recomputed from its statuses (the one query here that scans on the local
store; it runs only after a crash).

The collections are passed in (`RunStore`); Beanie's documents only declare each collection's name,
shape and indexes, which `infra.mongo` creates at start-up.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from beanie import Document
from pymongo import ASCENDING, DESCENDING, IndexModel, InsertOne, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from infra.metrics import store_write
from infra.mongo import DUPLICATE_KEY, chunks
from schemas import collections
from schemas.events import Failure, ImportLog, JobStatus, Outcome, RunStatus


class ImportLogDocument(ImportLog, Document):
    id: str | None = None  # type: ignore[assignment]  # the run_id

    class Settings:
        name = collections.IMPORT_LOGS


class JobStatusDocument(JobStatus, Document):
    id: str | None = None  # type: ignore[assignment]  # "<run_id> <job_key>"
    recorded_at: datetime

    class Settings:
        name = collections.JOB_STATUSES


class OpenRunDocument(Document):
    id: str | None = None  # type: ignore[assignment]  # the run_id
    heard_at: datetime

    class Settings:
        name = collections.OPEN_RUNS


INDEXES = {
    ImportLogDocument: [
        IndexModel([("run_id", ASCENDING)], unique=True, name="run_id_unique"),
        # The gateway's history of one feed and each feed's last run (the feeds page), newest first.
        IndexModel([("feed_id", ASCENDING), ("_id", DESCENDING)], name="by_feed"),
    ],
    JobStatusDocument: [
        IndexModel([("run_id", ASCENDING), ("outcome", ASCENDING)], name="by_outcome"),
        IndexModel([("recorded_at", ASCENDING)], name="by_age"),
    ],
    OpenRunDocument: [IndexModel([("heard_at", ASCENDING)], name="by_silence")],
}


class RunStore:
    """The logger's three collections, taken from the database the wiring connected to."""

    def __init__(self, database: AsyncDatabase[Any], bulk_size: int) -> None:
        self.import_logs = database[ImportLogDocument.Settings.name]
        self.job_statuses = database[JobStatusDocument.Settings.name]
        self.open_runs = database[OpenRunDocument.Settings.name]
        self.bulk_size = bulk_size

    async def record_facts(self, run_id: str, facts: dict[str, Any], now: datetime) -> None:
        fields = facts | {"updated_at": now}
        with store_write("import_logs"):
            await self.import_logs.update_one(
                {"_id": run_id}, {"$set": fields, **_on_insert(run_id, fields)}, upsert=True
            )

    async def begin_counting(self, run_id: str) -> None:
        with store_write("import_logs"):
            await self.import_logs.update_one(
                {"_id": run_id}, {"$inc": {"counting": 1}, **_on_insert(run_id)}, upsert=True
            )

    async def insert_statuses(self, statuses: list[JobStatus], now: datetime) -> list[JobStatus]:
        """Store the statuses not stored yet and return those: the ones to count."""
        inserts = [
            InsertOne(
                {"_id": f"{status.run_id} {status.job_key}"} | status.model_dump() | {"recorded_at": now}
            )
            for status in statuses
        ]
        duplicates: set[int] = set()
        for offset, chunk in chunks(inserts, self.bulk_size):
            try:
                with store_write("job_statuses"):
                    await self.job_statuses.bulk_write(chunk, ordered=False)
            except BulkWriteError as error:
                other = [e for e in error.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY]
                if other:
                    raise
                duplicates |= {offset + e["index"] for e in error.details["writeErrors"]}
        return [status for index, status in enumerate(statuses) if index not in duplicates]

    async def count(
        self, run_id: str, counted: list[JobStatus], failures_kept: int, now: datetime
    ) -> tuple[ImportLog, bool]:
        """Add the newly stored statuses to the run's counts; also say whether a recount is due."""
        increments = {outcome.value: 0 for outcome in Outcome} | {"counting": -1, "version": 1}
        for status in counted:
            increments[status.outcome.value] += 1
        increments["total_imported"] = increments["new"] + increments["updated"]
        failures = [_failure(status) for status in counted if status.outcome is Outcome.FAILED]
        with store_write("import_logs"):
            document = await self.import_logs.find_one_and_update(
                {"_id": run_id},
                {
                    "$inc": increments,
                    "$set": {"updated_at": now},
                    "$push": {"failures": {"$each": failures, "$slice": failures_kept}},
                },
                return_document=ReturnDocument.AFTER,
            )
        assert document is not None, "begin_counting created the ImportLog"
        return _with_recount_due(document)

    async def recount(
        self, run_id: str, failures_kept: int
    ) -> tuple[dict[Outcome, int], list[Failure]] | None:
        """Exact counts and failures from the run's statuses, written unless another write came first."""
        before = await self.import_logs.find_one({"_id": run_id}, {"version": 1, "counting": 1})
        if before is None:
            return None
        cursor = await self.job_statuses.aggregate(
            [{"$match": {"run_id": run_id}}, {"$group": {"_id": "$outcome", "n": {"$sum": 1}}}]
        )
        counts = {Outcome(row["_id"]): row["n"] async for row in cursor}
        failed = self.job_statuses.find({"run_id": run_id, "outcome": Outcome.FAILED.value}).limit(
            failures_kept
        )
        failures = [_failure(JobStatus.model_validate(doc)) async for doc in failed]
        exact = {outcome.value: counts.get(outcome, 0) for outcome in Outcome}
        exact["total_imported"] = exact["new"] + exact["updated"]
        written = await self.import_logs.update_one(
            {"_id": run_id, "version": before.get("version")},
            {"$set": exact | {"failures": failures, "counting": 0}, "$inc": {"version": 1}},
        )
        return (counts, [Failure.model_validate(f) for f in failures]) if written.modified_count else None

    async def load(self, run_id: str) -> tuple[ImportLog, bool]:
        """The run's ImportLog, and whether an attempt died between storing statuses and counting them."""
        return _with_recount_due(await self.import_logs.find_one({"_id": run_id}) or {"run_id": run_id})

    async def save_ending(self, import_log: ImportLog) -> None:
        """Write what settling decided: status, end time, duration and error; never the counts."""
        fields = import_log.model_dump(
            include={"status", "finished_at", "duration_ms", "error", "total_imported"}
        )
        with store_write("import_logs"):
            await self.import_logs.update_one({"_id": import_log.run_id}, {"$set": fields})

    async def mark_open(self, run_id: str, now: datetime) -> None:
        with store_write("open_runs"):
            await self.open_runs.update_one({"_id": run_id}, {"$set": {"heard_at": now}}, upsert=True)

    async def mark_over(self, run_id: str) -> None:
        with store_write("open_runs"):
            await self.open_runs.delete_one({"_id": run_id})

    async def silent_runs(self, before: datetime) -> list[str]:
        """Open runs heard of last at or before `before`; open_runs holds only runs in progress."""
        return [doc["_id"] async for doc in self.open_runs.find({"heard_at": {"$lte": before}}, {"_id": 1})]

    async def trim_statuses(self, before: datetime) -> int:
        result = await self.job_statuses.delete_many({"recorded_at": {"$lt": before}})
        return int(result.deleted_count)


def _on_insert(run_id: str, setting: Iterable[str] = ()) -> dict[str, Any]:
    """A new ImportLog starts with every field at its default, but those the update sets."""
    defaults = ImportLog(run_id=run_id, status=RunStatus.RUNNING).model_dump()
    return {"$setOnInsert": {name: value for name, value in defaults.items() if name not in set(setting)}}


def _with_recount_due(document: dict[str, Any]) -> tuple[ImportLog, bool]:
    return ImportLog.model_validate(document), document.get("counting", 0) > 0


def _failure(status: JobStatus) -> dict[str, Any]:
    return {
        "job_key": status.job_key,
        "reason_code": status.reason_code or "unknown",
        "message": status.message,
    }

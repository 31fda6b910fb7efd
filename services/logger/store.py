"""import_logs (one document per run) and job_statuses (one per run and job, counted once).

Natural keys are the `_id`s (run_id; run_id and job_key): FerretDB looks those up without a scan.
"""

from datetime import datetime
from typing import Any

from beanie import Document
from pymongo import ASCENDING, IndexModel, UpdateOne

from infra.mongo import chunks
from schemas.events import Failure, ImportLog, JobStatus, Outcome, RunStatus


class ImportLogDocument(ImportLog, Document):
    id: str | None = None  # type: ignore[assignment]  # the run_id

    class Settings:
        name = "import_logs"


class JobStatusDocument(JobStatus, Document):
    id: str | None = None  # type: ignore[assignment]  # "<run_id> <job_key>"

    class Settings:
        name = "job_statuses"


INDEXES = {
    ImportLogDocument: [
        IndexModel([("run_id", ASCENDING)], unique=True, name="run_id_unique"),
        IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)], name="unfinished"),
    ],
    JobStatusDocument: [IndexModel([("run_id", ASCENDING), ("outcome", ASCENDING)], name="by_outcome")],
}


def _logs() -> Any:
    return ImportLogDocument.get_pymongo_collection()


def _statuses() -> Any:
    return JobStatusDocument.get_pymongo_collection()


async def record_facts(run_id: str, facts: dict[str, Any], now: datetime) -> None:
    await _logs().update_one(
        {"_id": run_id},
        {
            "$set": facts | {"updated_at": now},
            "$setOnInsert": {"run_id": run_id, "status": RunStatus.RUNNING.value},
        },
        upsert=True,
    )


async def record_statuses(statuses: list[JobStatus], bulk_size: int) -> None:
    """Keep the first status heard per (run, job): a redelivered one changes nothing."""
    operations = [
        UpdateOne(
            {"_id": f"{status.run_id} {status.job_key}"},
            {"$setOnInsert": status.model_dump()},
            upsert=True,
        )
        for status in statuses
    ]
    for _, chunk in chunks(operations, bulk_size):
        await _statuses().bulk_write(chunk, ordered=False)


async def counts(run_id: str) -> dict[Outcome, int]:
    pipeline = [{"$match": {"run_id": run_id}}, {"$group": {"_id": "$outcome", "n": {"$sum": 1}}}]
    cursor = await _statuses().aggregate(pipeline)
    return {Outcome(row["_id"]): row["n"] async for row in cursor}


async def failures(run_id: str, limit: int) -> list[Failure]:
    query = {"run_id": run_id, "outcome": Outcome.FAILED.value}
    cursor = _statuses().find(query).sort("job_key", ASCENDING).limit(limit)
    return [
        Failure(
            job_key=doc["job_key"],
            reason_code=doc.get("reason_code") or "unknown",
            message=doc.get("message"),
        )
        async for doc in cursor
    ]


async def load(run_id: str) -> ImportLog:
    document = await _logs().find_one({"_id": run_id}, {"_id": 0})
    return ImportLog.model_validate(document or {"run_id": run_id})


async def save(log: ImportLog) -> None:
    await _logs().update_one({"_id": log.run_id}, {"$set": log.model_dump()}, upsert=True)


async def stale_runs(before: datetime) -> list[str]:
    query = {"status": RunStatus.RUNNING.value, "updated_at": {"$lt": before}}
    return [doc["run_id"] async for doc in _logs().find(query, {"run_id": 1})]

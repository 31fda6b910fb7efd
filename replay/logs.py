"""`replay logs`: the matching runs' import_logs rebuilt from imports.runs and jobs.status.

Documents are written as the logger writes them: `_id` is the run_id, `counting` is lowered, and
`version` (the logger's guard against a concurrent recount) is raised; a document that changed
since it was read is left alone and reported.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError
from rich.progress import Progress

from infra.settings import CommonSettings
from replay.reading import Reader, decoded
from replay.rebuild import RunHistory, differences, rebuild
from schemas import collections, topics
from schemas.events import ImportLog, JobStatus, RunStatus, run_event_adapter


@dataclass(frozen=True)
class RebuiltLog:
    document: dict[str, Any] | None  # as stored before
    log: ImportLog
    changes: dict[str, tuple[Any, Any]]


async def read_histories(
    reader: Reader, settings: CommonSettings, run_ids: set[str], progress: Progress
) -> dict[str, RunHistory]:
    """Every retained event and status of the runs, whatever window selected them."""
    histories = {run_id: RunHistory(run_id) for run_id in run_ids}
    for topic in (settings.topic(topics.IMPORTS_RUNS), settings.topic(topics.JOBS_STATUS)):
        ranges = await reader.ranges(topic, None, None)
        async for record in reader.read(topic, ranges, progress, f"reading {topic}"):
            body = decoded(record)
            history = histories.get(str(body.get("run_id"))) if isinstance(body, dict) else None
            if history is not None:
                _add(history, body, datetime.fromtimestamp(record.timestamp / 1000, UTC))
    return histories


def _add(history: RunHistory, body: dict[str, Any], heard_at: datetime) -> None:
    try:
        if "event" in body:
            history.events.append(run_event_adapter.validate_python(body))
        else:
            history.statuses.append(JobStatus.model_validate(body))
    except ValidationError:  # poison: the logger never counted it either
        return
    history.last_heard = max(heard_at, history.last_heard or heard_at)


async def rebuild_logs(
    database: AsyncDatabase[Any], histories: dict[str, RunHistory], failures_kept: int
) -> list[RebuiltLog]:
    found = database[collections.IMPORT_LOGS].find({"_id": {"$in": list(histories)}})
    stored = {document["_id"]: document async for document in found}
    rebuilt = []
    for run_id, history in histories.items():
        document = stored.get(run_id)
        previous = _readable(document)
        log = rebuild(history, failures_kept, previous)
        changes = differences(previous, log)
        if document is not None and document.get("counting", 0):
            changes["counting"] = (document["counting"], 0)
        rebuilt.append(RebuiltLog(document, log, changes))
    return rebuilt


def _readable(document: dict[str, Any] | None) -> ImportLog | None:
    try:
        return ImportLog.model_validate(document) if document else None
    except ValidationError:  # corrupted beyond reading: rebuilt from nothing
        return None


async def write_logs(database: AsyncDatabase[Any], rebuilt: list[RebuiltLog]) -> list[str]:
    """Write the changed ImportLogs; returns the run ids another writer got to first."""
    now, conflicts = datetime.now(UTC), []
    for item in (item for item in rebuilt if item.changes):
        fields = item.log.model_dump() | {"updated_at": now, "counting": 0}
        if not await _write(database, item, fields):
            conflicts.append(item.log.run_id)
        elif item.log.status is RunStatus.RUNNING:  # the logger's sweep will end it if nothing comes
            await database.open_runs.update_one(
                {"_id": item.log.run_id}, {"$setOnInsert": {"heard_at": now}}, upsert=True
            )
        else:
            await database.open_runs.delete_one({"_id": item.log.run_id})
    return conflicts


async def _write(database: AsyncDatabase[Any], item: RebuiltLog, fields: dict[str, Any]) -> bool:
    run_id = item.log.run_id
    if item.document is None:
        try:
            await database[collections.IMPORT_LOGS].insert_one({"_id": run_id} | fields | {"version": 1})
        except DuplicateKeyError:
            return False
        return True
    version = item.document.get("version")
    result = await database[collections.IMPORT_LOGS].update_one(
        {"_id": run_id, "version": version}, {"$set": fields, "$inc": {"version": 1}}
    )
    return bool(result.matched_count)

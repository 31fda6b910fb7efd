"""An ImportLog rebuilt from a run's history, by the logger's own rules (services.logger.tally). Pure.

The logger counts the first status of each job key once, whatever arrives twice and in any order,
and keeps the first failures up to its cap. What Kafka does not hold is kept from the stored
ImportLog: when the run ended (the logger's clock) and a sweep's verdict on a silent run.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from schemas.events import Failure, ImportLog, JobStatus, Outcome, RunEvent, RunStatus
from services.logger.tally import facts_of, settle

UNCOMPARED = {"updated_at"}  # when the logger last wrote: not part of what a run did


@dataclass
class RunHistory:
    run_id: str
    events: list[RunEvent] = field(default_factory=list)
    statuses: list[JobStatus] = field(default_factory=list)
    last_heard: datetime | None = None  # the latest record's timestamp


def rebuild(history: RunHistory, failures_kept: int, stored: ImportLog | None) -> ImportLog:
    log = ImportLog(run_id=history.run_id)
    for event in history.events:
        log = log.model_copy(update=facts_of(event))
    first_of_key: dict[str, JobStatus] = {}
    for status in history.statuses:
        first_of_key.setdefault(status.job_key, status)
    counted = list(first_of_key.values())
    counts = Counter(status.outcome for status in counted)
    failures = [
        Failure(job_key=s.job_key, reason_code=s.reason_code or "unknown", message=s.message)
        for s in counted
        if s.outcome is Outcome.FAILED
    ]
    now = history.last_heard or datetime.now(UTC)
    return _keep_what_kafka_lacks(settle(log, counts, failures[:failures_kept], now), stored)


def _keep_what_kafka_lacks(rebuilt: ImportLog, stored: ImportLog | None) -> ImportLog:
    if stored is None or stored.status is RunStatus.RUNNING:
        return rebuilt
    if rebuilt.status is RunStatus.RUNNING:  # the sweep ended it: its verdict stands
        return rebuilt.model_copy(
            update=stored.model_dump(include={"status", "finished_at", "duration_ms", "error"})
        )
    if rebuilt.status is stored.status:
        return rebuilt.model_copy(update=stored.model_dump(include={"finished_at", "duration_ms"}))
    return rebuilt


def differences(stored: ImportLog | None, rebuilt: ImportLog) -> dict[str, tuple[Any, Any]]:
    """Field -> (stored, rebuilt), compared as the store keeps them (times to the millisecond)."""
    after = _as_stored(rebuilt)
    if stored is None:
        return {name: (None, value) for name, value in after.items()}
    before = _as_stored(stored)
    return {name: (before[name], value) for name, value in after.items() if before[name] != value}


def _as_stored(log: ImportLog) -> dict[str, Any]:
    fields = log.model_dump(exclude=UNCOMPARED)
    return {name: _to_millisecond(value) for name, value in fields.items()}


def _to_millisecond(value: Any) -> Any:
    if isinstance(value, datetime):  # BSON dates hold milliseconds
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value

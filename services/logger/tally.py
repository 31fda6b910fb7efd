"""What a run's ImportLog says, given what has been heard of it. Pure: no I/O."""

from collections.abc import Mapping
from datetime import datetime

from schemas.events import (
    Failure,
    ImportLog,
    Outcome,
    RunFailed,
    RunFetched,
    RunStarted,
    RunStatus,
)

RunEvent = RunStarted | RunFetched | RunFailed


def facts_of(event: RunEvent) -> dict[str, object]:
    """The ImportLog fields one lifecycle event establishes."""
    common = {
        "trigger_id": event.trigger_id,
        "trigger": event.trigger,
        "feed_id": event.feed_id,
        "feed_url": event.feed_url,
    }
    if isinstance(event, RunStarted):
        return common | {"started_at": event.started_at}
    if isinstance(event, RunFetched):
        fetched = event.model_dump(
            include={"expected_statuses", "total_fetched", "duplicates", "http_status"}
            | {"not_modified", "bytes", "parse_mode", "warnings"}
        )
        return common | fetched
    return common | {"error": event.error, "http_status": event.http_status}


def settle(
    log: ImportLog, counts: Mapping[Outcome, int], failures: list[Failure], now: datetime
) -> ImportLog:
    """Apply exact counts; a run is over when its fetch failed or every expected status is in."""
    settled = log.model_copy(
        update={
            "new": counts.get(Outcome.NEW, 0),
            "updated": counts.get(Outcome.UPDATED, 0),
            "unchanged": counts.get(Outcome.UNCHANGED, 0),
            "failed": counts.get(Outcome.FAILED, 0),
            "total_imported": counts.get(Outcome.NEW, 0) + counts.get(Outcome.UPDATED, 0),
            "failures": failures,
            "updated_at": now,
        }
    )
    heard = sum(counts.values())
    if log.error and log.expected_statuses is None:
        return _finish(settled, RunStatus.FAILED, now)
    if log.expected_statuses is not None and heard >= log.expected_statuses:
        return _finish(settled, RunStatus.COMPLETED, now)
    return settled


def expire(log: ImportLog, now: datetime, timeout_seconds: int) -> ImportLog:
    """End a run that stopped making progress, saying why."""
    if log.expected_statuses is None:
        error = f"fetch did not finish within {timeout_seconds} s"
        return _finish(log.model_copy(update={"error": error}), RunStatus.FAILED, now)
    heard = log.new + log.updated + log.unchanged + log.failed
    missing = log.expected_statuses - heard
    error = f"{missing} of {log.expected_statuses} job statuses missing after {timeout_seconds} s"
    return _finish(log.model_copy(update={"error": error}), RunStatus.PARTIAL, now)


def _finish(log: ImportLog, status: RunStatus, now: datetime) -> ImportLog:
    finished_at = log.finished_at if log.status is status and log.finished_at else now
    duration_ms = None
    if log.started_at is not None:
        duration_ms = max(0, int((finished_at - log.started_at).total_seconds() * 1000))
    return log.model_copy(update={"status": status, "finished_at": finished_at, "duration_ms": duration_ms})

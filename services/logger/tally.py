"""What a run's ImportLog says, given what has been heard of it. Pure: no I/O."""

from collections.abc import Mapping
from datetime import datetime

from schemas.events import Failure, ImportLog, Outcome, RunEvent, RunFailed, RunFetched, RunStarted, RunStatus


def facts_of(event: RunEvent) -> dict[str, object]:
    """The ImportLog fields one lifecycle event establishes."""
    common: dict[str, object] = {
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
    if isinstance(event, RunFailed):
        return common | {"error": event.error, "http_status": event.http_status}
    return common


def settle(
    import_log: ImportLog, counts: Mapping[Outcome, int], failures: list[Failure], now: datetime
) -> ImportLog:
    """Apply exact counts; a run is over when its fetch failed or every expected status is in."""
    settled = import_log.model_copy(
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
    if import_log.error and import_log.expected_statuses is None:
        return _finish(settled, RunStatus.FAILED, now)
    if import_log.expected_statuses is not None and heard >= import_log.expected_statuses:
        return _finish(settled, RunStatus.COMPLETED, now)
    return settled


def expire(import_log: ImportLog, now: datetime, timeout_seconds: int) -> ImportLog:
    """End a run that stopped making progress, saying why."""
    if import_log.expected_statuses is None:
        error = f"fetch did not finish within {timeout_seconds} s"
        return _finish(import_log.model_copy(update={"error": error}), RunStatus.FAILED, now)
    heard = import_log.new + import_log.updated + import_log.unchanged + import_log.failed
    missing = import_log.expected_statuses - heard
    error = f"{missing} of {import_log.expected_statuses} job statuses missing after {timeout_seconds} s"
    return _finish(import_log.model_copy(update={"error": error}), RunStatus.PARTIAL, now)


def _finish(import_log: ImportLog, status: RunStatus, now: datetime) -> ImportLog:
    finished_at = import_log.finished_at if import_log.status is status and import_log.finished_at else now
    duration_ms = None
    if import_log.started_at is not None:
        duration_ms = max(0, int((finished_at - import_log.started_at).total_seconds() * 1000))
    return import_log.model_copy(
        update={"status": status, "finished_at": finished_at, "duration_ms": duration_ms}
    )

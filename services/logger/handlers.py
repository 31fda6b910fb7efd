"""Record what was heard of runs and jobs, then say where each touched run stands."""

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka.publisher import DefaultPublisher

from infra.kafka import DeadLetters, Outgoing, publish_all, split_poison
from infra.logs import concerning
from schemas.events import ImportLog, JobStatus, Outcome, RunEvent, RunStatus, run_event_adapter
from services.logger.config import Settings
from services.logger.metrics import RUNS
from services.logger.store import RunStore
from services.logger.tally import expire, facts_of, settle

log = logging.getLogger("logger")
Clock = Callable[[], datetime]


async def count_batch(
    bodies: list[Any],
    records: Sequence[ConsumerRecord[Any, Any]],
    runs: RunStore,
    failures_kept: int,
    logs_out: DefaultPublisher,
    dead_letters: DeadLetters,
    now: datetime,
) -> None:
    """Count a batch of run events and job statuses; publish the ImportLog of every run it touched."""
    events, poison = split_poison(bodies, records, decode_event)
    run_events = [event for event in events if not isinstance(event, JobStatus)]
    statuses = [event for event in events if isinstance(event, JobStatus)]
    import_logs = await record_events(runs, run_events, statuses, failures_kept, now)
    await publish_all(logs_out, [Outgoing(entry, entry.run_id.encode()) for entry in import_logs])
    await dead_letters.send(poison)


def decode_event(body: Any) -> RunEvent | JobStatus:
    if isinstance(body, dict) and "event" in body:
        return run_event_adapter.validate_python(body)
    return JobStatus.model_validate(body)


async def record_events(
    runs: RunStore, run_events: list[RunEvent], statuses: list[JobStatus], failures_kept: int, now: datetime
) -> list[ImportLog]:
    """Apply a batch and return the new state of every run it touched."""
    for event in run_events:
        await runs.record_facts(event.run_id, facts_of(event), now)
    by_run: dict[str, list[JobStatus]] = defaultdict(list)
    for status in statuses:
        by_run[status.run_id].append(status)
    touched = dict.fromkeys([e.run_id for e in run_events] + list(by_run))
    import_logs = []
    for run_id in touched:
        with concerning(run_id=run_id):
            if run_id in by_run:
                import_log, recount_due = await count_statuses(
                    runs, run_id, by_run[run_id], failures_kept, now
                )
            else:
                import_log, recount_due = await runs.load(run_id)
            if recount_due:
                import_log = await recount(runs, import_log, failures_kept)
            import_logs.append(await conclude(runs, import_log, now))
    return import_logs


async def count_statuses(
    runs: RunStore, run_id: str, statuses: list[JobStatus], failures_kept: int, now: datetime
) -> tuple[ImportLog, bool]:
    await runs.begin_counting(run_id)
    counted = await runs.insert_statuses(statuses, now)
    return await runs.count(run_id, counted, failures_kept, now)


async def recount(runs: RunStore, import_log: ImportLog, failures_kept: int) -> ImportLog:
    """After a crash between storing statuses and counting them: counts from the statuses."""
    exact = await runs.recount(import_log.run_id, failures_kept)
    if exact is None:  # another write came first; the next batch or sweep recounts
        return import_log
    counts, failures = exact
    return import_log.model_copy(update={o.value: counts.get(o, 0) for o in Outcome} | {"failures": failures})


async def conclude(runs: RunStore, import_log: ImportLog, now: datetime) -> ImportLog:
    """Settle the run and keep open_runs to the runs still in progress."""
    settled = settle(import_log, _counts(import_log), import_log.failures, now)
    if settled.status is RunStatus.RUNNING:
        await runs.mark_open(import_log.run_id, now)
        return settled
    if (settled.status, settled.finished_at) != (import_log.status, import_log.finished_at):
        await runs.save_ending(settled)
        if import_log.status is RunStatus.RUNNING:
            ended(settled)
    await runs.mark_over(import_log.run_id)
    return settled


async def keep_sweeping(runs: RunStore, logs_out: DefaultPublisher, settings: Settings, clock: Clock) -> None:
    """Every sweep interval, end the silent runs and publish their ImportLogs; now and then, trim."""
    trimmed_at = 0.0
    while True:
        await asyncio.sleep(settings.logger_sweep_interval_seconds)
        try:
            timeout, failures_kept = settings.logger_run_timeout_seconds, settings.logger_failures_kept
            ended_runs = await expire_stale_runs(runs, timeout, failures_kept, clock())
            await publish_all(logs_out, [Outgoing(entry, entry.run_id.encode()) for entry in ended_runs])
            if time.monotonic() - trimmed_at >= settings.logger_trim_interval_seconds:
                trimmed = await trim_statuses(runs, settings.logger_status_retention_days, clock())
                trimmed_at = time.monotonic()
                log.info("old job statuses trimmed", extra={"count": trimmed})
        except Exception:
            log.exception("sweep failed; retrying at the next interval")


async def expire_stale_runs(
    runs: RunStore, timeout_seconds: int, failures_kept: int, now: datetime
) -> list[ImportLog]:
    """End the runs that have heard nothing for too long; every run reaches a final state."""
    expired = []
    for run_id in await runs.silent_runs(now - timedelta(seconds=timeout_seconds)):
        with concerning(run_id=run_id):
            import_log, recount_due = await runs.load(run_id)
            if recount_due:
                import_log = await recount(runs, import_log, failures_kept)
            settled = settle(import_log, _counts(import_log), import_log.failures, now)
            if settled.status is RunStatus.RUNNING:
                settled = expire(settled, now, timeout_seconds)
            await runs.save_ending(settled)
            await runs.mark_over(run_id)
            if import_log.status is RunStatus.RUNNING:
                ended(settled)
            expired.append(settled)
    return expired


async def trim_statuses(runs: RunStore, retention_days: int, now: datetime) -> int:
    """Forget per-job statuses older than the retention; their runs' counts stay."""
    return await runs.trim_statuses(now - timedelta(days=retention_days))


def ended(import_log: ImportLog) -> None:
    """A run reached its final state: counted once, and said in one line."""
    RUNS.labels(import_log.status.value).inc()
    counts = {outcome.value: getattr(import_log, outcome.value) for outcome in Outcome}
    facts = {
        "status": import_log.status.value,
        "feed_id": import_log.feed_id,
        "trigger_id": import_log.trigger_id,
    }
    timing = {"duration_ms": import_log.duration_ms, "error": import_log.error}
    log.info("run ended", extra=facts | counts | timing)


def _counts(import_log: ImportLog) -> dict[Outcome, int]:
    return {outcome: getattr(import_log, outcome.value) for outcome in Outcome}

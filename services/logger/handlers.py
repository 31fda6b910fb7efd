"""Record what was heard of runs and jobs, then say where each touched run stands."""

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from infra.logs import concerning
from schemas.events import ImportLog, JobStatus, Outcome, RunStatus
from services.logger import store
from services.logger.metrics import RUNS
from services.logger.tally import RunEvent, expire, facts_of, settle

journal = logging.getLogger("logger")  # `log` names an ImportLog here


async def record_events(
    run_events: list[RunEvent], statuses: list[JobStatus], failures_kept: int, bulk_size: int
) -> list[ImportLog]:
    """Apply a batch and return the new state of every run it touched."""
    now = datetime.now(UTC)
    for event in run_events:
        await store.record_facts(event.run_id, facts_of(event), now)
    by_run: dict[str, list[JobStatus]] = defaultdict(list)
    for status in statuses:
        by_run[status.run_id].append(status)
    touched = dict.fromkeys([e.run_id for e in run_events] + list(by_run))
    logs = []
    for run_id in touched:
        with concerning(run_id=run_id):
            if run_id in by_run:
                log, recount_due = await count_statuses(run_id, by_run[run_id], failures_kept, bulk_size, now)
            else:
                log, recount_due = await store.load(run_id)
            if recount_due:
                log = await recount(log, failures_kept)
            logs.append(await conclude(log, now))
    return logs


async def count_statuses(
    run_id: str, statuses: list[JobStatus], failures_kept: int, bulk_size: int, now: datetime
) -> tuple[ImportLog, bool]:
    await store.begin_counting(run_id)
    counted = await store.insert_statuses(statuses, now, bulk_size)
    return await store.count(run_id, counted, failures_kept, now)


async def recount(log: ImportLog, failures_kept: int) -> ImportLog:
    """After a crash between storing statuses and counting them: counts from the statuses."""
    exact = await store.recount(log.run_id, failures_kept)
    if exact is None:  # another write came first; the next batch or sweep recounts
        return log
    counts, failures = exact
    return log.model_copy(update={o.value: counts.get(o, 0) for o in Outcome} | {"failures": failures})


async def conclude(log: ImportLog, now: datetime) -> ImportLog:
    """Settle the run and keep open_runs to the runs still in progress."""
    settled = settle(log, _counts(log), log.failures, now)
    if settled.status is RunStatus.RUNNING:
        await store.mark_open(log.run_id, now)
        return settled
    if (settled.status, settled.finished_at) != (log.status, log.finished_at):
        await store.save_ending(settled)
        if log.status is RunStatus.RUNNING:
            ended(settled)
    await store.mark_over(log.run_id)
    return settled


async def expire_stale_runs(timeout_seconds: int, failures_kept: int) -> list[ImportLog]:
    """End the runs that have heard nothing for too long; every run reaches a final state."""
    now = datetime.now(UTC)
    expired = []
    for run_id in await store.silent_runs(now - timedelta(seconds=timeout_seconds)):
        with concerning(run_id=run_id):
            log, recount_due = await store.load(run_id)
            if recount_due:
                log = await recount(log, failures_kept)
            settled = settle(log, _counts(log), log.failures, now)
            if settled.status is RunStatus.RUNNING:
                settled = expire(settled, now, timeout_seconds)
            await store.save_ending(settled)
            await store.mark_over(run_id)
            if log.status is RunStatus.RUNNING:
                ended(settled)
            expired.append(settled)
    return expired


async def trim_statuses(retention_days: int) -> int:
    """Forget per-job statuses older than the retention; their runs' counts stay."""
    return await store.trim_statuses(datetime.now(UTC) - timedelta(days=retention_days))


def ended(log: ImportLog) -> None:
    """A run reached its final state: counted once, and said in one line."""
    RUNS.labels(log.status.value).inc()
    counts = {outcome.value: getattr(log, outcome.value) for outcome in Outcome}
    facts = {"status": log.status.value, "feed_id": log.feed_id, "trigger_id": log.trigger_id}
    journal.info("run ended", extra=facts | counts | {"duration_ms": log.duration_ms, "error": log.error})


def _counts(log: ImportLog) -> dict[Outcome, int]:
    return {outcome: getattr(log, outcome.value) for outcome in Outcome}

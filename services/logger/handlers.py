"""Record what was heard of runs and jobs, then say where each touched run stands."""

from datetime import UTC, datetime, timedelta

from schemas.events import ImportLog, JobStatus, RunStatus
from services.logger import store
from services.logger.tally import RunEvent, expire, facts_of, settle


async def record_events(
    run_events: list[RunEvent], statuses: list[JobStatus], failures_kept: int, bulk_size: int
) -> list[ImportLog]:
    """Apply a batch and return the new state of every run it touched."""
    now = datetime.now(UTC)
    for event in run_events:
        await store.record_facts(event.run_id, facts_of(event), now)
    await store.record_statuses(statuses, bulk_size)
    touched = dict.fromkeys([e.run_id for e in run_events] + [s.run_id for s in statuses])
    return [await refresh(run_id, failures_kept) for run_id in touched]


async def refresh(run_id: str, failures_kept: int) -> ImportLog:
    log = await store.load(run_id)
    counts = await store.counts(run_id)
    failures = await store.failures(run_id, failures_kept)
    settled = settle(log, counts, failures, datetime.now(UTC))
    await store.save(settled)
    return settled


async def expire_stale_runs(timeout_seconds: int, failures_kept: int) -> list[ImportLog]:
    """End the runs that have heard nothing for too long; every run reaches a final state."""
    before = datetime.now(UTC) - timedelta(seconds=timeout_seconds)
    ended = []
    for run_id in await store.stale_runs(before):
        log = await refresh(run_id, failures_kept)
        if log.status is RunStatus.RUNNING:
            log = expire(log, datetime.now(UTC), timeout_seconds)
            await store.save(log)
        ended.append(log)
    return ended

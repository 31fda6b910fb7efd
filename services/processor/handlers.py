"""Import a batch of fetched jobs: classify against the store, write, and say what happened."""

import asyncio
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from faststream.kafka.publisher import DefaultPublisher
from pydantic import ValidationError
from pymongo.errors import PyMongoError

from infra import metrics
from infra.kafka import DeadLetters, Outgoing, publish_all, split_poison
from schemas.events import JobFetched, JobStatus, Outcome
from schemas.job import content_hash
from services.processor import store
from services.processor.classify import Stored, classify, needs_write, waves
from services.processor.store import JobStore

log = logging.getLogger(__name__)
Indexed = tuple[int, JobFetched]


@dataclass(frozen=True)
class Retry:
    """How often a wave is tried before its failing writes fail their jobs, and the waits between."""

    attempts: int
    first_wait_seconds: float = 1.0
    longest_wait_seconds: float = 10.0

    def wait(self, attempt: int) -> float:
        return min(self.first_wait_seconds * 2 ** (attempt - 1), self.longest_wait_seconds)


@dataclass(frozen=True)
class Plan:
    index: int
    message: JobFetched
    outcome: Outcome
    operation: store.Write | None


@dataclass(frozen=True)
class Attempt:
    """One try at a wave: the statuses it settled, and the jobs to try again."""

    statuses: dict[int, JobStatus]
    again: list[Indexed]
    failed_writes: int  # of the jobs to try again, those whose write failed (not a lost race)


async def import_batch(
    bodies: list[Any],
    records: Sequence[ConsumerRecord[Any, Any]],
    jobs: JobStore,
    retry: Retry,
    statuses_out: DefaultPublisher,
    dead_letters: DeadLetters,
) -> None:
    """Store a batch read from jobs.fetched and publish one status per message; poison is dead-lettered."""
    batch, poison = split_poison(bodies, records, JobFetched.model_validate)
    rejected = [status for item in poison if (status := rejected_status(item.body))]
    statuses = rejected + await import_jobs(batch, jobs, retry)
    await publish_all(statuses_out, [Outgoing(status, status.run_id.encode()) for status in statuses])
    await dead_letters.send(poison)
    # Counted once published (a batch that fails comes back), per outcome: 1.5 us a job otherwise.
    for outcome, count in Counter(status.outcome.value for status in statuses).items():
        metrics.JOBS.labels(outcome).inc(count)
    log.info("batch imported", extra={"jobs": len(batch), "poison": len(poison)})


async def import_jobs(batch: list[JobFetched], jobs: JobStore, retry: Retry) -> list[JobStatus]:
    """Upsert every job of the batch and return one status per message, in batch order."""
    statuses: dict[int, JobStatus] = {}
    for wave in waves(list(enumerate(batch)), key=lambda pair: pair[1].job.job_key):
        statuses |= await _import_wave(wave, jobs, retry)
    return [statuses[index] for index in range(len(batch))]


async def _import_wave(wave: list[Indexed], jobs: JobStore, retry: Retry) -> dict[int, JobStatus]:
    """Try the wave until every job has its status. Jobs that lost an insert race are classified
    again at once; a try that failed (the store away, or writes refused for now) is repeated after
    a wait, and on the last try a write that fails fails its job."""
    statuses: dict[int, JobStatus] = {}
    pending, attempt = wave, 1
    while pending:
        final = attempt >= retry.attempts
        try:
            tried = await _try_wave(pending, jobs, final)
        except PyMongoError as error:  # transient: the store is down or failing over
            if final:
                raise
            log.warning("store unavailable, retrying", extra={"attempt": attempt, "error": str(error)})
            tried = Attempt({}, pending, failed_writes=1)
        statuses |= tried.statuses
        pending = tried.again
        if tried.failed_writes:
            metrics.STORE_WRITE_RETRIES.inc(tried.failed_writes)
            await asyncio.sleep(retry.wait(attempt))
            attempt += 1
    return statuses


async def _try_wave(wave: list[Indexed], jobs: JobStore, final: bool) -> Attempt:
    stored = await jobs.load_stored([message.job.job_key for _, message in wave])
    plans = [_plan(index, message, stored.get(message.job.job_key)) for index, message in wave]
    writing = [plan for plan in plans if plan.operation is not None]
    result = await jobs.write([plan.operation for plan in writing if plan.operation])
    statuses: dict[int, JobStatus] = {}
    again: list[Indexed] = []
    failed_writes = 0
    for op_index, plan in enumerate(writing):
        error = result.error_message(op_index)
        if result.lost_race(op_index) or (error and not final and not result.permanent(op_index)):
            again.append((plan.index, plan.message))
            failed_writes += not result.lost_race(op_index)
        elif error:
            statuses[plan.index] = _status(plan.message, Outcome.FAILED, error)
    trying_again = {index for index, _ in again}
    for plan in plans:
        if plan.index not in statuses and plan.index not in trying_again:
            statuses[plan.index] = _status(plan.message, plan.outcome, None)
    return Attempt(statuses, again, failed_writes)


def _plan(index: int, message: JobFetched, stored: Stored | None) -> Plan:
    job, run_id = message.job, message.run_id
    digest = content_hash(job)
    outcome = classify(run_id, digest, stored)
    operation: store.Write | None = None
    if needs_write(run_id, outcome, stored):
        write = store.insert if stored is None else store.replace_content
        operation = write(job, digest, run_id)
    return Plan(index, message, outcome, operation)


def rejected_status(body: Any) -> JobStatus | None:
    """A message that is not a valid JobFetched still fails its job when it names one."""
    try:
        return JobStatus(
            run_id=body["run_id"],
            trigger_id=body.get("trigger_id", ""),
            feed_id=body.get("feed_id", ""),
            job_key=body["job"]["job_key"],
            outcome=Outcome.FAILED,
            reason_code="invalid_message",
            message="the fetched job does not match the JobFetched contract",
        )
    except (KeyError, TypeError, ValidationError):
        return None


def _status(message: JobFetched, outcome: Outcome, error: str | None) -> JobStatus:
    return JobStatus(
        run_id=message.run_id,
        trigger_id=message.trigger_id,
        feed_id=message.feed_id,
        job_key=message.job.job_key,
        outcome=outcome,
        title=message.job.title,
        reason_code="write_failed" if error else None,
        message=error,
    )

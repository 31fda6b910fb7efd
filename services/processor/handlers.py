"""Import a batch of fetched jobs: classify against the store, write, and say what happened."""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError
from pymongo.errors import PyMongoError

from infra.metrics import STORE_WRITE_RETRIES
from schemas.events import JobFetched, JobStatus, Outcome
from schemas.job import content_hash
from services.processor import store
from services.processor.classify import Stored, classify, needs_write, waves

log = logging.getLogger(__name__)
T = TypeVar("T")
Indexed = tuple[int, JobFetched]


def no_limit() -> AbstractAsyncContextManager[None]:
    return contextlib.nullcontext()


@dataclass(frozen=True)
class Plan:
    index: int
    message: JobFetched
    outcome: Outcome
    operation: store.Write | None


async def import_jobs(
    batch: list[JobFetched], attempts: int = 5, bulk_size: int = 1000, slot: store.WriteSlot = no_limit
) -> list[JobStatus]:
    """Upsert every job of the batch and return one status per message, in batch order."""
    statuses: dict[int, JobStatus] = {}
    for wave in waves(list(enumerate(batch)), key=lambda pair: pair[1].job.job_key):
        pending, attempt = wave, 1
        # Jobs that lost an insert race are classified again; jobs whose write failed are tried
        # again with backoff, and fail only when the last attempt fails too.
        while pending:
            final = attempt >= attempts
            write = functools.partial(_import_wave, pending, statuses, bulk_size, slot, final)
            pending, failed_writes = await _with_retries(write, attempts)
            if failed_writes:
                STORE_WRITE_RETRIES.inc(failed_writes)
                attempt += 1
                await asyncio.sleep(_backoff(attempt))
    return [statuses[index] for index in range(len(batch))]


async def _import_wave(
    wave: list[Indexed], statuses: dict[int, JobStatus], bulk_size: int, slot: store.WriteSlot, final: bool
) -> tuple[list[Indexed], int]:
    """Write one wave; returns the jobs to do again and how many of them had a failed write."""
    stored = await store.load_stored([message.job.job_key for _, message in wave])
    plans = [_plan(index, message, stored.get(message.job.job_key)) for index, message in wave]
    writing = [plan for plan in plans if plan.operation is not None]
    result = await store.write([plan.operation for plan in writing if plan.operation], bulk_size, slot)
    retry: list[Indexed] = []
    failed_writes = 0
    for op_index, plan in enumerate(writing):
        error = result.error_message(op_index)
        if result.lost_race(op_index) or (error and not final and not result.permanent(op_index)):
            retry.append((plan.index, plan.message))
            failed_writes += not result.lost_race(op_index)
        elif error:
            statuses[plan.index] = _status(plan.message, Outcome.FAILED, error)
    retrying = {index for index, _ in retry}
    for plan in plans:
        if plan.index not in statuses and plan.index not in retrying:
            statuses[plan.index] = _status(plan.message, plan.outcome, None)
    return retry, failed_writes


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


async def _with_retries(call: Callable[[], Awaitable[T]], attempts: int) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except PyMongoError as error:  # transient: the store is down or failing over
            if attempt == attempts:
                raise
            log.warning("store unavailable, retrying", extra={"attempt": attempt, "error": str(error)})
            STORE_WRITE_RETRIES.inc()
            await asyncio.sleep(_backoff(attempt))
    raise AssertionError("unreachable")


def _backoff(attempt: int) -> float:
    return float(min(0.5 * 2**attempt, 10))

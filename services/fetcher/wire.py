"""JobFetched events → those the broker can carry, and a failed status for each job that cannot go.

A job is measured as the broker's serializer encodes it (pydantic's JSON, non-ASCII as UTF-8: three
bytes per CJK character) before anything is sent: over the limit the producer refuses it, and its
error would end the whole run.
"""

import logging
from collections.abc import Sequence

import pydantic_core

from schemas.events import JobFetched, JobStatus, Outcome

log = logging.getLogger(__name__)


def sendable(
    events: Sequence[tuple[str, JobFetched]], max_bytes: int
) -> tuple[list[tuple[str, JobFetched]], list[JobStatus]]:
    """The (key, event) pairs that encode within `max_bytes`, and a failed status for every other."""
    fitting: list[tuple[str, JobFetched]] = []
    failed: list[JobStatus] = []
    for key, event in events:
        if failure := _failure(event, max_bytes):
            failed.append(failure)
        else:
            fitting.append((key, event))
    return fitting, failed


def _failure(event: JobFetched, max_bytes: int) -> JobStatus | None:
    where = {"run_id": event.run_id, "job_key": event.job.job_key}
    try:
        size = len(pydantic_core.to_json(event))
    except Exception as error:  # a lone surrogate ("\ud800" in a JSON feed) has no UTF-8, for one
        log.exception("job could not be encoded", extra=where)
        return _failed(event, "encode_error", f"the job could not be encoded: {type(error).__name__}")
    if size <= max_bytes:
        return None
    log.warning("job too large to send", extra=where | {"bytes": size})
    return _failed(event, "too_large", f"the job is {size:,} bytes encoded; the limit is {max_bytes:,}")


def _failed(event: JobFetched, reason_code: str, message: str) -> JobStatus:
    return JobStatus(
        run_id=event.run_id,
        trigger_id=event.trigger_id,
        feed_id=event.feed_id,
        # A key that cannot be encoded either would fail this status too: its surrogates are escaped.
        job_key=event.job.job_key.encode("utf-8", "backslashreplace").decode(),
        outcome=Outcome.FAILED,
        reason_code=reason_code,
        message=message,
    )

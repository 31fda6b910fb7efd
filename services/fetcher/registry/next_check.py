"""When to check a feed next: its interval after a success, exponential backoff after failures.

Pure arithmetic over the facts of one fetch (`headers.py` reads them from the response); the
registry stores the result. Jitter keeps many feeds and replicas from polling in lockstep; caps
keep a feed polled, however broken it is.
"""

from datetime import datetime, timedelta
from random import Random

INTERVAL_JITTER = 0.10  # a success reschedules at interval * [0.9, 1.1]
LONGEST_HINT = timedelta(hours=24)  # <ttl>, Cache-Control and Retry-After are honoured up to this
LONGEST_BACKOFF = timedelta(hours=24)  # failures back off up to this (or the interval, if longer)
HOST_SPACING_SECONDS = 30.0  # feeds of one host start at least this far apart


def next_check_after_success(
    now: datetime,
    interval_minutes: int,
    ttl_minutes: int | None,
    cache_max_age_seconds: float | None,
    rng: Random,
) -> datetime:
    """The interval with jitter, but never sooner than the publisher asked (within reason)."""
    jitter = rng.uniform(1 - INTERVAL_JITTER, 1 + INTERVAL_JITTER)
    interval = timedelta(minutes=interval_minutes) * jitter
    asked = max(timedelta(minutes=ttl_minutes or 0), timedelta(seconds=cache_max_age_seconds or 0))
    return now + max(interval, min(asked, LONGEST_HINT))


def next_check_after_failure(
    now: datetime,
    interval_minutes: int,
    consecutive_failures: int,
    retry_after_seconds: float | None,
    rng: Random,
) -> datetime:
    """Back off interval * 2^(failures-1) with equal jitter, capped; never before Retry-After."""
    interval = timedelta(minutes=interval_minutes).total_seconds()
    doublings = min(max(consecutive_failures, 1) - 1, 64)  # in float seconds: no overflow, past any cap
    longest = max(LONGEST_BACKOFF.total_seconds(), interval)
    ceiling = timedelta(seconds=min(interval * 2.0**doublings, longest))
    # Equal jitter: at least half the ceiling, so backoff still grows; the rest is random.
    backoff = ceiling / 2 + ceiling / 2 * rng.random()
    asked = min(timedelta(seconds=retry_after_seconds or 0), LONGEST_HINT)
    return now + max(backoff, asked)

"""The registry as the fetcher reads it, and what it records of each feed: its health, where it
moved, when it is due; which runs are in flight."""

from services.fetcher.registry.feeds import (
    FeedDocument,
    Feeds,
    find,
    load,
    move_url,
    record_failure,
    record_success,
)
from services.fetcher.registry.inflight import RunsInFlight
from services.fetcher.registry.schedule import claim_due
from services.fetcher.registry.sites import host_of, source_of

__all__ = [
    "FeedDocument",
    "Feeds",
    "RunsInFlight",
    "claim_due",
    "find",
    "host_of",
    "load",
    "move_url",
    "record_failure",
    "record_success",
    "source_of",
]

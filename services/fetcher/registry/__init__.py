"""The feeds collection and its schedule: which feeds exist and where they live, when each is due,
which runs are in flight."""

from services.fetcher.registry.feeds import (
    COLLECTION,
    FeedDocument,
    Feeds,
    find,
    load,
    move_url,
    read_feeds_file,
    record_failure,
    record_success,
    register,
)
from services.fetcher.registry.inflight import RunsInFlight
from services.fetcher.registry.schedule import claim_due
from services.fetcher.registry.sites import host_of, source_of

__all__ = [
    "COLLECTION",
    "FeedDocument",
    "Feeds",
    "RunsInFlight",
    "claim_due",
    "find",
    "host_of",
    "load",
    "move_url",
    "read_feeds_file",
    "record_failure",
    "record_success",
    "register",
    "source_of",
]

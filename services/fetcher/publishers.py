"""The topics the fetcher writes, declared so the AsyncAPI document shows what it sends, and the
"publish many and wait" the handlers get as their `Publisher`."""

from collections.abc import Sequence
from functools import partial

from faststream.kafka import KafkaBroker
from faststream.kafka.publisher import DefaultPublisher
from pydantic import BaseModel

from infra.kafka import Outgoing, publish_all
from schemas import topics
from schemas.events import ImportRequested, JobFetched, JobStatus, RunLifecycleEvent
from services.fetcher.config import Settings
from services.fetcher.handlers import Publisher

DECLARED = [
    (
        topics.IMPORTS_REQUESTED,
        ImportRequested,
        "ScheduledImports",
        "The scheduler's request for each feed that is due, keyed by trigger_id.",
    ),
    (
        topics.IMPORTS_RUNS,
        RunLifecycleEvent,
        "RunEvents",
        "RunStarted, then RunFetched or RunFailed, for each feed; keyed by run_id.",
    ),
    (
        topics.JOBS_FETCHED,
        JobFetched,
        "FetchedJobs",
        "Every normalized job of a fetched feed, keyed by job_key.",
    ),
    (
        topics.JOBS_STATUS,
        JobStatus,
        "InvalidJobStatuses",
        "A failed status for each item that cannot become a job, keyed by run_id.",
    ),
]


def publisher(broker: KafkaBroker, settings: Settings) -> Publisher:
    declared = {
        settings.topic(name): broker.publisher(
            settings.topic(name), schema=schema, title=title, description=description
        )
        for name, schema, title, description in DECLARED
    }
    return partial(publish, declared)


async def publish(
    publishers: dict[str, DefaultPublisher], topic: str, messages: Sequence[tuple[str, BaseModel]]
) -> None:
    await publish_all(publishers[topic], [Outgoing(message, key.encode()) for key, message in messages])

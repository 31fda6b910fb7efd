"""`replay jobs`: matching JobFetched re-published under a new replay trigger, one new run per run.

Each replayed run is announced as the fetcher announces a run (RunStarted, then RunFetched with
the number of statuses to expect), so the logger keeps it an ImportLog of its own.
"""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from pydantic import ValidationError
from rich.progress import Progress

from infra.kafka import client_options
from infra.settings import CommonSettings
from replay.publishing import Publisher
from replay.reading import decoded
from schemas import topics
from schemas.events import ImportRequested, JobFetched, RunFetched, RunStarted, Trigger
from services.fetcher.handlers import new_run


@dataclass(frozen=True)
class ReplayedRun:
    original_run_id: str
    started: RunStarted
    jobs: list[JobFetched]


def replayed_runs(
    records: Iterable[ConsumerRecord[Any, Any]], feed_urls: dict[str, str]
) -> list[ReplayedRun]:
    """New runs for the matched messages' runs, under one new trigger; one job per key and run."""
    by_run: dict[str, dict[str, JobFetched]] = {}
    for record in records:
        try:
            fetched = JobFetched.model_validate(decoded(record))
        except ValidationError:  # poison is the dead-letter topic's business
            continue
        by_run.setdefault(fetched.run_id, {})[fetched.job.job_key] = fetched
    request = ImportRequested(trigger_id=uuid.uuid4().hex, trigger=Trigger.REPLAY)
    runs = []
    for original, jobs in by_run.items():
        feed_id = next(iter(jobs.values())).feed_id
        started = new_run(request, feed_id, feed_urls.get(original, feed_id))
        renamed = {"run_id": started.run_id, "trigger_id": request.trigger_id}
        runs.append(ReplayedRun(original, started, [job.model_copy(update=renamed) for job in jobs.values()]))
    return runs


async def publish(runs: list[ReplayedRun], settings: CommonSettings, progress: Progress) -> None:
    lifecycle, jobs_topic = settings.topic(topics.IMPORTS_RUNS), settings.topic(topics.JOBS_FETCHED)
    task = progress.add_task("publishing jobs", total=sum(len(run.jobs) for run in runs))
    async with Publisher(client_options(settings)) as publisher:
        for run in runs:
            await publisher.send_event(lifecycle, run.started.run_id, run.started)
            for job in run.jobs:
                await publisher.send_event(jobs_topic, job.job.job_key, job)
                progress.advance(task)
            fetched = RunFetched(
                **run.started.model_dump(include={"run_id", "trigger_id", "trigger", "feed_id", "feed_url"}),
                expected_statuses=len(run.jobs),
                total_fetched=len(run.jobs),
            )
            await publisher.send_event(lifecycle, run.started.run_id, fetched)
        await publisher.flush()

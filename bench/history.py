"""Stored history written straight into the store, shaped as the services write it: jobs of another
source (their keys never meet the bench feeds'), and finished runs with one status per job seen.
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.database import Database
from pymongo.errors import PyMongoError

from bench.parse import DESCRIPTION
from schemas.events import ImportLog, JobStatus, Outcome, RunStatus, Trigger
from schemas.job import Company, Job, Location, content_hash

SOURCE = "history.example"
CHUNK_SIZE = 5000
RUNS = 1000
LONG_AGO = datetime.now(UTC) - timedelta(days=30)


@dataclass
class Preloaded:
    jobs: int = 0
    statuses: int = 0
    seconds: float = 0.0
    broke: str | None = None


def preload(databases: list[Database[Any]], jobs: int, statuses: int) -> Preloaded:
    """Jobs go into every database given (the floor's too); runs and statuses into the first only."""
    done, started, per_run = Preloaded(), time.perf_counter(), max(statuses // RUNS, 1)
    try:
        for database in databases:
            done.jobs = insert(database.jobs, (job_document(index, per_run) for index in range(jobs)))
        insert(databases[0].import_logs, run_logs(statuses // RUNS, jobs))
        done.statuses = insert(databases[0].job_statuses, status_documents(statuses, jobs), done)
    except PyMongoError as error:
        done.broke = f"{type(error).__name__}: {str(error)[:300]}"
    done.seconds = time.perf_counter() - started
    return done


def insert(collection: Any, documents: Iterator[dict[str, Any]], progress: Preloaded | None = None) -> int:
    inserted, chunk = 0, []
    for document in documents:
        chunk.append(document)
        if len(chunk) == CHUNK_SIZE:
            inserted += len(collection.insert_many(chunk, ordered=False).inserted_ids)
            chunk.clear()
            if progress is not None:
                progress.statuses = inserted
    if chunk:
        inserted += len(collection.insert_many(chunk, ordered=False).inserted_ids)
    return inserted


def job_key(index: int) -> str:
    return f"{SOURCE}:job-{index}"


def job_document(index: int, per_run: int) -> dict[str, Any]:
    title = f"Engineer {index % 97}"
    job = Job(
        job_key=job_key(index),
        source=SOURCE,
        external_id=f"job-{index}",
        title=title,
        company=Company(name=f"Company {index % 500}"),
        locations=[Location(raw="Berlin, Germany", city="Berlin", country="DE")],
        description_html=DESCRIPTION.format(title=title, n=index),
        description_text=f"We are hiring a {title}. " * 40,
        url=f"https://{SOURCE}/jobs/{index}",
        date_posted=LONG_AGO,
    )
    run_id = run_id_of(min(index // per_run, RUNS - 1))  # the run that first saw it
    return (
        {"_id": job.job_key}
        | job.model_dump()
        | {
            "content_hash": content_hash(job),
            "created_run_id": run_id,
            "changed_run_id": run_id,
            "first_seen_at": LONG_AGO,
            "changed_at": LONG_AGO,
        }
    )


def run_id_of(run: int) -> str:
    started = LONG_AGO + timedelta(minutes=run)
    return f"{int(started.timestamp() * 1e9):016x}{run:08x}"


def run_logs(per_run: int, jobs: int) -> Iterator[dict[str, Any]]:
    for run in range(RUNS):
        new = max(0, min(per_run, jobs - run * per_run))
        started = LONG_AGO + timedelta(minutes=run)
        log = ImportLog(
            run_id=run_id_of(run),
            trigger_id=f"history-{run}",
            trigger=Trigger.SCHEDULE,
            feed_id="history",
            feed_url=f"https://{SOURCE}/feed",
            started_at=started,
            finished_at=started + timedelta(seconds=5),
            duration_ms=5000,
            status=RunStatus.COMPLETED,
            expected_statuses=per_run,
            total_fetched=per_run,
            total_imported=new,
            new=new,
            unchanged=per_run - new,
            http_status=200,
            updated_at=started + timedelta(seconds=5),
        )
        yield {"_id": log.run_id} | log.model_dump()


def status_documents(statuses: int, jobs: int) -> Iterator[dict[str, Any]]:
    """Run r saw jobs r*per_run ... onwards (wrapping): a job's first sighting is its `new`."""
    per_run = statuses // RUNS
    template = JobStatus(
        run_id="", trigger_id="", feed_id="history", job_key="", outcome=Outcome.NEW, title="Engineer"
    ).model_dump()
    for run in range(RUNS):
        run_id, recorded_at = run_id_of(run), LONG_AGO + timedelta(minutes=run, seconds=2)
        for position in range(run * per_run, (run + 1) * per_run):
            key = job_key(position % jobs)
            yield template | {
                "_id": f"{run_id} {key}",
                "run_id": run_id,
                "trigger_id": f"history-{run}",
                "job_key": key,
                "outcome": (Outcome.NEW if position < jobs else Outcome.UNCHANGED).value,
                "processed_at": recorded_at,
                "recorded_at": recorded_at,
            }

"""Replay's speed on the local stack: re-publishing 10,000 jobs, rebuilding logs for 100 runs.

Each run uses a fresh topic prefix and database, deleted afterwards. Prints time and rate.
"""

import asyncio
import os
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import AsyncMongoClient

from infra.kafka import client_options, ensure_topics
from schemas import topics
from schemas.events import JobFetched, JobStatus, Outcome, RunFetched, RunStarted, Trigger
from schemas.job import Company, Job, Location

RUNS, JOBS_PER_RUN = 100, 100


def run_events(run_id: str) -> tuple[RunStarted, RunFetched]:
    run = {
        "run_id": run_id,
        "trigger_id": "bench",
        "trigger": Trigger.API,
        "feed_id": "f",
        "feed_url": "http://f",
    }
    return RunStarted(**run), RunFetched(**run, expected_statuses=JOBS_PER_RUN, total_fetched=JOBS_PER_RUN)


def job(run_id: str, index: int) -> JobFetched:
    posting = Job(
        job_key=f"bench.example:{index}", source="bench.example", title=f"Job {index}",
        company=Company(name="Bench"), locations=[Location(raw="Remote")], url=f"https://b.example/{index}",
    )  # fmt: skip
    return JobFetched(run_id=run_id, trigger_id="bench", feed_id="f", job=posting)


async def seed(producer: AIOKafkaProducer, prefix: str) -> None:
    sent = []
    for number in range(RUNS):
        run_id = f"run-{number:03d}"
        started, fetched = run_events(run_id)
        for event in (started, fetched):
            sent.append(
                await producer.send(
                    prefix + topics.IMPORTS_RUNS, event.model_dump_json().encode(), key=run_id.encode()
                )
            )
        for index in range(JOBS_PER_RUN):
            fetched_job = job(run_id, number * JOBS_PER_RUN + index)
            status = JobStatus(
                run_id=run_id,
                trigger_id="bench",
                feed_id="f",
                job_key=fetched_job.job.job_key,
                outcome=Outcome.NEW,
            )
            sent.append(
                await producer.send(
                    prefix + topics.JOBS_FETCHED,
                    fetched_job.model_dump_json().encode(),
                    key=fetched_job.job.job_key.encode(),
                )
            )
            sent.append(
                await producer.send(
                    prefix + topics.JOBS_STATUS, status.model_dump_json().encode(), key=run_id.encode()
                )
            )
    await asyncio.gather(*sent)


async def main() -> None:
    prefix = f"bench-replay-{uuid.uuid4().hex[:8]}."
    os.environ |= {
        "KAFKA_TOPIC_PREFIX": prefix,
        "MONGODB_DATABASE": prefix.replace(".", "").replace("-", "_"),
    }
    from replay import commands
    from replay.config import Settings
    from replay.window import Selection

    settings = Settings()
    await ensure_topics(settings)
    producer = AIOKafkaProducer(**client_options(settings), acks="all", linger_ms=5)
    await producer.start()
    try:
        await seed(producer, prefix)
        started = time.perf_counter()
        await commands.replay_jobs(settings, Selection(topics.JOBS_FETCHED), lambda _: True)
        jobs_seconds = time.perf_counter() - started
        started = time.perf_counter()
        await commands.rebuild_logs(settings, Selection(topics.JOBS_STATUS), lambda _: True)
        logs_seconds = time.perf_counter() - started
    finally:
        await producer.stop()
        await _clean(client_options(settings), settings.mongodb_url, prefix, settings.mongodb_database)
    jobs = RUNS * JOBS_PER_RUN
    print(
        f"replay jobs: {jobs} jobs in {jobs_seconds:.2f} s ({jobs / jobs_seconds:,.0f} jobs/s, plan included)"
    )
    rate = RUNS / logs_seconds
    print(f"replay logs: {RUNS} runs ({jobs} statuses) in {logs_seconds:.2f} s ({rate:.1f} runs/s)")


async def _clean(kafka: dict[str, Any], mongodb_url: str, prefix: str, database: str) -> None:
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        await admin.delete_topics([name for name in await admin.list_topics() if name.startswith(prefix)])
    finally:
        await admin.close()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(mongodb_url)
    await client.drop_database(database)
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())

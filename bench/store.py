"""Processor throughput against the configured store: new, unchanged and updated jobs per second.

python -m bench.store        # needs the stack (make up); uses a throwaway database
"""

import asyncio
import os
import sys
import time
import uuid

from infra import mongo
from infra.settings import CommonSettings
from schemas.events import JobFetched, RunStarted, Trigger
from services.fetcher.normalize import normalize_feed
from services.fetcher.parse import parse_feed
from services.processor.handlers import import_jobs
from services.processor.store import INDEXES

FEED = "tests/data/workatastartup_jobs_2024.xml"


def messages(run_id: str, retitle: bool = False) -> list[JobFetched]:
    run = RunStarted(run_id=run_id, trigger_id="bench", trigger=Trigger.API, feed_id="bench", feed_url="")
    with open(FEED, "rb") as feed:
        jobs = normalize_feed(parse_feed(feed.read()), "workatastartup.com", run).jobs
    if retitle:
        jobs = [job.model_copy(update={"title": job.title + " (changed)"}) for job in jobs]
    return [JobFetched(run_id=run_id, trigger_id="bench", feed_id="bench", job=job) for job in jobs]


async def timed(label: str, batch: list[JobFetched], bulk_size: int) -> None:
    started = time.perf_counter()
    statuses = await import_jobs(batch, bulk_size=bulk_size)
    elapsed = time.perf_counter() - started
    outcome = {status.outcome.value for status in statuses}
    sys.stdout.write(
        f"{label:<10} {len(batch)} jobs in {elapsed:5.2f} s = {len(batch) / elapsed:7.0f} jobs/s {outcome}\n"
    )


async def main() -> None:
    os.environ["MONGODB_DATABASE"] = f"bench_{uuid.uuid4().hex[:8]}"
    settings = CommonSettings()
    client = await mongo.connect(settings, INDEXES)
    try:
        sys.stdout.write(f"store: {settings.mongodb_url}, bulk size {settings.mongodb_bulk_size}\n")
        await timed("new", messages("run-1"), settings.mongodb_bulk_size)
        await timed("unchanged", messages("run-2"), settings.mongodb_bulk_size)
        await timed("updated", messages("run-3", retitle=True), settings.mongodb_bulk_size)
    finally:
        await client.drop_database(settings.mongodb_database)
        await client.close()


if __name__ == "__main__":
    asyncio.run(main())

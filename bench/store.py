"""Processor throughput against the configured store, per bulk size: new, unchanged, updated jobs/s.

python -m bench.store [copies]   # needs the stack (make up); throwaway databases; copies of the feed (12)
"""

import asyncio
import os
import sys
import time
import uuid

from infra import mongo
from infra.settings import CommonSettings
from schemas.events import JobFetched, RunStarted, Trigger
from services.fetcher.normalize import FeedNormalizer
from services.fetcher.parse.stream import parse_feed
from services.processor.handlers import Retry, import_jobs
from services.processor.store import INDEXES, MongoJobStore

FEED = "tests/data/workatastartup_jobs_2024.xml"
BULK_SIZES = (20, 100, 500, 1000)


def messages(run_id: str, copies: int, retitle: bool = False) -> list[JobFetched]:
    run = RunStarted(run_id=run_id, trigger_id="bench", trigger=Trigger.API, feed_id="bench", feed_url="")
    with open(FEED, "rb") as feed:
        parsed = parse_feed(feed.read())
    jobs, _ = FeedNormalizer("workatastartup.com", parsed.format, run).batch(parsed.items)
    jobs = [
        job.model_copy(
            update={"job_key": f"{job.job_key}-{copy}"}
            | ({"title": job.title + " (changed)"} if retitle else {})
        )
        for copy in range(copies)
        for job in jobs
    ]
    return [JobFetched(run_id=run_id, trigger_id="bench", feed_id="bench", job=job) for job in jobs]


async def timed(batch: list[JobFetched], jobs: MongoJobStore, batch_size: int = 500) -> float:
    """Jobs per second, in batches of the processor's default size."""
    started = time.perf_counter()
    for offset in range(0, len(batch), batch_size):
        await import_jobs(batch[offset : offset + batch_size], jobs, Retry(attempts=5))
    return len(batch) / (time.perf_counter() - started)


async def main(copies: int) -> None:
    settings = CommonSettings()
    cases = {
        "new": messages("run-1", copies),
        "unchanged": messages("run-2", copies),
        "updated": messages("run-3", copies, retitle=True),
    }
    sys.stdout.write(f"store: {settings.mongodb_url}; {len(cases['new'])} jobs, batches of 500\n")
    sys.stdout.write(f"{'bulk size':>9} " + " ".join(f"{name:>10}" for name in cases) + "  (jobs/s)\n")
    for bulk_size in BULK_SIZES:
        os.environ["MONGODB_DATABASE"] = f"bench_{uuid.uuid4().hex[:8]}"
        client = await mongo.connect(CommonSettings(), INDEXES)
        try:
            jobs = MongoJobStore(client[os.environ["MONGODB_DATABASE"]].jobs, bulk_size)
            rates = [await timed(batch, jobs) for batch in cases.values()]
            sys.stdout.write(f"{bulk_size:>9} " + " ".join(f"{rate:>10.0f}" for rate in rates) + "\n")
        finally:
            await client.drop_database(os.environ["MONGODB_DATABASE"])
            await client.close()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 12))

"""One import as a user asks for it: through the gateway, until its ImportLog is final; then how
long each stage took, from Kafka record timestamps.
"""

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from bench import report
from bench.timeline import Offsets, Timeline
from schemas import topics
from schemas.events import RunStarted, Trigger
from services.fetcher.normalize import FeedNormalizer
from services.fetcher.parse.stream import stream_feed

MAX_ITEMS = 2_000_000


def parse_and_normalize_seconds(feed: Path) -> float:
    """The fetcher's own parse and normalize over the same bytes, in this process, nothing else."""
    run = RunStarted(run_id="bench", trigger_id="bench", trigger=Trigger.API, feed_id="bench", feed_url="")
    started = time.perf_counter()
    with feed.open("rb") as body:
        stream = stream_feed(body, None, MAX_ITEMS)
        normalizer = FeedNormalizer("127.0.0.1", stream.format, run)
        for items in stream.batches(500):
            normalizer.batch(items)
    return time.perf_counter() - started


async def trigger(gateway_url: str, headers: dict[str, str], feed_id: str) -> str:
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers) as client:
        response = await client.post("/api/imports", json={"feeds": [feed_id], "trigger": "manual"})
    response.raise_for_status()
    return str(response.json()["trigger_id"])


async def final_log(
    gateway_url: str, headers: dict[str, str], feed_id: str, trigger_id: str, timeout: float
) -> dict[str, Any] | None:
    """The run's ImportLog once final, or as far as it got when the time is up."""
    deadline, latest = time.monotonic() + timeout, None
    async with httpx.AsyncClient(base_url=gateway_url, headers=headers, timeout=30) as client:
        while time.monotonic() < deadline:
            page = (await client.get("/api/imports", params={"feed": feed_id, "limit": 5})).json()
            ours = [log for log in page["items"] if log.get("trigger_id") == trigger_id]
            latest = ours[0] if ours else latest
            if latest and latest["status"] != "running":
                return latest
            await asyncio.sleep(0.5)
    return latest


async def stage_times(timeline: Timeline, since: Offsets, started: float, run_id: str) -> report.Stages:
    fetched = await timeline.span(topics.JOBS_FETCHED, since)
    statuses = await timeline.span(topics.JOBS_STATUS, since)
    final = await timeline.final_log(since, run_id)
    if fetched is None or statuses is None or final is None:
        missing = {"jobs.fetched": fetched, "jobs.status": statuses, "imports.logs": final}
        now = await timeline.mark()
        raise LookupError(
            f"run {run_id}: no records found in {[k for k, v in missing.items() if v is None]}; "
            f"offsets before {since}, now {now}"
        )
    return report.Stages(started, fetched.last, fetched.first, statuses.first, statuses.last, final)


async def progress(jobs: int, log: dict[str, Any] | None, timeline: Timeline, since: Offsets) -> str:
    fetched = await timeline.written(topics.JOBS_FETCHED, since)
    statuses = await timeline.written(topics.JOBS_STATUS, since)
    counts = log and {field: log[field] for field in report.COUNTED}
    return f"{fetched}/{jobs} jobs.fetched, {statuses} jobs.status written; ImportLog {counts}"

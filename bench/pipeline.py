"""End to end through the four services, as `make run` starts them: jobs/s from trigger to the final
ImportLog and per stage, for one feed imported new, unchanged and half changed, then again with a
stored history; against the single-script floor on the same feed and store; peak memory of each
service and of the store. Prints numbers; asserts nothing.

python -m bench.pipeline [--sizes 1000,10000,100000] [--no-history] [--no-floor] [--timeout 1200]

Needs Kafka, Redis and the store at MONGODB_URL; uses its own topics and databases, removed at the end.
"""

import argparse
import asyncio
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import MongoClient
from pymongo.errors import PyMongoError

from bench import floor, history, report, usage
from bench.feeds import write_feed
from bench.imports import MAX_ITEMS, final_log, parse_and_normalize_seconds, progress, stage_times, trigger
from bench.timeline import Timeline
from infra.kafka import client_options
from infra.settings import CommonSettings
from launcher.feed_server import FeedServer
from launcher.processes import Services, free_port

CASES = ("new", "unchanged", "updated")
SERVICE_SETTINGS = {
    "FETCH_ALLOW_PRIVATE_NETWORKS": "true",
    "SCHEDULER_ENABLED": "false",  # one import per case, the bench's
    "FETCH_HOST_REQUESTS_PER_MINUTE": "60000",
    "FETCH_MAX_ITEMS": str(MAX_ITEMS),
    "FETCH_MAX_BYTES": str(2 * 1024**3),
    "FETCH_TIMEOUT_SECONDS": "600",
    "FETCH_LEASE_SECONDS": "7200",
    "LOGGER_RUN_TIMEOUT_SECONDS": "86400",
    "LOG_LEVEL": "WARNING",
}


@dataclass(frozen=True)
class Group:
    """The three cases of one feed, with the services started afresh (so peaks are this group's)."""

    jobs: int
    history: bool
    invocation: str

    @property
    def name(self) -> str:
        return f"{self.jobs}{'+history' if self.history else ''}"

    @property
    def feed_id(self) -> str:
        # Unique per invocation: fetch leases are per feed id, in the Redis everyone shares.
        # Also in topic names, which allow no "+".
        return f"bench-{self.invocation}-{self.jobs}{'-history' if self.history else ''}"

    @property
    def warm_up_feed_id(self) -> str:
        return f"{self.feed_id}-warm-up"


class Bench:
    def __init__(self, options: argparse.Namespace, server: FeedServer, workdir: Path) -> None:
        self.options, self.server, self.workdir = options, server, workdir
        self.settings = CommonSettings()
        self.unique = uuid.uuid4().hex[:8]
        self.database = f"bench_{self.unique}"
        self.client: MongoClient[Any] = MongoClient(
            self.settings.mongodb_url, tz_aware=True, socketTimeoutMS=int(options.timeout * 1000)
        )
        self.floor_jobs = self.client[f"{self.database}_floor"].jobs
        self.rows: list[str] = []

    async def run_group(self, group: Group) -> None:
        if group.history:
            self.preload_history()
        prefix = f"{group.feed_id}."
        services = Services(self.environment(group, prefix), self.workdir / "logs" / group.name, free_port())
        services.start(timeout=120)
        try:
            await self.warm_up(group, services)
            async with Timeline(
                client_options(self.settings), prefix, self.settings.kafka_partitions
            ) as timeline:
                for case in CASES:
                    if not await self.run_case(group, case, services, timeline):
                        self.record(
                            f"{group.name}: later cases skipped (they need this one to have finished)"
                        )
                        break
            self.record(usage.peak_memory(group.name, services, self.settings.mongodb_url))
        finally:
            services.stop()

    def environment(self, group: Group, prefix: str) -> dict[str, str]:
        feeds_file = self.workdir / f"{group.feed_id}.yaml"
        feeds = [
            {"id": feed_id, "url": self.server.url(f"{feed_id}.rss"), "interval_minutes": 60}
            for feed_id in (group.feed_id, group.warm_up_feed_id)
        ]
        feeds_file.write_text(yaml.safe_dump({"feeds": feeds}))
        names = {"KAFKA_TOPIC_PREFIX": prefix, "MONGODB_DATABASE": self.database}
        return SERVICE_SETTINGS | names | {"FEEDS_FILE": str(feeds_file)}

    async def warm_up(self, group: Group, services: Services) -> None:
        """One tiny import first: consumer groups joining (seconds) belong to no case."""
        write_feed(self.workdir / "feeds" / f"{group.warm_up_feed_id}.rss", group.warm_up_feed_id, 10)
        trigger_id = await trigger(services.gateway_url, services.headers, group.warm_up_feed_id)
        log = await final_log(services.gateway_url, services.headers, group.warm_up_feed_id, trigger_id, 120)
        if log is None or log["status"] != "completed":
            say(f"{group.name}: the warm-up import did not complete: {log}")

    async def run_case(self, group: Group, case: str, services: Services, timeline: Timeline) -> bool:
        """Import the feed once; False when the case did not end well (later cases need it)."""
        name, feed = f"{group.name} {case}", self.workdir / "feeds" / f"{group.feed_id}.rss"
        if case != "unchanged":
            write_feed(feed, group.feed_id, group.jobs, half_changed=case == "updated")
        parse_seconds = parse_and_normalize_seconds(feed)
        pids = usage.watched(services, self.settings)
        since, cpu_before = await timeline.mark(), usage.cpu_now(pids)
        started = time.time()
        trigger_id = await trigger(services.gateway_url, services.headers, group.feed_id)
        log = await final_log(
            services.gateway_url, services.headers, group.feed_id, trigger_id, self.options.timeout
        )
        cpu_line = usage.cpu_line(cpu_before, usage.cpu_now(pids), time.time() - started)
        if log is None or log["status"] == "running":
            reached = await progress(group.jobs, log, timeline, since)
            self.record(
                f"{name:<26}{group.jobs:>8}  did not finish in {self.options.timeout:.0f} s: {reached}"
            )
            return False
        if log["status"] == "failed":
            self.record(f"{name:<26}{group.jobs:>8}  RUN FAILED: {log.get('error')}")
            return False
        try:
            stages = await stage_times(timeline, since, started, log["run_id"])
        except LookupError as error:
            self.record(f"{name:<26}{group.jobs:>8}  NO TIMESTAMPS: {error}; {log}")
            return False
        result = await self.run_floor(feed) if self.options.floor else None
        measured = report.row(name, case, group.jobs, stages, parse_seconds, result)
        self.record(f"{measured} | {report.check(case, group.jobs, log, result)}", cpu_line)
        return True

    def record(self, *lines: str) -> None:
        self.rows += lines
        say("\n".join(lines))

    async def run_floor(self, feed: Path) -> floor.FloorResult | None:
        try:
            url, bulk_size = self.server.url(feed.name), self.options.floor_bulk_size
            return await asyncio.to_thread(floor.import_feed, url, self.floor_jobs, bulk_size)
        except PyMongoError as error:
            self.record(f"FLOOR BROKE on {feed.name}: {type(error).__name__}: {str(error)[:300]}")
            return None

    def preload_history(self) -> None:
        databases = [self.client[self.database]] + ([self.floor_jobs.database] if self.options.floor else [])
        done = history.preload(databases, self.options.history_jobs, self.options.history_statuses)
        line = (
            f"history preloaded in {done.seconds:.0f} s: {done.jobs} jobs (in the floor's database too), "
            f"{done.statuses} job_statuses over {history.RUNS} runs, {history.RUNS} import_logs"
        )
        self.record(line + (f"; PRELOAD BROKE: {done.broke}" if done.broke else ""))

    async def clean_up(self) -> None:
        for name in (self.database, self.floor_jobs.database.name):
            self.client.drop_database(name)
        self.client.close()
        admin = AIOKafkaAdminClient(**client_options(self.settings))
        await admin.start()
        try:
            ours = [name for name in await admin.list_topics() if name.startswith(f"bench-{self.unique}-")]
            if ours:
                await admin.delete_topics(ours)
        finally:
            await admin.close()


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def groups(options: argparse.Namespace, invocation: str) -> list[Group]:
    plain = [Group(int(size), False, invocation) for size in options.sizes.split(",") if size]
    return plain + ([Group(options.history_size, True, invocation)] if options.history else [])


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000", help="jobs per feed, comma-separated")
    parser.add_argument("--history", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--history-size", type=int, default=10_000, help="jobs in the feed with history")
    parser.add_argument("--history-jobs", type=int, default=100_000)
    parser.add_argument("--history-statuses", type=int, default=1_000_000)
    parser.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--floor-bulk-size", type=int, default=floor.BATCH_SIZE, help="updates per bulk (FerretDB: 20)"
    )
    parser.add_argument("--timeout", type=float, default=1200, help="seconds one case may take")
    return parser.parse_args()


async def main() -> None:
    options = arguments()
    # SIGTERM (and SIGINT, ignored in background jobs) still stops the services and removes the topics.
    this = asyncio.current_task()
    assert this is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, this.cancel)
    workdir = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    (workdir / "feeds").mkdir()
    try:
        with FeedServer(workdir / "feeds", conditional=False) as server:
            bench = Bench(options, server, workdir)
            say(
                f"store {bench.settings.mongodb_url}, database {bench.database}; {os.cpu_count()} cores, "
                f"load {os.getloadavg()[0]:.1f}; service logs in {workdir / 'logs'}"
            )
            say(report.LEGEND + "\n\n" + report.HEADER)
            try:
                for group in groups(options, bench.unique):
                    await bench.run_group(group)
            finally:
                await bench.clean_up()
            say(f"\nSummary (load {os.getloadavg()[0]:.1f})\n{report.HEADER}\n" + "\n".join(bench.rows))
    finally:
        shutil.rmtree(workdir / "feeds")  # hundreds of MB; the service logs stay


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except asyncio.CancelledError:  # SIGTERM: the services are stopped, topics and databases gone
        say("interrupted")

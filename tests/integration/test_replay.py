"""`python -m replay` against the real stack: plans, re-imports, rebuilt logs and redriven dead letters."""

import asyncio
import json
import os
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka import ATTEMPT, REASON, SOURCE_TOPIC, client_options, ensure_topics
from infra.settings import CommonSettings
from launcher.processes import ROOT, Services, free_port
from schemas import topics
from schemas.events import JobFetched, RunFetched, RunStarted, Trigger
from services.fetcher.normalize import normalize_item
from services.fetcher.normalize.identity import collapse_duplicates
from services.fetcher.parse.stream import parse_feed
from tests.conftest import eventually, read

JSON = [("content-type", b"application/json")]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


async def replay(namespace: dict[str, str], *args: str, stdin: str = "") -> Result:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "replay", *args,
        cwd=ROOT, env=os.environ | namespace | {"COLUMNS": "200"},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate(stdin.encode())
    return Result(process.returncode or 0, out.decode(), err.decode())


def sample_jobs(run_id: str, feed_id: str = "techcorridor") -> list[JobFetched]:
    parsed = parse_feed(read("techcorridor_positions_2017.atom"))
    jobs, _ = collapse_duplicates(
        [normalize_item(item, parsed.format, "techcorridor.io") for item in parsed.items]
    )
    return [JobFetched(run_id=run_id, trigger_id="t-1", feed_id=feed_id, job=job) for job in jobs]


class Kafka:
    def __init__(self, settings: CommonSettings) -> None:
        self.settings = settings
        self.producer = AIOKafkaProducer(**client_options(settings), acks="all")

    async def send(self, topic: str, key: str | None, value: bytes, **options: Any) -> None:
        encoded = key.encode() if key is not None else None
        await self.producer.send_and_wait(self.settings.topic(topic), value, key=encoded, **options)

    async def import_run(self, run_id: str, feed_id: str = "techcorridor") -> int:
        """A run as the fetcher announces one: started, its jobs, fetched with the count to expect."""
        run = {"run_id": run_id, "trigger_id": "t-1", "trigger": Trigger.API, "feed_id": feed_id}
        run |= {"feed_url": f"https://techcorridor.io/{feed_id}.atom"}
        jobs = sample_jobs(run_id, feed_id)
        await self.send(
            topics.IMPORTS_RUNS, run_id, RunStarted(**run).model_dump_json().encode(), headers=JSON
        )
        for job in jobs:
            await self.send(
                topics.JOBS_FETCHED, job.job.job_key, job.model_dump_json().encode(), headers=JSON
            )
        fetched = RunFetched(**run, expected_statuses=len(jobs), total_fetched=len(jobs))
        await self.send(topics.IMPORTS_RUNS, run_id, fetched.model_dump_json().encode(), headers=JSON)
        return len(jobs)

    async def read_all(self, topic: str) -> list[Any]:
        consumer = AIOKafkaConsumer(**client_options(self.settings))
        await consumer.start()
        try:
            name = self.settings.topic(topic)
            partitions = [TopicPartition(name, p) for p in range(self.settings.kafka_partitions)]
            ends = await consumer.end_offsets(partitions)
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            records = []
            while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records += batch
            return records
        finally:
            await consumer.stop()

    async def group_offsets(self) -> dict[str, Any]:
        admin = AIOKafkaAdminClient(**client_options(self.settings))
        await admin.start()
        try:
            # This deployment's groups only: other tests' come and go on a shared broker.
            listed = await admin.list_consumer_groups()
            groups = sorted(g[0] for g in listed if g[0].startswith(self.settings.kafka_topic_prefix))
            live = [self.settings.group("processor"), self.settings.group("logger")]
            return {"groups": groups} | {g: await admin.list_consumer_group_offsets(g) for g in live}
        finally:
            await admin.close()


@pytest.fixture
async def kafka(environment: dict[str, str]) -> AsyncIterator[Kafka]:
    settings = CommonSettings()
    await ensure_topics(settings)
    cluster = Kafka(settings)
    await cluster.producer.start()
    yield cluster
    await cluster.producer.stop()


@pytest.fixture
def services(namespace: dict[str, str], tmp_path: Path, kafka: Kafka) -> Any:
    with Services(namespace | {"LOG_LEVEL": "INFO"}, tmp_path / "logs", free_port()).running(
        ("processor", "logger")
    ) as running:
        yield running


def completed(database: Any, **query: Any) -> Callable[[], Awaitable[Any]]:
    return lambda: database.import_logs.find_one(query | {"status": "completed"})


async def test_plan_counts_the_window_per_partition_and_per_feed(
    kafka: Kafka, namespace: dict[str, str]
) -> None:
    jobs = sample_jobs("run-1") + sample_jobs("run-2", feed_id="other")
    start = int(time.time() * 1000) - 100_000
    published = []
    for index, job in enumerate(jobs):  # one second apart, spread over the three partitions
        published.append((index % 3, start + index * 1000, job.feed_id))
        value = job.model_dump_json().encode()
        await kafka.send(
            topics.JOBS_FETCHED,
            job.job.job_key,
            value,
            partition=index % 3,
            timestamp_ms=start + index * 1000,
        )
    since, until = start + 4000, start + (len(jobs) - 5) * 1000
    window = [(partition, feed) for partition, at, feed in published if since <= at < until]

    def iso(milliseconds: int) -> str:
        return datetime.fromtimestamp(milliseconds / 1000, UTC).isoformat()

    result = await replay(namespace, "plan", "--json", "--since", iso(since), "--until", iso(until))

    assert result.code == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["matched"] == len(window), plan
    assert {p["partition"]: p["matched"] for p in plan["partitions"]} == Counter(p for p, _ in window)
    assert plan["feeds"] == Counter(feed for _, feed in window)
    assert all(0 < p["start"] < p["end"] < len(jobs) // 3 + 1 for p in plan["partitions"])
    assert plan["runs_with_import_log"] == 0


async def test_replaying_a_completed_run_is_all_unchanged_then_recreates_lost_jobs_as_new(
    kafka: Kafka, services: Services, database: Any, namespace: dict[str, str]
) -> None:
    total = await kafka.import_run("run-1")
    original = await eventually(completed(database, _id="run-1"))

    result = await replay(namespace, "jobs", "--run", "run-1", "--yes")

    assert result.code == 0, result.stderr
    replayed = await eventually(completed(database, trigger="replay"))
    assert (replayed["unchanged"], replayed["new"], replayed["total_fetched"]) == (total, 0, total)
    assert replayed["run_id"] != "run-1" and replayed["feed_url"] == original["feed_url"]
    assert await database.import_logs.find_one({"_id": "run-1"}) == original

    lost = [job["job_key"] async for job in database.jobs.find().limit(3)]
    await database.jobs.delete_many({"job_key": {"$in": lost}})
    assert (await replay(namespace, "jobs", "--run", "run-1", "--yes")).code == 0
    again = await eventually(completed(database, trigger="replay", new=3))
    assert (again["new"], again["unchanged"], again["run_id"]) == (3, total - 3, again["_id"])
    assert await database.jobs.count_documents({}) == total


UNCOMPARED = {"updated_at", "version"}


def comparable(document: dict[str, Any], *also: str) -> dict[str, Any]:
    return {name: value for name, value in document.items() if name not in UNCOMPARED | set(also)}


async def test_logs_rebuilds_a_deleted_and_a_corrupted_import_log_and_a_second_run_writes_nothing(
    kafka: Kafka, services: Services, database: Any, namespace: dict[str, str]
) -> None:
    await kafka.import_run("run-1")
    await kafka.import_run("run-2", feed_id="other")
    written = {run: await eventually(completed(database, _id=run)) for run in ("run-1", "run-2")}
    await database.import_logs.delete_one({"_id": "run-1"})
    await database.import_logs.update_one({"_id": "run-2"}, {"$set": {"new": 999, "unchanged": 0}})
    selection = ("--run", "run-1", "--run", "run-2")

    dry = await replay(namespace, "logs", *selection, "--dry-run")
    assert dry.code == 0 and "unchanged" in dry.stdout and "(whole ImportLog)" in dry.stdout
    assert await database.import_logs.find_one({"_id": "run-1"}) is None

    assert (await replay(namespace, "logs", *selection, "--yes")).code == 0
    rebuilt = {run: await database.import_logs.find_one({"_id": run}) for run in ("run-1", "run-2")}
    # A deleted log's end time is estimated from the records: the logger's clock is not in Kafka.
    timing = ("finished_at", "duration_ms")
    assert comparable(rebuilt["run-1"], *timing) == comparable(written["run-1"], *timing)
    assert comparable(rebuilt["run-2"]) == comparable(written["run-2"])

    second = await replay(namespace, "logs", *selection, "--yes")
    assert second.code == 0 and "0 ImportLogs differ" in second.stdout
    assert {run: await database.import_logs.find_one({"_id": run}) for run in rebuilt} == rebuilt


async def test_redriving_dead_letters_imports_the_valid_one_and_returns_the_invalid_one_with_attempt_2(
    kafka: Kafka, services: Services, database: Any, namespace: dict[str, str]
) -> None:
    invalid = {"run_id": "run-1", "trigger_id": "t-1", "feed_id": "f", "job": {"job_key": "bad-key"}}
    await kafka.send(topics.JOBS_FETCHED, "bad-key", json.dumps(invalid).encode(), headers=JSON)
    # A letter an older processor dead-lettered that the current contract accepts.
    valid = sample_jobs("run-1")[0]
    headers = [(SOURCE_TOPIC, kafka.settings.topic(topics.JOBS_FETCHED).encode()), (ATTEMPT, b"1")]
    headers += [(REASON, b"job.title: field required"), *JSON]
    await kafka.send("jobs.fetched.dlq", valid.job.job_key, valid.model_dump_json().encode(), headers=headers)
    await eventually(lambda: _count(kafka.read_all("jobs.fetched.dlq"), 2))

    listed = json.loads((await replay(namespace, "dlq", "--json")).stdout)
    by_key = {letter["key"]: letter for letter in listed}
    assert by_key["bad-key"]["source_topic"] == kafka.settings.topic(topics.JOBS_FETCHED)
    assert by_key["bad-key"]["reason"].startswith("job.") and by_key["bad-key"]["attempt"] == 1

    result = await replay(namespace, "dlq", "--redrive", "--yes")

    assert result.code == 0, result.stderr
    assert await eventually(lambda: database.jobs.find_one({"job_key": valid.job.job_key}))
    letters = await eventually(lambda: _count(kafka.read_all("jobs.fetched.dlq"), 3))
    returned = letters[-1]
    assert (returned.key, dict(returned.headers)[ATTEMPT]) == (b"bad-key", b"2")
    after = json.loads((await replay(namespace, "dlq", "--json")).stdout)
    assert sorted((letter["key"], letter["attempt"], letter["state"]) for letter in after) == [
        ("bad-key", 1, "redriven"),
        ("bad-key", 2, "waiting"),
        (valid.job.job_key, 1, "redriven"),
    ]


async def _count(records: Awaitable[list[Any]], wanted: int) -> list[Any] | None:
    found = await records
    return found if len(found) >= wanted else None


async def test_no_command_moves_the_live_services_committed_offsets(
    kafka: Kafka, services: Services, database: Any, namespace: dict[str, str]
) -> None:
    await kafka.import_run("run-1")
    await kafka.send(topics.JOBS_FETCHED, "bad-key", b"not json")
    await eventually(completed(database, _id="run-1"))
    await eventually(lambda: _count(kafka.read_all("jobs.fetched.dlq"), 1))
    services.stop()  # so that only the replay commands could move an offset
    before = await kafka.group_offsets()
    assert before[kafka.settings.group("processor")] and before[kafka.settings.group("logger")]

    commands = [
        ("plan",),
        ("plan", "--topic", "jobs.status"),
        ("jobs", "--yes"),
        ("logs", "--yes"),
        ("dlq", "--redrive", "--yes"),
    ]
    for command in commands:
        assert (await replay(namespace, *command)).code == 0, command
        after = await kafka.group_offsets()
        replay_group = kafka.settings.group("replay")
        assert after | {"groups": [g for g in after["groups"] if g != replay_group]} == before, command


async def test_bad_input_is_a_clear_error_with_exit_code_2_and_nothing_written(
    kafka: Kafka, database: Any, namespace: dict[str, str]
) -> None:
    await kafka.import_run("run-1")
    written_before = {name: len(await kafka.read_all(name)) for name in topics.ALL}
    cases = {
        ("jobs", "--run", "no-such-run", "--yes"): "unknown run id 'no-such-run'",
        ("jobs", "--feed", "no-such-feed", "--yes"): "unknown feed id 'no-such-feed'",
        ("logs", "--run", "no-such-run", "--yes"): "unknown run id 'no-such-run'",
        ("jobs", "--since", "1h", "--until", "2h", "--yes"): "is after --until",
        ("plan", "--since", "yesterday"): "neither an ISO time",
        ("plan", "--topic", "no.such.topic"): "does not exist",
        ("dlq", "--topic", "no.such.topic.dlq", "--redrive", "--yes"): "does not exist",
    }
    for args, message in cases.items():
        result = await replay(namespace, *args)
        assert (result.code, message in result.stderr) == (2, True), (args, result.stderr)
    assert {name: len(await kafka.read_all(name)) for name in topics.ALL} == written_before
    assert await database.import_logs.count_documents({}) == 0


async def test_a_write_waits_for_confirmation_and_a_no_writes_nothing(
    kafka: Kafka, namespace: dict[str, str]
) -> None:
    total = await kafka.import_run("run-1")

    result = await replay(namespace, "jobs", stdin="n\n")

    assert result.code == 1 and f"Publish {total} jobs as 1 replay runs?" in result.stderr
    assert len(await kafka.read_all(topics.JOBS_FETCHED)) == total


async def test_bytes_that_claim_to_be_json_are_dead_lettered_and_their_partition_moves_on(
    kafka: Kafka, services: Services, database: Any
) -> None:
    job = sample_jobs("run-1")[0]
    partition = {"partition": 0, "headers": JSON}
    await kafka.send(topics.JOBS_FETCHED, "broken", b'{"run_id": "run-1", "job": {', **partition)
    await kafka.send(topics.JOBS_FETCHED, job.job.job_key, job.model_dump_json().encode(), **partition)
    await kafka.send(topics.JOBS_STATUS, "run-1", b"\xff\xfe not even text", **partition)

    assert await eventually(lambda: database.jobs.find_one({"job_key": job.job.job_key}))
    [fetched] = await eventually(lambda: _count(kafka.read_all("jobs.fetched.dlq"), 1))
    [status] = await eventually(lambda: _count(kafka.read_all("jobs.status.dlq"), 1))
    assert (fetched.key, fetched.value) == (b"broken", b'{"run_id": "run-1", "job": {')
    assert status.value == b"\xff\xfe not even text"
    assert dict(status.headers)[SOURCE_TOPIC] == kafka.settings.topic(topics.JOBS_STATUS).encode()

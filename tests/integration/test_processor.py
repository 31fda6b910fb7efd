"""Classification against the real store: new, unchanged, updated, and stable under redelivery."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from infra import mongo
from infra.settings import CommonSettings
from schemas.events import JobFetched, Outcome
from services.fetcher.normalize import normalize_item
from services.fetcher.normalize.identity import collapse_duplicates
from services.fetcher.parse.stream import parse_feed
from services.processor.handlers import Retry, import_jobs
from services.processor.store import INDEXES, MongoJobStore, WriteResult
from tests.conftest import read

RETRY = Retry(attempts=5)


def fetched(name: str, source: str, run_id: str) -> list[JobFetched]:
    parsed = parse_feed(read(name))
    jobs, _ = collapse_duplicates([normalize_item(item, parsed.format, source) for item in parsed.items])
    return [JobFetched(run_id=run_id, trigger_id="t", feed_id="f", job=job) for job in jobs]


@pytest.fixture
async def jobs_store(database: Any, environment: dict[str, str]) -> AsyncIterator[Any]:
    client = await mongo.connect(CommonSettings(), INDEXES)
    yield database.jobs
    await client.close()


@pytest.fixture
def jobs(jobs_store: Any) -> MongoJobStore:
    return MongoJobStore(jobs_store, bulk_size=1000)


async def import_into(jobs: Any, batch: list[JobFetched], retry: Retry = RETRY) -> list[Any]:
    return await import_jobs(batch, jobs, retry)


def outcomes(statuses: list[Any]) -> Counter[Outcome]:
    return Counter(status.outcome for status in statuses)


async def test_a_first_import_is_all_new_and_the_same_feed_again_all_unchanged(
    jobs_store: Any, jobs: MongoJobStore
) -> None:
    first = await import_into(jobs, fetched("workatastartup_jobs_2024.xml", "workatastartup.com", "run-1"))
    second = await import_into(jobs, fetched("workatastartup_jobs_2024.xml", "workatastartup.com", "run-2"))

    assert outcomes(first) == {Outcome.NEW: 441}
    assert outcomes(second) == {Outcome.UNCHANGED: 441}
    assert await jobs_store.count_documents({}) == 441


async def test_one_changed_item_is_exactly_one_update(jobs_store: Any, jobs: MongoJobStore) -> None:
    await import_into(jobs, fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1"))
    again = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-2")
    changed = again[3].job.model_copy(update={"title": "Senior " + again[3].job.title})
    again[3] = again[3].model_copy(update={"job": changed})

    statuses = await import_into(jobs, again)

    assert outcomes(statuses) == {Outcome.UNCHANGED: 11, Outcome.UPDATED: 1}
    assert statuses[3].outcome is Outcome.UPDATED
    stored = await jobs_store.find_one({"job_key": changed.job_key})
    assert stored["title"] == changed.title
    assert stored["created_run_id"] == "run-1" and stored["changed_run_id"] == "run-2"


async def test_redelivered_messages_get_the_same_status_and_change_nothing(
    jobs_store: Any, jobs: MongoJobStore
) -> None:
    original = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")
    first = await import_into(jobs, original)
    before = await jobs_store.find({}, {"_id": 0}).to_list()

    redelivered = await import_into(jobs, original)

    assert [s.outcome for s in redelivered] == [s.outcome for s in first] == [Outcome.NEW] * 12
    assert await jobs_store.find({}, {"_id": 0}).to_list() == before


async def test_a_redelivered_update_is_still_an_update(jobs_store: Any, jobs: MongoJobStore) -> None:
    await import_into(jobs, fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1"))
    message = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-2")[0]
    message = message.model_copy(update={"job": message.job.model_copy(update={"title": "Changed"})})

    assert [s.outcome for s in await import_into(jobs, [message])] == [Outcome.UPDATED]
    assert [s.outcome for s in await import_into(jobs, [message])] == [Outcome.UPDATED]


async def test_the_same_job_twice_in_one_batch_is_classified_in_order(
    jobs_store: Any, jobs: MongoJobStore
) -> None:
    one = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")[0]
    other_run = one.model_copy(update={"run_id": "run-2"})

    statuses = await import_into(jobs, [one, other_run])

    assert [s.outcome for s in statuses] == [Outcome.NEW, Outcome.UNCHANGED]


async def test_two_replicas_inserting_the_same_new_jobs_agree_on_one_new_each(
    jobs_store: Any, jobs: MongoJobStore
) -> None:
    first = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")
    second = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-2")

    one, other = await asyncio.gather(import_into(jobs, first), import_into(jobs, second))

    for mine, theirs in zip(one, other, strict=True):
        assert {mine.outcome, theirs.outcome} == {Outcome.NEW, Outcome.UNCHANGED}
    assert await jobs_store.count_documents({}) == 12


class FlakyStore:
    """The real store, whose writes fail the first `failures` times with `code`."""

    def __init__(self, real: MongoJobStore, code: int, failures: int) -> None:
        self.real, self.code, self.failures = real, code, failures

    async def load_stored(self, job_keys: list[str]) -> Any:
        return await self.real.load_stored(job_keys)

    async def write(self, operations: list[Any]) -> WriteResult:
        if self.failures:
            self.failures -= 1
            return WriteResult(
                {i: {"code": self.code, "errmsg": "store said no"} for i in range(len(operations))}
            )
        return await self.real.write(operations)


async def test_a_write_that_fails_transiently_is_retried_not_failed(jobs: MongoJobStore) -> None:
    flaky = FlakyStore(jobs, code=14, failures=1)  # e.g. "database is locked"
    statuses = await import_into(
        flaky, fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")
    )
    assert outcomes(statuses) == {Outcome.NEW: 12}


async def test_a_write_the_store_refuses_for_good_fails_with_its_reason(jobs: MongoJobStore) -> None:
    refusing = FlakyStore(jobs, code=10334, failures=1)  # document too large
    statuses = await import_into(
        refusing, fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")
    )
    assert outcomes(statuses) == {Outcome.FAILED: 12}
    assert {(s.reason_code, s.message) for s in statuses} == {("write_failed", "store said no")}


class GarbledReplies:
    """The real collection, whose bulk-error replies the driver cannot read the first `failures` times."""

    def __init__(self, real: Any, failures: int) -> None:
        self.real, self.failures = real, failures

    async def bulk_write(self, operations: list[Any], ordered: bool) -> Any:
        if self.failures:
            self.failures -= 1
            raise KeyError("nModified")  # as PyMongo does on some FerretDB bulk errors
        return await self.real.bulk_write(operations, ordered=ordered)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


async def test_a_reply_the_driver_cannot_read_is_retried_and_the_jobs_keep_their_outcome(
    jobs_store: Any,
) -> None:
    jobs = MongoJobStore(GarbledReplies(jobs_store, failures=1), bulk_size=1000)
    statuses = await import_into(
        jobs, fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")
    )
    assert outcomes(statuses) == {Outcome.NEW: 12}
    assert await jobs_store.count_documents({}) == 12


async def test_replies_the_driver_never_can_read_fail_the_jobs_saying_why(jobs_store: Any) -> None:
    jobs = MongoJobStore(GarbledReplies(jobs_store, failures=99), bulk_size=1000)
    batch = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1")[:2]
    statuses = await import_into(jobs, batch, Retry(attempts=5, first_wait_seconds=0))
    assert outcomes(statuses) == {Outcome.FAILED: 2}
    assert {s.message for s in statuses} == {"malformed reply from the store (KeyError: 'nModified')"}


async def test_processing_reads_and_writes_the_store_only_by_key(
    jobs_store: Any, jobs: MongoJobStore, store_commands: Any
) -> None:
    await import_into(jobs, fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-1"))
    changed = fetched("techcorridor_positions_2017.atom", "techcorridor.io", "run-2")
    changed[0] = changed[0].model_copy(update={"job": changed[0].job.model_copy(update={"title": "New"})})
    await import_into(jobs, changed)

    assert len(store_commands.filters()) >= 3, "no store command was seen"
    assert all(set(query) <= {"_id"} for entry in store_commands.filters() for query in entry.values())

"""The logger's counting and run endings against the real store, events in any order."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from infra import mongo
from infra.settings import CommonSettings
from schemas.events import JobStatus, Outcome, RunFetched, RunStarted, RunStatus, Trigger
from services.logger.handlers import expire_stale_runs, record_events, trim_statuses
from services.logger.store import INDEXES, RunStore

RUN = {
    "run_id": "run-1",
    "trigger_id": "t",
    "trigger": Trigger.SCHEDULE,
    "feed_id": "f",
    "feed_url": "http://x/f",
}


def status(key: str, outcome: Outcome = Outcome.NEW, reason: str | None = None) -> JobStatus:
    return JobStatus(
        run_id="run-1", trigger_id="t", feed_id="f", job_key=key, outcome=outcome, reason_code=reason
    )


@pytest.fixture
async def logger_store(environment: dict[str, str], database: Any) -> AsyncIterator[Any]:
    client = await mongo.connect(CommonSettings(), INDEXES)
    yield database
    await client.close()


@pytest.fixture
def runs(logger_store: Any) -> RunStore:
    return RunStore(logger_store, bulk_size=20)


async def record(runs: RunStore, *events: Any) -> Any:
    run_events = [e for e in events if not isinstance(e, JobStatus)]
    statuses = [e for e in events if isinstance(e, JobStatus)]
    [import_log] = await record_events(runs, run_events, statuses, failures_kept=2, now=datetime.now(UTC))
    return import_log


async def test_duplicated_statuses_in_any_order_give_exact_counts(logger_store: Any, runs: RunStore) -> None:
    await record(runs, status("a"), status("b", Outcome.UNCHANGED), status("a"))
    await record(runs, RunFetched(**RUN, expected_statuses=4, total_fetched=5, duplicates=1))
    await record(runs, status("b", Outcome.UNCHANGED), status("c", Outcome.FAILED, "missing_title"))
    import_log = await record(runs, RunStarted(**RUN), status("d", Outcome.UPDATED))

    assert import_log.status is RunStatus.COMPLETED
    assert (
        import_log.new,
        import_log.updated,
        import_log.unchanged,
        import_log.failed,
        import_log.total_imported,
    ) == (1, 1, 1, 1, 2)
    assert [(f.job_key, f.reason_code) for f in import_log.failures] == [("c", "missing_title")]
    stored = await logger_store.import_logs.find_one({"run_id": "run-1"})
    assert stored["status"] == "completed" and stored["duration_ms"] is not None


async def test_the_failure_list_is_capped_but_the_count_stays_exact(
    logger_store: Any, runs: RunStore
) -> None:
    failures = [status(f"k{i}", Outcome.FAILED, "invalid") for i in range(5)]
    import_log = await record(runs, RunFetched(**RUN, expected_statuses=5, total_fetched=5), *failures)
    assert (import_log.failed, len(import_log.failures)) == (5, 2)


async def test_a_silent_run_ends_partial_and_one_that_never_fetched_ends_failed(
    logger_store: Any, runs: RunStore
) -> None:
    await record(
        runs, RunStarted(**RUN), RunFetched(**RUN, expected_statuses=3, total_fetched=3), status("a")
    )
    await record_events(
        runs, [RunStarted(**RUN | {"run_id": "run-2"})], [], failures_kept=2, now=datetime.now(UTC)
    )

    ended = {
        import_log.run_id: import_log
        for import_log in await expire_stale_runs(
            runs, timeout_seconds=0, failures_kept=2, now=datetime.now(UTC)
        )
    }

    assert (ended["run-1"].status, ended["run-1"].error) == (
        RunStatus.PARTIAL,
        "2 of 3 job statuses missing after 0 s",
    )
    assert ended["run-2"].status is RunStatus.FAILED
    assert await logger_store.import_logs.count_documents({"status": "running"}) == 0


async def test_counting_reads_and_writes_the_store_only_by_key(
    logger_store: Any, runs: RunStore, store_commands: Any
) -> None:
    await record(
        runs, RunStarted(**RUN), RunFetched(**RUN, expected_statuses=3, total_fetched=3), status("a")
    )
    await record(runs, status("a"), status("b", Outcome.FAILED, "invalid"), status("c"))

    assert store_commands.filters(), "no store command was seen"
    assert all(set(query) <= {"_id"} for entry in store_commands.filters() for query in entry.values())


async def test_statuses_stored_by_an_attempt_that_died_before_counting_are_recounted(
    logger_store: Any, runs: RunStore
) -> None:
    now = datetime.now(UTC)
    await record(runs, RunStarted(**RUN), RunFetched(**RUN, expected_statuses=3, total_fetched=3))
    # The attempt stores two statuses and dies before its count; Kafka redelivers the batch.
    await runs.begin_counting("run-1")
    await runs.insert_statuses([status("a"), status("b", Outcome.FAILED, "invalid")], now)

    import_log = await record(
        runs, status("a"), status("b", Outcome.FAILED, "invalid"), status("c", Outcome.UNCHANGED)
    )

    assert (import_log.status, import_log.new, import_log.failed, import_log.unchanged) == (
        RunStatus.COMPLETED,
        1,
        1,
        1,
    )
    assert [f.job_key for f in import_log.failures] == ["b"]
    stored = await logger_store.import_logs.find_one({"_id": "run-1"})
    assert (stored["new"], stored["failed"], stored["unchanged"], stored["counting"]) == (1, 1, 1, 0)


async def test_a_silent_run_with_an_uncounted_attempt_is_recounted_before_it_ends(
    logger_store: Any, runs: RunStore
) -> None:
    await record(
        runs, RunStarted(**RUN), RunFetched(**RUN, expected_statuses=2, total_fetched=2), status("a")
    )
    await runs.begin_counting("run-1")
    await runs.insert_statuses([status("b")], datetime.now(UTC))

    [ended] = await expire_stale_runs(runs, timeout_seconds=0, failures_kept=2, now=datetime.now(UTC))

    assert (ended.status, ended.new, ended.error) == (RunStatus.COMPLETED, 2, None)


async def test_only_runs_in_progress_are_kept_open(logger_store: Any, runs: RunStore) -> None:
    await record(
        runs, RunStarted(**RUN), RunFetched(**RUN, expected_statuses=1, total_fetched=1), status("a")
    )
    await record_events(
        runs, [RunStarted(**RUN | {"run_id": "run-2"})], [], failures_kept=2, now=datetime.now(UTC)
    )

    assert [doc["_id"] async for doc in logger_store.open_runs.find({})] == ["run-2"]


async def test_statuses_older_than_the_retention_are_trimmed_and_counts_stay(
    logger_store: Any, runs: RunStore
) -> None:
    await record(
        runs, RunStarted(**RUN), RunFetched(**RUN, expected_statuses=2, total_fetched=2), status("a")
    )
    await logger_store.job_statuses.update_one(
        {"_id": "run-1 a"}, {"$set": {"recorded_at": datetime.now(UTC) - timedelta(days=31)}}
    )
    await record(runs, status("b"))

    assert await trim_statuses(runs, retention_days=30, now=datetime.now(UTC)) == 1

    assert [doc["job_key"] async for doc in logger_store.job_statuses.find({})] == ["b"]
    stored = await logger_store.import_logs.find_one({"_id": "run-1"})
    assert (stored["status"], stored["new"]) == ("completed", 2)

"""The logger's counting and run endings against the real store, events in any order."""

from collections.abc import AsyncIterator
from typing import Any

import pytest

from infra import mongo
from infra.settings import CommonSettings
from schemas.events import JobStatus, Outcome, RunFetched, RunStarted, RunStatus, Trigger
from services.logger.handlers import expire_stale_runs, record_events
from services.logger.store import INDEXES

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


async def record(*events: Any) -> Any:
    run_events = [e for e in events if not isinstance(e, JobStatus)]
    statuses = [e for e in events if isinstance(e, JobStatus)]
    [log] = await record_events(run_events, statuses, failures_kept=2, bulk_size=20)
    return log


async def test_duplicated_statuses_in_any_order_give_exact_counts(logger_store: Any) -> None:
    await record(status("a"), status("b", Outcome.UNCHANGED), status("a"))
    await record(RunFetched(**RUN, expected_statuses=4, total_fetched=5, duplicates=1))
    await record(status("b", Outcome.UNCHANGED), status("c", Outcome.FAILED, "missing_title"))
    log = await record(RunStarted(**RUN), status("d", Outcome.UPDATED))

    assert log.status is RunStatus.COMPLETED
    assert (log.new, log.updated, log.unchanged, log.failed, log.total_imported) == (1, 1, 1, 1, 2)
    assert [(f.job_key, f.reason_code) for f in log.failures] == [("c", "missing_title")]
    stored = await logger_store.import_logs.find_one({"run_id": "run-1"})
    assert stored["status"] == "completed" and stored["duration_ms"] is not None


async def test_the_failure_list_is_capped_but_the_count_stays_exact(logger_store: Any) -> None:
    failures = [status(f"k{i}", Outcome.FAILED, "invalid") for i in range(5)]
    log = await record(RunFetched(**RUN, expected_statuses=5, total_fetched=5), *failures)
    assert (log.failed, len(log.failures)) == (5, 2)


async def test_a_silent_run_ends_partial_and_one_that_never_fetched_ends_failed(logger_store: Any) -> None:
    await record(RunStarted(**RUN), RunFetched(**RUN, expected_statuses=3, total_fetched=3), status("a"))
    await record_events([RunStarted(**RUN | {"run_id": "run-2"})], [], failures_kept=2, bulk_size=20)

    ended = {log.run_id: log for log in await expire_stale_runs(timeout_seconds=0, failures_kept=2)}

    assert (ended["run-1"].status, ended["run-1"].error) == (
        RunStatus.PARTIAL,
        "2 of 3 job statuses missing after 0 s",
    )
    assert ended["run-2"].status is RunStatus.FAILED
    assert await logger_store.import_logs.count_documents({"status": "running"}) == 0

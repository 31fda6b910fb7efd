from datetime import UTC, datetime, timedelta

from schemas.events import ImportLog, Outcome, RunFailed, RunFetched, RunStatus, Trigger
from services.logger.tally import expire, facts_of, settle

STARTED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = STARTED + timedelta(seconds=3)
RUN = {"run_id": "r", "trigger_id": "t", "trigger": Trigger.API, "feed_id": "f", "feed_url": "http://x"}


def running(expected: int | None = None, **fields: object) -> ImportLog:
    return ImportLog(run_id="r", started_at=STARTED, expected_statuses=expected, **fields)


def test_a_run_is_running_until_every_expected_status_is_in() -> None:
    log = settle(running(3), {Outcome.NEW: 2}, [], NOW)
    assert (log.status, log.new, log.finished_at) == (RunStatus.RUNNING, 2, None)


def test_a_run_completes_with_exact_counts_and_its_duration() -> None:
    log = settle(
        running(4), {Outcome.NEW: 1, Outcome.UPDATED: 1, Outcome.UNCHANGED: 1, Outcome.FAILED: 1}, [], NOW
    )
    assert log.status is RunStatus.COMPLETED
    assert (log.new, log.updated, log.unchanged, log.failed, log.total_imported) == (1, 1, 1, 1, 2)
    assert (log.finished_at, log.duration_ms) == (NOW, 3000)


def test_statuses_heard_before_the_fetch_finished_do_not_complete_the_run() -> None:
    assert settle(running(None), {Outcome.NEW: 5}, [], NOW).status is RunStatus.RUNNING


def test_a_feed_with_nothing_to_import_completes_at_once() -> None:
    assert settle(running(0), {}, [], NOW).status is RunStatus.COMPLETED


def test_a_failed_fetch_fails_the_run_with_its_reason() -> None:
    facts = facts_of(RunFailed(**RUN, error="HTTP 503", http_status=503))
    log = settle(running(None, **facts), {}, [], NOW)
    assert (log.status, log.error, log.http_status) == (RunStatus.FAILED, "HTTP 503", 503)


def test_fetch_facts_are_recorded() -> None:
    facts = facts_of(RunFetched(**RUN, expected_statuses=9, total_fetched=10, duplicates=1, bytes=2048))
    assert {facts["expected_statuses"], facts["total_fetched"], facts["duplicates"]} == {9, 10, 1}


def test_a_stalled_run_ends_partial_saying_how_many_statuses_are_missing() -> None:
    log = expire(running(5, new=3), NOW, 900)
    assert log.status is RunStatus.PARTIAL
    assert log.error == "2 of 5 job statuses missing after 900 s"


def test_a_run_whose_fetch_never_finished_ends_failed() -> None:
    log = expire(running(None), NOW, 900)
    assert (log.status, log.error) == (RunStatus.FAILED, "fetch did not finish within 900 s")


def test_a_partial_run_completes_when_the_missing_statuses_arrive_late() -> None:
    partial = expire(running(2, new=1), NOW, 900)
    assert settle(partial, {Outcome.NEW: 2}, [], NOW).status is RunStatus.COMPLETED

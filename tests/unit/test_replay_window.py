"""Replay's pure parts: reading a time window and rebuilding an ImportLog by the logger's rules."""

from datetime import UTC, datetime, timedelta

import pytest

from replay.rebuild import RunHistory, differences, rebuild
from replay.window import Selection, SelectionError, identity_of, parse_moment
from schemas.events import JobStatus, Outcome, RunFetched, RunStarted, RunStatus, Trigger

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
RUN = {"run_id": "r", "trigger_id": "t", "trigger": Trigger.API, "feed_id": "f", "feed_url": "http://x/f"}


def test_a_relative_time_counts_back_from_now_and_an_iso_time_without_offset_is_utc() -> None:
    assert parse_moment("2h", NOW) == NOW - timedelta(hours=2)
    assert parse_moment("7d", NOW) == NOW - timedelta(days=7)
    assert parse_moment("2026-05-01T10:00:00", NOW) == datetime(2026, 5, 1, 10, tzinfo=UTC)
    with pytest.raises(SelectionError, match="neither an ISO time"):
        parse_moment("yesterday", NOW)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(SelectionError, match="is after --until"):
        Selection("jobs.fetched", since=NOW, until=NOW - timedelta(hours=1))


def test_a_selection_matches_the_ids_a_fetched_job_names() -> None:
    body = {"run_id": "r", "feed_id": "f", "trigger_id": "t", "job": {"job_key": "k"}}
    assert Selection("jobs.fetched", runs=frozenset({"r"}), key="k").matches(identity_of(body))
    assert not Selection("jobs.fetched", feed="other").matches(identity_of(body))


def status(key: str, outcome: Outcome) -> JobStatus:
    return JobStatus(run_id="r", trigger_id="t", feed_id="f", job_key=key, outcome=outcome, reason_code="bad")


def test_a_rebuild_counts_each_key_once_in_any_order_and_caps_the_failures() -> None:
    history = RunHistory("r", last_heard=NOW)
    history.statuses = [status("a", Outcome.NEW), status("b", Outcome.FAILED), status("a", Outcome.UNCHANGED)]
    history.statuses += [status("c", Outcome.FAILED)]
    history.events = [RunFetched(**RUN, expected_statuses=3, total_fetched=3), RunStarted(**RUN)]

    log = rebuild(history, failures_kept=1, stored=None)

    assert (log.status, log.new, log.unchanged, log.failed, len(log.failures)) == (
        RunStatus.COMPLETED,
        1,
        0,
        2,
        1,
    )
    assert log.finished_at == NOW


def test_a_rebuild_keeps_the_stored_end_time_and_then_differs_in_nothing() -> None:
    history = RunHistory("r", [RunStarted(**RUN), RunFetched(**RUN, expected_statuses=1, total_fetched=1)])
    history.statuses, history.last_heard = [status("a", Outcome.NEW)], NOW
    stored = rebuild(history, 5, None).model_copy(update={"finished_at": NOW + timedelta(seconds=1)})

    assert differences(stored, rebuild(history, 5, stored)) == {}
    assert differences(stored.model_copy(update={"new": 9}), rebuild(history, 5, stored)) == {"new": (9, 1)}

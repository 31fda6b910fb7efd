from schemas.events import Outcome
from services.processor.classify import Stored, classify, needs_write, waves


def stored(content_hash: str = "h1", created: str = "run-1", changed: str = "run-1") -> Stored:
    return Stored(content_hash, created, changed)


def test_a_job_not_stored_is_new_and_written() -> None:
    assert classify("run-2", "h1", None) is Outcome.NEW
    assert needs_write("run-2", Outcome.NEW, None)


def test_the_same_hash_is_unchanged_and_writes_nothing() -> None:
    assert classify("run-2", "h1", stored()) is Outcome.UNCHANGED
    assert not needs_write("run-2", Outcome.UNCHANGED, stored())


def test_a_different_hash_is_an_update() -> None:
    assert classify("run-2", "h2", stored()) is Outcome.UPDATED
    assert needs_write("run-2", Outcome.UPDATED, stored())


def test_redelivery_of_the_run_that_created_the_job_is_still_new_and_writes_nothing() -> None:
    assert classify("run-1", "h1", stored()) is Outcome.NEW
    assert not needs_write("run-1", Outcome.NEW, stored())


def test_redelivery_of_the_run_that_changed_the_job_is_still_an_update_and_writes_nothing() -> None:
    after_update = stored("h2", created="run-1", changed="run-2")
    assert classify("run-2", "h2", after_update) is Outcome.UPDATED
    assert not needs_write("run-2", Outcome.UPDATED, after_update)


def test_waves_never_hold_one_key_twice_and_keep_its_order() -> None:
    items = [("a", 1), ("b", 1), ("a", 2), ("a", 3), ("c", 1)]
    assert waves(items, key=lambda item: item[0]) == [
        [("a", 1), ("b", 1), ("c", 1)],
        [("a", 2)],
        [("a", 3)],
    ]

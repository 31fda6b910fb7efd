"""When a feed is checked next: interval and publisher hints after a success, backoff after failures."""

from datetime import UTC, datetime, timedelta
from random import Random

from services.fetcher.registry.next_check import (
    next_check_after_failure,
    next_check_after_success,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def waits_after_success(
    ttl: int | None = None, max_age: float | None = None, interval: int = 60
) -> set[timedelta]:
    rng = Random(7)
    return {next_check_after_success(NOW, interval, ttl, max_age, rng) - NOW for _ in range(200)}


def waits_after_failures(
    failures: int, retry_after: float | None = None, interval: int = 60
) -> set[timedelta]:
    rng = Random(7)
    return {next_check_after_failure(NOW, interval, failures, retry_after, rng) - NOW for _ in range(200)}


# After a success


def test_a_healthy_feed_is_checked_again_after_its_interval_give_or_take_ten_percent() -> None:
    waits = waits_after_success()
    assert min(waits) >= timedelta(minutes=54) and max(waits) <= timedelta(minutes=66)
    assert min(waits) < timedelta(minutes=57) and max(waits) > timedelta(minutes=63)  # jitter spreads


def test_the_same_seed_gives_the_same_schedule() -> None:
    assert waits_after_success() == waits_after_success()


def test_a_feed_asking_for_a_longer_ttl_is_not_checked_sooner() -> None:
    assert waits_after_success(ttl=180) == {3 * HOUR}


def test_cache_control_max_age_longer_than_the_interval_is_honoured() -> None:
    assert waits_after_success(max_age=7200) == {2 * HOUR}


def test_publisher_hints_shorter_than_the_interval_do_not_make_us_poll_faster() -> None:
    assert min(waits_after_success(ttl=5, max_age=60)) >= timedelta(minutes=54)


def test_publisher_hints_are_capped_at_a_day() -> None:
    assert waits_after_success(ttl=60 * 24 * 30, max_age=10**9) == {timedelta(hours=24)}


# After failures


def test_the_first_failure_retries_within_one_interval_but_not_before_half_of_it() -> None:
    waits = waits_after_failures(1)
    assert min(waits) >= timedelta(minutes=30) and max(waits) <= HOUR


def test_each_further_failure_doubles_the_backoff() -> None:
    waits = waits_after_failures(3)  # ceiling 4 intervals
    assert min(waits) >= 2 * HOUR and max(waits) <= 4 * HOUR
    assert len(waits) > 100  # jittered, so failing feeds do not retry in step


def test_backoff_stops_growing_at_a_day_and_polling_never_stops() -> None:
    for failures in (6, 50, 10_000):
        waits = waits_after_failures(failures)
        assert min(waits) >= timedelta(hours=12) and max(waits) <= timedelta(hours=24)


def test_a_feed_polled_less_often_than_the_cap_backs_off_no_further_than_its_interval() -> None:
    assert max(waits_after_failures(5, interval=3 * 24 * 60)) <= timedelta(days=3)


def test_retry_after_is_never_undercut() -> None:
    assert min(waits_after_failures(1, retry_after=5 * 3600)) == 5 * HOUR


def test_a_retry_after_beyond_a_day_is_capped_so_the_feed_is_still_polled() -> None:
    assert max(waits_after_failures(1, retry_after=30 * 24 * 3600)) == timedelta(hours=24)

"""Metrics whose value is computed in-process: batches per topic, fetch labels."""

from aiokafka import ConsumerRecord
from prometheus_client import REGISTRY

from infra.metrics import batch_handled
from schemas.feeds import Feed
from services.fetcher import metrics as fetcher_metrics
from services.fetcher.run import _labels, adhoc_feed


def record(topic: str) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(topic, 0, 0, 0, 0, None, b"{}", None, 0, 2, [])


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_a_batch_from_two_topics_counts_each_topics_records_and_the_whole_time_under_both() -> None:
    with batch_handled([record("unit.runs"), record("unit.statuses"), record("unit.statuses")]):
        pass
    assert sample("job_importer_batch_size_sum", topic="unit.runs") == 1
    assert sample("job_importer_batch_size_sum", topic="unit.statuses") == 2
    assert sample("job_importer_batch_duration_seconds_count", topic="unit.runs") == 1
    assert sample("job_importer_batch_duration_seconds_count", topic="unit.statuses") == 1


def test_a_batch_that_fails_is_still_observed() -> None:
    try:
        with batch_handled([record("unit.failing")]):
            raise ValueError("poison")
    except ValueError:
        pass
    assert sample("job_importer_batch_size_count", topic="unit.failing") == 1


def test_a_feed_outside_the_registry_is_labelled_adhoc_so_urls_cannot_grow_the_series() -> None:
    registered = Feed(id="wwr", url="https://weworkremotely.com/remote-jobs.rss")
    assert _labels(registered, registered.url) == ("wwr", "weworkremotely.com")
    anyone = adhoc_feed("https://attacker.example/one-of-a-million.xml")
    assert _labels(anyone, anyone.url) == ("adhoc", "adhoc")


def test_a_fetch_without_an_http_answer_is_counted_under_status_none() -> None:
    fetcher_metrics.observe_fetch("unit-feed", "unit.example", None, 0.5, 0)
    assert (
        sample("job_importer_fetches_total", feed_id="unit-feed", host="unit.example", status_code="none")
        == 1
    )
    assert sample("job_importer_fetch_bytes_total", feed_id="unit-feed", host="unit.example") is None

"""Prometheus metrics shared by the services: Kafka consumption, store writes, dead letters, outcomes.

One registry per process (prometheus_client's default). Labels stay bounded: topics, outcomes and
collections, never a run id or a job key. Each service declares its own in its `metrics.py`.
"""

import asyncio
import contextlib
import logging
import time
from collections import Counter as Tally
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import IllegalOperation
from faststream.kafka import KafkaBroker
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

log = logging.getLogger(__name__)
# A `_created` line per series adds to every scrape what rate() and increase() never read.
disable_created_metrics()
Refresh = Callable[[], Awaitable[None]]

CONSUMER_LAG = Gauge(
    "job_importer_kafka_consumer_lag",
    "Records not yet done per assigned partition: end offset minus the committed offset "
    "(the position, for consumers without a group), as of the last scrape.",
    ["topic", "partition"],
)
BATCH_SIZE = Histogram(
    "job_importer_batch_size",
    "Records per batch a batch subscriber handled, by the records' topic.",
    ["topic"],
    buckets=(1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)
BATCH_DURATION = Histogram(
    "job_importer_batch_duration_seconds",
    "Time to handle one batch, under each topic its records came from.",
    ["topic"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOBS = Counter(
    "job_importer_jobs",
    "Job statuses produced, by outcome: the processor's, and the fetcher's for items that are no job.",
    ["outcome"],
)
STORE_WRITE_SECONDS = Histogram(
    "job_importer_store_write_seconds",
    "Time of one write command to the store (a bulk write or a single-document update).",
    ["collection"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STORE_WRITE_RETRIES = Counter(
    "job_importer_store_write_retries",
    "Writes tried again: a whole batch's when the store was unavailable, else each job whose write "
    "failed with a transient error.",
)
DEAD_LETTERS = Counter(
    "job_importer_dead_letters",
    "Poison messages sent to a dead-letter topic, by the topic they were read from.",
    ["topic"],
)


def exposition() -> tuple[bytes, str]:
    """The process's metrics in Prometheus text, and the content type to serve them with."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


@contextlib.contextmanager
def batch_handled(records: Sequence[ConsumerRecord[Any, Any]]) -> Iterator[None]:
    """Observe a batch's size and duration per topic. A batch read from two topics (the logger's)
    counts its duration under both: each topic's panel shows what its records waited for."""
    sizes = Tally(record.topic for record in records)
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        for topic, size in sizes.items():
            BATCH_SIZE.labels(topic).observe(size)
            BATCH_DURATION.labels(topic).observe(elapsed)


@contextlib.contextmanager
def store_write(collection: str) -> Iterator[None]:
    with STORE_WRITE_SECONDS.labels(collection).time():
        yield


def consumer_lag(broker: KafkaBroker, timeout: float = 2.0) -> Refresh:
    """Refresh the lag gauge from the broker's consumers, at scrape time: it is exact when read,
    and costs nothing between scrapes. Kafka not answering in time leaves the last values."""

    async def refresh() -> None:
        consumers = [consumer for subscriber in broker.subscribers if (consumer := _consumer(subscriber))]
        try:
            lags = await asyncio.wait_for(_lags(consumers), timeout)
        except Exception as error:  # a scrape must answer even when Kafka does not
            log.warning("consumer lag not refreshed", extra={"error": repr(error)})
            return
        CONSUMER_LAG.clear()  # partitions revoked since the last scrape stop being reported
        for partition, lag in lags.items():
            CONSUMER_LAG.labels(partition.topic, str(partition.partition)).set(lag)

    return refresh


def _consumer(subscriber: Any) -> AIOKafkaConsumer | None:
    consumer = getattr(subscriber, "consumer", None)
    return consumer if isinstance(consumer, AIOKafkaConsumer) else None


async def _lags(consumers: Iterable[AIOKafkaConsumer]) -> dict[TopicPartition, int]:
    lags: dict[TopicPartition, int] = {}
    for consumer in consumers:
        assigned = list(consumer.assignment())
        if not assigned:
            continue
        ends = await consumer.end_offsets(assigned)
        done = await asyncio.gather(*(_done(consumer, partition) for partition in assigned))
        lags |= {p: max(0, ends[p] - offset) for p, offset in zip(assigned, done, strict=True)}
    return lags


async def _done(consumer: AIOKafkaConsumer, partition: TopicPartition) -> int:
    """The committed offset: what a restart would resume from. Group-less consumers (the gateway's)
    commit nothing; their position is what they have read."""
    with contextlib.suppress(IllegalOperation):  # raised for a consumer without a group
        committed = await consumer.committed(partition)
        if committed is not None:
            return int(committed)
    return int(await consumer.position(partition))

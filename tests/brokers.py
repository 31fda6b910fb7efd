"""A service's FastStream app under TestKafkaBroker: in memory, or the same on the local Kafka.

FastStream's pattern: the publishers' mocks record what the handlers publish; with
`with_real=True` the messages go through the real Kafka, and subscribers reading each published
topic from its start record them (a consumer joining late would miss the first ones).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from faststream import FastStream
from faststream.kafka import KafkaBroker, TestKafkaBroker
from faststream.kafka.publisher import DefaultPublisher

from infra.kafka import client_options, ensure_topics
from infra.settings import CommonSettings
from tests.conftest import eventually


@asynccontextmanager
async def under_test(
    app: FastStream, settings: CommonSettings, with_real: bool
) -> AsyncIterator[KafkaBroker]:
    broker = app.broker
    assert isinstance(broker, KafkaBroker)
    for publisher in list(broker.publishers):

        @broker.subscriber(publisher_topic(publisher), auto_offset_reset="earliest", persistent=False)
        async def heard(body: Any) -> None: ...

    if with_real:
        await ensure_topics(settings)
        await eventually(lambda: _answer(settings, [publisher_topic(p) for p in broker.publishers]))
    try:
        async with TestKafkaBroker(broker, with_real=with_real) as tested:
            yield tested
    finally:
        await app.stop()  # what the app opened (store and Redis clients) is closed


def publisher_to(broker: KafkaBroker, topic: str) -> DefaultPublisher:
    (publisher,) = [p for p in broker.publishers if publisher_topic(p) == topic]
    return publisher  # type: ignore[return-value]


def publisher_topic(publisher: Any) -> str:
    return str(publisher.topic)


def bodies(publisher: DefaultPublisher) -> list[Any]:
    """What the handlers published through `publisher`, decoded, in order."""
    return [call.args[0] for call in publisher.mock.call_args_list]


async def _answer(settings: CommonSettings, topics: list[str]) -> bool:
    """Every partition of the topics has a leader that answers: new topics take a moment."""
    consumer = AIOKafkaConsumer(**client_options(settings))
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for topic in topics for p in range(settings.kafka_partitions)]
        await consumer.end_offsets(partitions)
        return True
    except KafkaError:
        return False
    finally:
        await consumer.stop()

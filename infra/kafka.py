"""Kafka wiring: topics created at start-up, producers with acks=all and idempotence, publishing many
messages and waiting once, dead letters."""

import asyncio
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from aiokafka import ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code
from aiokafka.helpers import create_ssl_context
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher import DefaultPublisher
from faststream.kafka.security import parse_security
from faststream.message import StreamMessage
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from pydantic import BeforeValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, ValidationError
from pydantic_core import CoreSchema

from infra.metrics import DEAD_LETTERS
from infra.settings import CommonSettings
from schemas import topics

log = logging.getLogger(__name__)
T = TypeVar("T")

# Headers of a dead letter: where it came from, why, and how many times it has failed. A redriven
# message carries its attempt count back to the source topic, so failing again counts up.
SOURCE_TOPIC = "dlq-source-topic"
SOURCE_PARTITION = "dlq-source-partition"
SOURCE_OFFSET = "dlq-source-offset"
REASON = "dlq-reason"
ATTEMPT = "dlq-attempt"


SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


def security(settings: CommonSettings) -> BaseSecurity | None:
    """The cluster's TLS and SASL as FastStream takes them; None for PLAINTEXT, as before."""
    protocol = settings.kafka_security_protocol
    tls = protocol in ("SSL", "SASL_SSL")
    context = create_ssl_context(cafile=settings.kafka_ssl_ca_file or None) if tls else None
    if protocol.startswith("SASL_"):
        return SASL[settings.kafka_sasl_mechanism](
            settings.kafka_sasl_username,
            settings.kafka_sasl_password.get_secret_value(),
            ssl_context=context,
            use_ssl=tls,
        )
    return BaseSecurity(ssl_context=context) if tls else None


def client_options(settings: CommonSettings) -> dict[str, Any]:
    """Keyword arguments for any aiokafka client: the brokers and the same security as the broker's,
    so a tool's producer, consumer or admin client reaches any cluster the services reach.
    """
    return {"bootstrap_servers": settings.kafka_bootstrap_servers, **parse_security(security(settings))}


def make_broker(settings: CommonSettings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        security=security(settings),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        # aiokafka's default of 16 KiB holds three or four jobs: every few messages became a
        # request of its own. 512 KiB per partition halves the producer's CPU per job (bench) and
        # stays under the brokers' default 1 MB limit on a record batch.
        max_batch_size=512 * 1024,
        # zstd (level 3, aiokafka's fixed level) cuts real jobs to 0.18 of their JSON for about
        # 35 us of producer CPU per job; lz4 (fixed at level 9) costs three times that for 0.26.
        compression_type="zstd",
        # The producer's own check on one record, left above the event size limit (checked before
        # sending, where an oversize job fails alone) by room for the record's key and headers.
        max_request_size=settings.kafka_max_message_bytes + 64 * 1024,
        logger=logging.getLogger(f"{client_id}.broker"),
        log_level=logging.DEBUG,
    )


@dataclass(frozen=True)
class DocumentedAs:
    """Metadata for a loosely typed handler parameter: the AsyncAPI document shows `schema` instead.

    Validation stays the annotated type's, so a `list[Any]` batch handler still gets the poison
    messages it splits out; and Kafka carries one event per record, so the document shows one
    `schema` per message, not the batch.
    """

    schema: Any

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        validator = BeforeValidator(_unchanged, json_schema_input_type=self.schema)
        return validator.__get_pydantic_core_schema__(source, handler)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> Any:
        # FastStream 0.7.8 documents a payload that is a bare $ref as the first of its definitions.
        described = handler(schema)
        return {"allOf": [described]} if "$ref" in described else described


def _unchanged(messages: Any) -> Any:
    return messages


async def ensure_topics(settings: CommonSettings) -> None:
    """Create the pipeline's topics and their dead-letter topics if they do not exist."""
    hour_ms = 3600 * 1000
    kept, dead_letters_kept = settings.kafka_retention_hours, settings.kafka_dead_letter_retention_hours
    retention = {settings.topic(name): kept * hour_ms for name in topics.ALL}
    retention |= {topics.dead_letter(name): dead_letters_kept * hour_ms for name in list(retention)}
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(
                name,
                num_partitions=settings.kafka_partitions,
                replication_factor=settings.kafka_replication_factor,
                topic_configs={"retention.ms": str(milliseconds)},
            )
            for name, milliseconds in retention.items()
            if name not in existing
        ]
        if wanted:
            await _create(admin, wanted)
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, wanted: list[NewTopic]) -> None:
    response = await admin.create_topics(wanted)
    # The brokers answer topic by topic instead of failing the request. A topic another replica
    # created first is fine; any other refusal (a replication factor the cluster cannot meet, no
    # permission to create) must stop the start-up, not leave the service on topics that do not exist.
    refused = {
        topic: f"{for_code(code).__name__}: {message[0] if message else ''}"
        for topic, code, *message in response.topic_errors
        if code not in (0, TopicAlreadyExistsError.errno)
    }
    if refused:
        raise KafkaError(f"topics not created: {refused}")
    log.info("topics created", extra={"topics": [topic.name for topic in wanted]})


async def lenient_batch(message: StreamMessage[Any]) -> list[Any]:
    """A batch decoded record by record; bytes that are not JSON stay bytes, for the handler to
    dead-letter. FastStream's decoder trusts the content-type header: one record claiming JSON
    that is not failed the whole batch, which came back, failed again, and held its partition.
    """
    return [_json_or_bytes(record.value or b"") for record in message.raw_message]


def _json_or_bytes(value: bytes) -> Any:
    try:
        return json.loads(value)
    except ValueError:  # UnicodeDecodeError is one too
        return value


@dataclass(frozen=True)
class Poison:
    """A record that is not the topic's contract, as received, and why."""

    record: ConsumerRecord[Any, Any]
    body: Any  # as FastStream decoded it
    reason: str


def split_poison(
    bodies: Sequence[Any], records: Sequence[ConsumerRecord[Any, Any]], decode: Callable[[Any], T]
) -> tuple[list[T], list[Poison]]:
    """Decode each record of a batch; those that do not validate are poison."""
    decoded: list[T] = []
    poison: list[Poison] = []
    for body, record in zip(bodies, records, strict=True):
        try:
            decoded.append(decode(body))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "body"
            poison.append(Poison(record, body, f"{where}: {first['msg']}"[:300]))
    return decoded, poison


def dead_letter_headers(poison: Poison) -> dict[str, str]:
    record = poison.record
    original = {name: value.decode(errors="replace") for name, value in record.headers}
    failed_before = original.get(ATTEMPT, "0")
    return original | {
        SOURCE_TOPIC: record.topic,
        SOURCE_PARTITION: str(record.partition),
        SOURCE_OFFSET: str(record.offset),
        REASON: poison.reason,
        ATTEMPT: str(int(failed_before) + 1 if failed_before.isdigit() else 1),
    }


@dataclass(frozen=True)
class Outgoing:
    """One message to publish: an event (or raw bytes), its key, and its headers if any."""

    body: Any
    key: bytes | None
    headers: dict[str, str] | None = None


async def publish_all(publisher: DefaultPublisher, messages: Iterable[Outgoing]) -> None:
    """Hand every message to the producer, then wait until all are acknowledged.

    With acks=all each acknowledgement waits for the replicas: waiting message by message would
    make a batch of 500 statuses 500 round trips, not one.
    """
    sent = [
        await publisher.publish(message.body, key=message.key, headers=message.headers, no_confirm=True)
        for message in messages
    ]
    await asyncio.gather(*(future for future in sent if future is not None))  # None: TestKafkaBroker's


def dead_letter_publisher(broker: KafkaBroker, source: str, title: str, unlike: str) -> DefaultPublisher:
    """The `<source>.dlq` publisher, described for the AsyncAPI document; `unlike`: what poison is not."""
    return broker.publisher(
        topics.dead_letter(source),
        schema=bytes,
        title=title,
        description=f"Messages of {source} that are {unlike}, byte for byte with their key; "
        "headers name the source topic, partition, offset, the reason and the attempt count.",
    )


class DeadLetters:
    """Sends poison to its source topic's dead-letter publisher, byte for byte, with the original key."""

    def __init__(self, publishers: Mapping[str, DefaultPublisher]) -> None:
        self.publishers = publishers  # source topic -> its `<topic>.dlq` publisher
        for topic in publishers:
            DEAD_LETTERS.labels(topic)  # a series at 0 from the start, so alerts see the first one

    async def send(self, poison: Sequence[Poison]) -> None:
        for topic in dict.fromkeys(item.record.topic for item in poison):
            letters = [_letter(item) for item in poison if item.record.topic == topic]
            await publish_all(self.publishers[topic], letters)
        for item in poison:
            DEAD_LETTERS.labels(item.record.topic).inc()
        if poison:
            log.error("poison messages sent to dead-letter topics", extra={"count": len(poison)})


def _letter(poison: Poison) -> Outgoing:
    """The poison byte for byte, under its original key, with where it came from in its headers."""
    return Outgoing(poison.record.value or b"", poison.record.key, dead_letter_headers(poison))

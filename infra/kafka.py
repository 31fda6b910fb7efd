"""Kafka wiring: topics created at start-up, producers with acks=all and idempotence."""

import contextlib
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.kafka import KafkaBroker

from infra.settings import CommonSettings
from schemas import topics

log = logging.getLogger(__name__)


def make_broker(settings: CommonSettings, client_id: str) -> KafkaBroker:
    return KafkaBroker(
        settings.kafka_bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        # aiokafka's default of 16 KiB holds three or four jobs: every few messages became a
        # request of its own. 512 KiB per partition halves the producer's CPU per job (bench) and
        # stays under the brokers' default 1 MB limit on a record batch.
        max_batch_size=512 * 1024,
        logger=logging.getLogger(f"{client_id}.broker"),
        log_level=logging.DEBUG,
    )


async def ensure_topics(settings: CommonSettings) -> None:
    """Create the pipeline's topics and their dead-letter topics if they do not exist."""
    names = [settings.topic(name) for name in topics.ALL]
    names += [topics.dead_letter(name) for name in names]
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=settings.kafka_partitions, replication_factor=1)
            for name in names
            if name not in existing
        ]
        if wanted:
            await _create(admin, wanted)
    finally:
        await admin.close()


async def _create(admin: AIOKafkaAdminClient, wanted: list[NewTopic]) -> None:
    with contextlib.suppress(TopicAlreadyExistsError):  # another replica created them first
        await admin.create_topics(wanted)
    log.info("topics created", extra={"topics": [topic.name for topic in wanted]})

"""Topics are created as configured, and a cluster's refusal to create them stops the start-up."""

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from infra.kafka import client_options, ensure_topics
from infra.settings import CommonSettings
from schemas import topics


async def test_every_topic_and_dead_letter_topic_gets_the_configured_partitions_and_replicas(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_PARTITIONS", "2")
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "1")  # the local stack has one broker
    settings = CommonSettings()

    await ensure_topics(settings)

    names = [settings.topic(name) for name in topics.ALL]
    names += [topics.dead_letter(name) for name in names]
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    assert {topic["topic"] for topic in described} == set(names)
    for topic in described:
        assert len(topic["partitions"]) == 2, topic["topic"]
        assert {len(partition["replicas"]) for partition in topic["partitions"]} == {1}


async def test_a_replication_factor_the_cluster_cannot_meet_fails_loudly(
    environment: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "3")

    with pytest.raises(KafkaError, match="InvalidReplicationFactor"):
        await ensure_topics(CommonSettings())

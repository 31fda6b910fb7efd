"""Every Redis key name of the services, in one place, each under the deployment's prefix.

Deployments that share one Redis (tests, a staging next to production) share the Kafka topic
prefix's separation too: `key(settings, PROCESSOR_WRITES)` is `<prefix>processor:writes`.
"""

from infra.settings import CommonSettings

# The semaphore capping bulk writes across processor replicas (infra.semaphore).
PROCESSOR_WRITES = "processor:writes"


def key(settings: CommonSettings, name: str) -> str:
    return f"{settings.kafka_topic_prefix}{name}"

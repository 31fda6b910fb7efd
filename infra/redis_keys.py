"""Every Redis key the services use, named in one place.

Each key starts with the deployment's prefix (KAFKA_TOPIC_PREFIX, as its topics and consumer
groups do), so deployments that share one Redis never take each other's leases, turns or tokens.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class RedisKeys:
    prefix: str

    def feed_lease(self, feed_id: str) -> str:
        """Held by the fetcher importing the feed, renewed while it works."""
        return f"{self.prefix}fetcher:lease:{feed_id}"

    def runs_in_flight(self) -> str:
        """The runs being fetched (a hash by run id), to finish when their fetcher stops."""
        return f"{self.prefix}fetcher:runs-in-flight"

    def run_ended(self, trigger_id: str, feed_id: str) -> str:
        """Set when a run ends: a redelivered request for the same trigger and feed starts no run."""
        return f"{self.runs_in_flight()}:done:{trigger_id}:{feed_id}"

    def host_turn(self, host: str) -> str:
        """When the scheduler last started a check of the host's feeds."""
        return f"{self.prefix}fetcher:turn:{host}"

    def host_requests(self) -> str:
        """The token buckets of requests per host (one bucket per host under this name)."""
        return f"{self.prefix}fetcher:host"

    def host_pause(self, host: str) -> str:
        """Set while a host asked us to wait (429/503 Retry-After); the gateway shows it."""
        return f"{self.prefix}throttle:pause:{host}"

    def processor_writes(self) -> str:
        """The semaphore capping bulk writes across processor replicas (infra.semaphore)."""
        return f"{self.prefix}processor:writes"

    def import_requests(self) -> str:
        """The gateway's token buckets of import requests (one bucket per client under this name)."""
        return f"{self.prefix}gateway:imports"

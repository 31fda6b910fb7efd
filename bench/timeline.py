"""When each stage of one case wrote its first and last message: Kafka record timestamps.

Only the records at the edges of what a case wrote are read (offsets marked before it and after
it), so timing a 100,000-job case costs a few fetches, not a second pass over every job.
"""

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from schemas import topics

Offsets = dict[TopicPartition, int]
READ_TIMEOUT_SECONDS = 120  # a busy broker may answer a fetch late, never not at all
WATCHED = (topics.JOBS_FETCHED, topics.JOBS_STATUS, topics.IMPORTS_LOGS)


@dataclass(frozen=True)
class Span:
    first: float
    last: float


class Timeline:
    def __init__(self, kafka: dict[str, Any], prefix: str, partitions: int) -> None:
        self.consumer = AIOKafkaConsumer(**kafka, enable_auto_commit=False)
        self.partitions = {
            name: [TopicPartition(prefix + name, number) for number in range(partitions)] for name in WATCHED
        }

    async def __aenter__(self) -> "Timeline":
        await self.consumer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.consumer.stop()

    async def mark(self) -> Offsets:
        every = [partition for partitions in self.partitions.values() for partition in partitions]
        return dict(await self.consumer.end_offsets(every))

    async def written(self, topic: str, since: Offsets) -> int:
        now = await self.mark()
        return sum(now[partition] - since[partition] for partition in self.partitions[topic])

    async def span(self, topic: str, since: Offsets) -> Span | None:
        now, stamps = await self.mark(), []
        for partition in self.partitions[topic]:
            if now[partition] > since[partition]:
                stamps.append(await self._stamp(partition, since[partition]))
                stamps.append(await self._stamp(partition, now[partition] - 1))
        return Span(min(stamps), max(stamps)) if stamps else None

    async def final_log(self, since: Offsets, run_id: str) -> float | None:
        """When the logger published the run's first ImportLog in a final state."""
        now = await self.mark()
        try:
            for partition in self.partitions[topics.IMPORTS_LOGS]:
                async for record in self._records(partition, since[partition], now[partition]):
                    log = json.loads(record.value or b"{}")
                    if log.get("run_id") == run_id and log.get("status") != "running":
                        return record.timestamp / 1000
            return None
        finally:
            self.consumer.unsubscribe()  # no fetching in the background while the next case runs

    async def _records(self, partition: TopicPartition, start: int, end: int) -> AsyncIterator[Any]:
        self.consumer.assign([partition])
        self.consumer.seek(partition, start)
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        while await self.consumer.position(partition) < end and time.monotonic() < deadline:
            for record in (await self.consumer.getmany(partition, timeout_ms=1000)).get(partition, []):
                yield record

    async def _stamp(self, partition: TopicPartition, offset: int) -> float:
        self.consumer.assign([partition])
        self.consumer.seek(partition, offset)
        record = await self.consumer.getone(partition)
        self.consumer.unsubscribe()
        return record.timestamp / 1000

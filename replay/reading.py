"""Reads a topic between two offsets per partition, by manual assignment: no group is moved."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from rich.progress import Progress

from replay.window import SelectionError


@dataclass(frozen=True)
class PartitionRange:
    partition: int
    start: int
    end: int  # exclusive: the first offset not read

    @property
    def size(self) -> int:
        return max(0, self.end - self.start)


def decoded(record: ConsumerRecord[Any, Any]) -> Any:
    """The body as the services see it: JSON when it parses, else None."""
    try:
        return json.loads(record.value or b"")
    except (ValueError, UnicodeDecodeError):
        return None


class Reader:
    def __init__(self, kafka: dict[str, Any], group_id: str | None = None) -> None:
        """`kafka`: the brokers and their security, as infra.kafka.client_options gives them."""
        self.kafka = kafka
        # Without a group_id nothing can be committed; with one (the dead-letter ledger) only
        # explicit commits are made.
        self.consumer = AIOKafkaConsumer(**kafka, group_id=group_id, enable_auto_commit=False)

    async def __aenter__(self) -> "Reader":
        await self.consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.consumer.stop()

    async def ranges(
        self, topic: str, since: datetime | None, until: datetime | None
    ) -> list[PartitionRange]:
        """Offsets per partition of the window: Kafka's offsets-for-times at each end."""
        partitions = [TopicPartition(topic, p) for p in await self._partitions_of(topic)]
        first = await self.consumer.beginning_offsets(partitions)
        last = await self.consumer.end_offsets(partitions)
        starts = await self._offsets_at(since, partitions, last) if since else first
        ends = await self._offsets_at(until, partitions, last) if until else last
        return [PartitionRange(tp.partition, starts[tp], ends[tp]) for tp in partitions]

    async def _partitions_of(self, topic: str) -> list[int]:
        # The admin client's metadata request, unlike a consumer's, never creates a missing topic.
        admin = AIOKafkaAdminClient(**self.kafka)
        await admin.start()
        try:
            if topic not in await admin.list_topics():
                raise SelectionError(f"topic {topic!r} does not exist")
            [description] = await admin.describe_topics([topic])
        finally:
            await admin.close()
        return sorted(partition["partition"] for partition in description["partitions"])

    async def _offsets_at(
        self, moment: datetime, partitions: list[TopicPartition], last: dict[TopicPartition, int]
    ) -> dict[TopicPartition, int]:
        found = await self.consumer.offsets_for_times(
            {tp: int(moment.timestamp() * 1000) for tp in partitions}
        )
        # No message at or after the moment: the window ends (or starts) at the partition's end.
        return {tp: at.offset if at else last[tp] for tp, at in found.items()}

    async def read(
        self, topic: str, ranges: list[PartitionRange], progress: Progress, label: str
    ) -> AsyncIterator[ConsumerRecord[Any, Any]]:
        wanted = {TopicPartition(topic, r.partition): r for r in ranges if r.size}
        total = sum(r.size for r in wanted.values())
        task = progress.add_task(label, total=total)
        self.consumer.assign(list(wanted))
        for tp, window in wanted.items():
            self.consumer.seek(tp, window.start)
        while wanted:
            batches = await self.consumer.getmany(*wanted, timeout_ms=1000, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < wanted[tp].end:
                        progress.advance(task)
                        yield record
                if await self.consumer.position(tp) >= wanted[tp].end:
                    self.consumer.pause(tp)
                    del wanted[tp]
        progress.update(task, completed=total)

    async def committed(self, topic: str, ranges: list[PartitionRange]) -> dict[int, int]:
        """The group's committed offset per partition (0 where it has none)."""
        found = {
            r.partition: await self.consumer.committed(TopicPartition(topic, r.partition)) for r in ranges
        }
        return {partition: offset or 0 for partition, offset in found.items()}

    async def commit(self, topic: str, offsets: dict[int, int]) -> None:
        partitions = {TopicPartition(topic, partition): offset for partition, offset in offsets.items()}
        self.consumer.assign(list(partitions))
        await self.consumer.commit(partitions)

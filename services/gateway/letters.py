"""Dead letters read from Kafka for the dashboard: counts per topic and the letters, newest first.

Reads only, by manual assignment with no group, so no offset of anyone's moves. A letter below
replay's committed offset on its topic was redriven by `replay dlq --redrive`.
"""

import asyncio
import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra.kafka import ATTEMPT, REASON, SOURCE_OFFSET, SOURCE_PARTITION, client_options
from schemas import topics
from schemas.views import DeadLetterTopic, DeadLetterView, Page
from services.gateway.config import Settings

PREVIEW_CHARACTERS = 2000


class InvalidCursor(ValueError):
    pass


class Letters:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.consumer = AIOKafkaConsumer(**client_options(settings), enable_auto_commit=False)
        self.admin = AIOKafkaAdminClient(**client_options(settings))
        self.lock = asyncio.Lock()

    async def start(self) -> None:
        await self.consumer.start()
        await self.admin.start()

    async def stop(self) -> None:
        await self.admin.close()
        await self.consumer.stop()

    async def summary(self) -> list[DeadLetterTopic]:
        """Every pipeline topic's dead letters: how many are kept and how many were redriven."""
        redriven_below = await self._redriven_below()
        by_source = await self._partitions(*topics.ALL)
        every = [tp for partitions in by_source.values() for tp in partitions]
        first = await self.consumer.beginning_offsets(every) if every else {}
        last = await self.consumer.end_offsets(every) if every else {}
        return [
            DeadLetterTopic(
                source_topic=source,
                count=sum(last[tp] - first[tp] for tp in partitions),
                redriven=sum(
                    max(0, min(redriven_below.get(tp, 0), last[tp]) - first[tp]) for tp in partitions
                ),
            )
            for source, partitions in by_source.items()
        ]

    async def page(self, source: str, limit: int, cursor: str | None) -> Page[DeadLetterView]:
        """The newest `limit` letters below the cursor (per partition: the first offset not to read)."""
        before = _decode(cursor) if cursor else {}
        redriven_below = await self._redriven_below()
        partitions = (await self._partitions(source))[source]
        if not partitions:
            return Page(items=[])
        first = await self.consumer.beginning_offsets(partitions)
        last = await self.consumer.end_offsets(partitions)
        ends = {tp: min(before.get(tp.partition, last[tp]), last[tp]) for tp in partitions}
        records = await self._read({tp: (max(first[tp], ends[tp] - limit), ends[tp]) for tp in partitions})
        newest = sorted(records, key=lambda record: (record.timestamp, record.offset), reverse=True)[:limit]
        below = dict(ends)
        for record in newest:
            tp = TopicPartition(record.topic, record.partition)
            below[tp] = min(below[tp], record.offset)
        more = any(below[tp] > first[tp] for tp in partitions) and len(newest) == limit
        return Page(
            items=[_view(record, redriven_below) for record in newest],
            next_cursor=_encode({tp.partition: offset for tp, offset in below.items()}) if more else None,
        )

    async def _partitions(self, *sources: str) -> dict[str, list[TopicPartition]]:
        """The partitions of each source's dead-letter topic (none while it does not exist)."""
        names = {source: topics.dead_letter(self.settings.topic(source)) for source in sources}
        # The admin client's metadata request, unlike a consumer's, never creates a missing topic.
        existing = set(await self.admin.list_topics())
        found = [name for name in names.values() if name in existing]
        described = (
            {d["topic"]: d["partitions"] for d in await self.admin.describe_topics(found)} if found else {}
        )
        return {
            source: sorted(TopicPartition(name, p["partition"]) for p in described.get(name, []))
            for source, name in names.items()
        }

    async def _read(self, windows: dict[TopicPartition, tuple[int, int]]) -> list[ConsumerRecord[Any, Any]]:
        wanted = {tp: window for tp, window in windows.items() if window[0] < window[1]}
        records: list[ConsumerRecord[Any, Any]] = []
        async with self.lock:  # one consumer: one reader at a time assigns and seeks it
            self.consumer.assign(list(wanted))
            for tp, (start, _) in wanted.items():
                self.consumer.seek(tp, start)
            while wanted:
                batches = await self.consumer.getmany(*wanted, timeout_ms=1000)
                for tp, found in batches.items():
                    records += [record for record in found if record.offset < wanted[tp][1]]
                    if await self.consumer.position(tp) >= wanted[tp][1]:
                        del wanted[tp]
            self.consumer.assign([])
        return records

    async def _redriven_below(self) -> dict[TopicPartition, int]:
        """Replay's ledger: where its last redrive of each dead-letter partition ended."""
        found = await self.admin.list_consumer_group_offsets(
            self.settings.group(self.settings.replay_group_id)
        )
        return {tp: offset.offset for tp, offset in found.items() if offset.offset >= 0}


def _view(record: ConsumerRecord[Any, Any], redriven_below: dict[TopicPartition, int]) -> DeadLetterView:
    headers = {name: value.decode(errors="replace") for name, value in record.headers}
    attempt = headers.get(ATTEMPT, "1")
    body = (record.value or b"")[: PREVIEW_CHARACTERS * 4].decode(errors="replace")
    return DeadLetterView(
        partition=record.partition,
        offset=record.offset,
        at=datetime.fromtimestamp(record.timestamp / 1000, UTC),
        key=record.key.decode(errors="replace") if record.key is not None else None,
        source_partition=_number(headers.get(SOURCE_PARTITION)),
        source_offset=_number(headers.get(SOURCE_OFFSET)),
        reason=headers.get(REASON, "unknown"),
        attempt=int(attempt) if attempt.isdigit() else 1,
        redriven=record.offset < redriven_below.get(TopicPartition(record.topic, record.partition), 0),
        body=body[:PREVIEW_CHARACTERS],
        body_truncated=len(record.value or b"") > len(body[:PREVIEW_CHARACTERS].encode()),
    )


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _encode(below: dict[int, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(below).encode()).decode()


def _decode(cursor: str) -> dict[int, int]:
    try:
        below = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        offsets = {int(partition): int(offset) for partition, offset in below.items()}
        if offsets and min(offsets.values()) >= 0:
            return offsets
    except (ValueError, binascii.Error, UnicodeError, AttributeError, TypeError) as error:
        raise InvalidCursor("cursor is not one this API gave") from error
    raise InvalidCursor("cursor is not one this API gave")

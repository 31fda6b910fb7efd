"""`replay dlq`: dead letters listed with why and where they came from, and redriven on request.

A redriven message carries its attempt count back to its source topic; if it fails again the
service dead-letters it with the count raised, and past the limit it is reported, not redriven.
Replay's own consumer group on the dead-letter topic records how far redriving has gone.
"""

from dataclasses import dataclass
from typing import Any

from aiokafka import ConsumerRecord
from rich.progress import Progress

from infra.kafka import ATTEMPT, REASON, SOURCE_OFFSET, SOURCE_PARTITION, SOURCE_TOPIC
from replay.publishing import Publisher


@dataclass(frozen=True)
class DeadLetter:
    record: ConsumerRecord[Any, Any]
    headers: dict[str, str]
    redriven: bool  # before the ledger's offset: an earlier redrive sent it back

    @classmethod
    def of(cls, record: ConsumerRecord[Any, Any], ledger: dict[int, int]) -> "DeadLetter":
        headers = {name: value.decode(errors="replace") for name, value in record.headers}
        return cls(record, headers, record.offset < ledger.get(record.partition, 0))

    @property
    def attempt(self) -> int:
        count = self.headers.get(ATTEMPT, "1")
        return int(count) if count.isdigit() else 1

    @property
    def source_topic(self) -> str:
        return self.headers.get(SOURCE_TOPIC) or self.record.topic.removesuffix(".dlq")

    def state(self, max_attempts: int) -> str:
        if self.redriven:
            return "redriven"
        return "given up" if self.attempt >= max_attempts else "waiting"

    def as_json(self, max_attempts: int) -> dict[str, Any]:
        record = self.record
        return {
            "partition": record.partition,
            "offset": record.offset,
            "key": record.key.decode(errors="replace") if record.key is not None else None,
            "source_topic": self.source_topic,
            "source_partition": self.headers.get(SOURCE_PARTITION),
            "source_offset": self.headers.get(SOURCE_OFFSET),
            "reason": self.headers.get(REASON, "unknown"),
            "attempt": self.attempt,
            "state": self.state(max_attempts),
        }


async def redrive(letters: list[DeadLetter], kafka: dict[str, Any], progress: Progress) -> None:
    """Send each letter back to its source topic, byte for byte, with its key and attempt count."""
    task = progress.add_task("redriving", total=len(letters))
    async with Publisher(kafka) as publisher:
        for letter in letters:
            headers = [(ATTEMPT, str(letter.attempt).encode())]
            if content_type := letter.headers.get("content-type"):
                headers.append(("content-type", content_type.encode()))
            await publisher.send(letter.source_topic, letter.record.key, letter.record.value or b"", headers)
            progress.advance(task)
        await publisher.flush()

"""A producer like the services': acks=all, idempotence, JSON bodies as FastStream writes them."""

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from pydantic import BaseModel

JSON = [("content-type", b"application/json")]


class Publisher:
    def __init__(self, kafka: dict[str, Any]) -> None:
        """`kafka`: the brokers and their security, as infra.kafka.client_options gives them."""
        self.producer = AIOKafkaProducer(
            **kafka,
            acks="all",
            enable_idempotence=True,
            compression_type="zstd",
            max_batch_size=512 * 1024,
        )
        self.pending: list[asyncio.Future[Any]] = []

    async def __aenter__(self) -> "Publisher":
        await self.producer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.producer.stop()

    async def send(
        self, topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]] = JSON
    ) -> None:
        self.pending.append(await self.producer.send(topic, value, key=key, headers=headers))

    async def send_event(self, topic: str, key: str, event: BaseModel) -> None:
        await self.send(topic, key.encode(), event.model_dump_json().encode())

    async def flush(self) -> None:
        """Wait until every message sent is acknowledged by all in-sync replicas."""
        await asyncio.gather(*self.pending)
        self.pending.clear()

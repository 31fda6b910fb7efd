"""MongoDB wiring: Beanie on PyMongo's async client (Motor is end-of-life)."""

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from beanie import init_beanie
from pymongo import AsyncMongoClient

from infra.settings import CommonSettings


async def connect(settings: CommonSettings, models: list[Any]) -> AsyncMongoClient[Any]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=10_000
    )
    await init_beanie(database=client[settings.mongodb_database], document_models=models)
    return client


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """(offset, chunk) pairs: bulk writes go out in chunks the store can take at once."""
    for offset in range(0, len(items), size):
        yield offset, items[offset : offset + size]

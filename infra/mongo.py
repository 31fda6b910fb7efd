"""MongoDB wiring: Beanie on PyMongo's async client (Motor is end-of-life)."""

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient, IndexModel

from infra.settings import CommonSettings

Indexes = dict[type[Document], list[IndexModel]]
DUPLICATE_KEY = 11000


async def connect(settings: CommonSettings, indexes: Indexes) -> AsyncMongoClient[Any]:
    """Bind the document models to the database and make sure their indexes exist."""
    client: AsyncMongoClient[Any] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=10_000
    )
    await init_beanie(database=client[settings.mongodb_database], document_models=list(indexes))
    for model, models_indexes in indexes.items():
        if models_indexes:
            await model.get_pymongo_collection().create_indexes(models_indexes)
    return client


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """(offset, chunk) pairs: bulk writes go out in chunks the store can take at once."""
    for offset in range(0, len(items), size):
        yield offset, items[offset : offset + size]

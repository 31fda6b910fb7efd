"""MongoDB wiring: PyMongo's async client (Motor is end-of-life), Beanie for the indexes.

The processor and logger pass their collections explicitly and use Beanie only here: its
`Document` models declare each collection's name, shape and indexes, and `prepare` creates them.
"""

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from infra.settings import CommonSettings

Indexes = dict[type[Document], list[IndexModel]]
DUPLICATE_KEY = 11000


def client(settings: CommonSettings) -> AsyncMongoClient[Any]:
    """A client that connects on its first command, so wiring can hand out collections early."""
    return AsyncMongoClient(settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=10_000)


async def prepare(database: AsyncDatabase[Any], indexes: Indexes) -> None:
    """Bind the document models to the database and make sure their indexes exist."""
    await init_beanie(database=database, document_models=list(indexes))
    for model, models_indexes in indexes.items():
        if models_indexes:
            await model.get_pymongo_collection().create_indexes(models_indexes)


async def connect(settings: CommonSettings, indexes: Indexes) -> AsyncMongoClient[Any]:
    """A client whose database has the models bound and their indexes."""
    connected = client(settings)
    await prepare(connected[settings.mongodb_database], indexes)
    return connected


T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> Iterator[tuple[int, Sequence[T]]]:
    """(offset, chunk) pairs: bulk writes go out in chunks the store can take at once."""
    for offset in range(0, len(items), size):
        yield offset, items[offset : offset + size]

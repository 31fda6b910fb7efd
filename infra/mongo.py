"""MongoDB wiring: Beanie on PyMongo's async client (Motor is end-of-life)."""

from typing import Any

from beanie import init_beanie
from pymongo import AsyncMongoClient

from infra.settings import CommonSettings


async def connect(settings: CommonSettings, models: list[Any]) -> AsyncMongoClient[Any]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(
        settings.mongodb_url, tz_aware=True, serverSelectionTimeoutMS=10_000
    )
    await init_beanie(database=client[settings.mongodb_database], document_models=models)
    return client

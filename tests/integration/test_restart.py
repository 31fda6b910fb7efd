"""A service restarted against a database that already has its collections and indexes starts again."""

from typing import Any

from infra import mongo
from infra.settings import CommonSettings
from services.logger.store import INDEXES as LOGGER_INDEXES
from services.processor.store import INDEXES as PROCESSOR_INDEXES


async def test_every_service_connects_twice_to_the_same_database(
    environment: dict[str, str], database: Any
) -> None:
    for indexes in (PROCESSOR_INDEXES, LOGGER_INDEXES) * 2:  # the fetcher's feeds need no index
        client = await mongo.connect(CommonSettings(), indexes)
        await client.close()

    assert "job_key_unique" in await database.jobs.index_information()
    assert "run_id_unique" in await database.import_logs.index_information()
    assert "by_silence" in await database.open_runs.index_information()

"""What the services need of whatever MONGODB_URL points at (the local store, MongoDB >= 7).

Each store workaround in the code is kept only where this contract shows it is needed.
"""

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pymongo import ASCENDING, IndexModel, InsertOne, ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from infra.mongo import DUPLICATE_KEY

INDEXES = [
    IndexModel([("job_key", ASCENDING)], unique=True, name="job_key_unique"),
    IndexModel([("run_id", ASCENDING), ("outcome", ASCENDING)], name="by_outcome"),
]


async def test_a_unique_index_lets_one_of_many_concurrent_inserts_win(database: Any) -> None:
    await database.jobs.create_indexes(INDEXES)

    async def insert(writer: int) -> bool:
        try:
            await database.jobs.insert_one({"_id": f"id-{writer}", "job_key": "same", "writer": writer})
            return True
        except DuplicateKeyError:
            return False

    won = await asyncio.gather(*(insert(writer) for writer in range(8)))

    assert sum(won) == 1
    assert await database.jobs.count_documents({"job_key": "same"}) == 1


async def test_increments_from_eight_clients_through_find_and_modify_lose_nothing(database: Any) -> None:
    await database.counters.insert_one({"_id": "run", "n": 0})

    async def bump(times: int) -> None:
        for _ in range(times):
            await database.counters.find_one_and_update(
                {"_id": "run"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
            )

    await asyncio.gather(*(bump(25) for _ in range(8)))

    assert (await database.counters.find_one({"_id": "run"}))["n"] == 200


async def test_a_conditional_claim_has_exactly_one_winner(database: Any) -> None:
    await database.feed_health.insert_one({"_id": "feed", "next_check_at": 1})

    async def claim() -> bool:
        claimed = await database.feed_health.find_one_and_update(
            {"_id": "feed", "next_check_at": 1}, {"$set": {"next_check_at": 2}}
        )
        return claimed is not None

    assert sum(await asyncio.gather(*(claim() for _ in range(8)))) == 1


async def test_creating_several_indexes_at_once_twice_changes_nothing(database: Any) -> None:
    await database.jobs.create_indexes(INDEXES)
    await database.jobs.create_indexes(INDEXES)

    names = {index["name"] async for index in await database.jobs.list_indexes()}
    assert names >= {"_id_", "job_key_unique", "by_outcome"}


async def test_bulk_writes_of_a_thousand_statements_complete_with_per_statement_errors(database: Any) -> None:
    await database.jobs.create_indexes(INDEXES)
    inserted = await database.jobs.bulk_write([InsertOne({"_id": i, "job_key": i}) for i in range(1000)])
    updated = await database.jobs.bulk_write([UpdateOne({"_id": i}, {"$set": {"n": i}}) for i in range(1000)])
    with pytest.raises(BulkWriteError) as duplicates:
        await database.jobs.bulk_write(
            [InsertOne({"_id": i, "job_key": i}) for i in range(990, 1010)], ordered=False
        )

    assert (inserted.inserted_count, updated.modified_count) == (1000, 1000)
    errors = duplicates.value.details["writeErrors"]
    assert [(e["index"], e["code"]) for e in errors] == [(i, DUPLICATE_KEY) for i in range(10)]
    assert await database.jobs.count_documents({}) == 1010


async def test_grouping_sums_and_maxima_are_exact(database: Any) -> None:
    await database.statuses.insert_many([{"outcome": i % 2, "n": i} for i in range(10)])
    cursor = await database.statuses.aggregate(
        [
            {
                "$group": {
                    "_id": "$outcome",
                    "count": {"$sum": 1},
                    "total": {"$sum": "$n"},
                    "top": {"$max": "$n"},
                }
            }
        ]
    )
    rows = sorted([(row["_id"], row["count"], row["total"], row["top"]) async for row in cursor])
    assert rows == [(0, 5, 20, 8), (1, 5, 25, 9)]


async def test_lookups_by_id_and_unique_key_cost_the_same_at_a_hundred_times_the_documents(
    database: Any,
) -> None:
    """Ratios measured side by side in one run: an unindexed lookup is ~100x slower at 100,000."""
    await database.jobs.create_indexes(INDEXES)
    await _fill(database.jobs, 0, 1_000)
    small = await _lookup_times(database.jobs, 1_000)
    await _fill(database.jobs, 1_000, 100_000)
    large = await _lookup_times(database.jobs, 100_000)

    for kind in ("_id", "job_key"):
        assert large[kind] < 2 * small[kind] + 0.001, f"{kind}: {small[kind]:.5f}s -> {large[kind]:.5f}s"


async def _fill(collection: Any, start: int, stop: int) -> None:
    for offset in range(start, stop, 10_000):
        end = min(offset + 10_000, stop)
        await collection.insert_many(
            [{"_id": f"id-{i}", "job_key": f"key-{i}", "n": i} for i in range(offset, end)]
        )


async def _lookup_times(collection: Any, documents: int) -> dict[str, float]:
    """The median time of 200 lookups of random documents, best of three rounds, per key."""
    keys = [(i * 7919) % documents for i in range(200)]

    def by(field: str, prefix: str) -> Callable[[int], Awaitable[Any]]:
        return lambda i: collection.find_one({field: f"{prefix}-{i}"})

    return {
        field: min([await _median(by(field, prefix), keys) for _ in range(3)])
        for field, prefix in (("_id", "id"), ("job_key", "key"))
    }


async def _median(lookup: Callable[[int], Awaitable[Any]], keys: list[int]) -> float:
    times = []
    for key in keys:
        started = time.perf_counter()
        assert await lookup(key) is not None
        times.append(time.perf_counter() - started)
    return statistics.median(times)

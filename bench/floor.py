"""The floor: the plainest importer that does the job, in one process (httpx + xmltodict + pymongo).

Per batch of items it reads the stored hashes with one `$in` on `_id`, inserts the new jobs,
updates the changed ones and skips the rest. No events, no logs, no classification under
redelivery: what the pipeline costs on top of this is the price of everything else it does.
"""

import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import xmltodict
from pymongo import UpdateOne
from pymongo.collection import Collection

BATCH_SIZE = 1000


@dataclass
class FloorResult:
    seconds: float = 0.0
    new: int = 0
    updated: int = 0
    unchanged: int = 0


def import_feed(url: str, jobs: Collection[Any], bulk_size: int = BATCH_SIZE) -> FloorResult:
    started = time.perf_counter()
    result, batch = FloorResult(), []

    def on_element(path: list[tuple[str, Any]], element: Any) -> bool:
        if path[-1][0] == "item":
            batch.append(element)
        if len(batch) == BATCH_SIZE:
            store_batch(batch, jobs, result, bulk_size)
            batch.clear()
        return True

    body = httpx.get(url, timeout=600).content
    xmltodict.parse(body, item_depth=3, item_callback=on_element)
    store_batch(batch, jobs, result, bulk_size)
    result.seconds = time.perf_counter() - started
    return result


def store_batch(
    items: list[dict[str, Any]], jobs: Collection[Any], result: FloorResult, bulk_size: int
) -> None:
    documents = {document["_id"]: document for document in map(job_document, items)}
    found = jobs.find({"_id": {"$in": list(documents)}}, {"content_hash": 1})
    stored = {document["_id"]: document["content_hash"] for document in found}
    new = [document for key, document in documents.items() if key not in stored]
    changed = [
        UpdateOne({"_id": key}, {"$set": {name: value for name, value in document.items() if name != "_id"}})
        for key, document in documents.items()
        if key in stored and stored[key] != document["content_hash"]
    ]
    if new:
        jobs.insert_many(new, ordered=False)
    for start in range(0, len(changed), bulk_size):  # FerretDB deadlocks on big bulks: see README
        jobs.bulk_write(changed[start : start + bulk_size], ordered=False)
    result.new += len(new)
    result.updated += len(changed)
    result.unchanged += len(documents) - len(new) - len(changed)


def job_document(item: dict[str, Any]) -> dict[str, Any]:
    guid = item.get("guid")
    key = guid.get("#text") if isinstance(guid, dict) else guid or item.get("link")
    canonical = json.dumps(item, sort_keys=True, ensure_ascii=False)
    return {
        "_id": key,
        "title": item.get("title"),
        "company": item.get("job_listing:company"),
        "location": item.get("job_listing:location"),
        "url": item.get("link"),
        "description_html": item.get("description"),
        "published": item.get("pubDate"),
        "content_hash": hashlib.sha256(canonical.encode()).hexdigest(),
        "seen_at": datetime.now(UTC),
    }

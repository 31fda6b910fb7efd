"""Each command as one coroutine: read the plan, show it, ask, then write (or not)."""

import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from rich.console import Console
from rich.table import Table

from infra.kafka import client_options
from replay import dlq, jobs, logs
from replay.config import Settings
from replay.plan import Plan, make_plan, show
from replay.progress import bar
from replay.reading import Reader
from replay.window import Selection, SelectionError
from schemas import collections, topics

Confirm = Callable[[str], bool]
show_plan = show


@contextlib.asynccontextmanager
async def store(settings: Settings) -> AsyncIterator[AsyncDatabase[Any]]:
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    try:
        yield client[settings.mongodb_database]
    finally:
        await client.close()


async def plan(settings: Settings, selection: Selection) -> Plan:
    async with Reader(client_options(settings)) as reader, store(settings) as database:
        return await make_plan(reader, settings.topic(selection.topic), selection, database)


def _require_topic(selection: Selection, wanted: str) -> None:
    if selection.topic != wanted:
        raise SelectionError(f"this command reads {wanted}, not {selection.topic}")


async def replay_jobs(settings: Settings, selection: Selection, confirm: Confirm) -> int:
    _require_topic(selection, topics.JOBS_FETCHED)
    found = await plan(settings, selection)
    show(found, Console())
    async with store(settings) as database:
        cursor = database[collections.IMPORT_LOGS].find({"_id": {"$in": list(found.by_run)}}, {"feed_url": 1})
        feed_urls = {
            document["_id"]: document["feed_url"] async for document in cursor if document.get("feed_url")
        }
    runs = jobs.replayed_runs(found.matched, feed_urls)
    if not runs or not confirm(f"Publish {sum(len(r.jobs) for r in runs)} jobs as {len(runs)} replay runs?"):
        return 0
    with bar() as progress:
        await jobs.publish(runs, settings, progress)
    table = Table("original run", "replay run", "jobs", title=f"trigger {runs[0].started.trigger_id}")
    for run in runs:
        table.add_row(run.original_run_id, run.started.run_id, str(len(run.jobs)))
    Console().print(table)
    return 0


async def rebuild_logs(settings: Settings, selection: Selection, confirm: Confirm) -> int:
    _require_topic(selection, topics.JOBS_STATUS)
    found = await plan(settings, selection)
    show(found, Console())
    async with Reader(client_options(settings)) as reader, store(settings) as database:
        with bar() as progress:
            histories = await logs.read_histories(reader, settings, set(found.by_run) - {"(none)"}, progress)
        rebuilt = await logs.rebuild_logs(database, histories, settings.logger_failures_kept)
        changed = [item for item in rebuilt if item.changes]
        _show_changes(changed, Console())
        if not changed or not confirm(f"Write {len(changed)} ImportLogs?"):
            return 0
        conflicts = await logs.write_logs(database, changed)
    for run_id in conflicts:
        Console(stderr=True).print(f"[yellow]{run_id}: changed by the logger meanwhile, left as it is")
    return 0


def _show_changes(changed: list[logs.RebuiltLog], console: Console) -> None:
    table = Table("run", "field", "stored", "rebuilt", title="differences")
    for item in changed:
        if item.document is None:
            table.add_row(item.log.run_id, "(whole ImportLog)", "missing", item.log.status.value)
            continue
        for name, (before, after) in item.changes.items():
            table.add_row(item.log.run_id, name, str(before), str(after))
    console.print(table)
    console.print(f"{len(changed)} ImportLogs differ from their rebuild")


async def dead_letters(
    settings: Settings, selection: Selection, max_attempts: int, as_json: bool, confirm: Confirm | None
) -> int:
    if not selection.topic.endswith(".dlq"):
        raise SelectionError(f"{selection.topic} is not a dead-letter topic (<topic>.dlq)")
    topic = settings.topic(selection.topic)
    async with Reader(client_options(settings), settings.group(settings.replay_group_id)) as reader:
        async with store(settings) as database:
            found = await make_plan(reader, topic, selection, database)
        ledger = await reader.committed(topic, found.ranges)
        letters = [dlq.DeadLetter.of(record, ledger) for record in found.matched]
        _list_letters(letters, max_attempts, as_json)
        waiting = [letter for letter in letters if letter.state(max_attempts) == "waiting"]
        if confirm is None or not waiting or not confirm(f"Redrive {len(waiting)} dead letters?"):
            return 0
        with bar() as progress:
            await dlq.redrive(waiting, client_options(settings), progress)
        if selection.whole_topic:  # every letter up to the end was redriven or given up on
            await reader.commit(topic, {r.partition: max(r.end, ledger[r.partition]) for r in found.ranges})
    return 0


def _list_letters(letters: list[dlq.DeadLetter], max_attempts: int, as_json: bool) -> None:
    rows = [letter.as_json(max_attempts) for letter in letters]
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    table = Table("at", "source", "key", "attempt", "state", "reason", title="dead letters")
    for row in rows:
        source = f"{row['source_topic']}[{row['source_partition']}]@{row['source_offset']}"
        at = f"{row['partition']}@{row['offset']}"
        table.add_row(at, source, str(row["key"]), str(row["attempt"]), row["state"], row["reason"])
    Console().print(table)

"""What a command would act on, read before anything is written: offsets, counts per feed and run."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRecord
from pymongo.asynchronous.database import AsyncDatabase
from rich.console import Console
from rich.table import Table

from replay.progress import bar
from replay.reading import PartitionRange, Reader, decoded
from replay.window import Selection, SelectionError, identity_of
from schemas.collections import IMPORT_LOGS


@dataclass
class Plan:
    topic: str
    ranges: list[PartitionRange]
    matched: list[ConsumerRecord[Any, Any]] = field(default_factory=list)
    by_partition: Counter[int] = field(default_factory=Counter)
    by_feed: Counter[str] = field(default_factory=Counter)
    by_run: Counter[str] = field(default_factory=Counter)
    runs_logged: int = 0  # matched runs that already have an ImportLog

    def add(self, record: ConsumerRecord[Any, Any], feed_id: str | None, run_id: str | None) -> None:
        self.matched.append(record)
        self.by_partition[record.partition] += 1
        self.by_feed[feed_id or "(none)"] += 1
        self.by_run[run_id or "(none)"] += 1

    def as_json(self) -> dict[str, Any]:
        partitions = [
            {
                "partition": r.partition,
                "start": r.start,
                "end": r.end,
                "matched": self.by_partition[r.partition],
            }
            for r in self.ranges
        ]
        return {
            "topic": self.topic,
            "partitions": partitions,
            "matched": len(self.matched),
            "feeds": dict(self.by_feed),
            "runs": dict(self.by_run),
            "runs_with_import_log": self.runs_logged,
        }


async def make_plan(reader: Reader, topic: str, selection: Selection, database: AsyncDatabase[Any]) -> Plan:
    """Read the window once; an id named on the command line that matches nothing is an error."""
    plan = Plan(topic, await reader.ranges(topic, selection.since, selection.until))
    with bar() as progress:
        async for record in reader.read(topic, plan.ranges, progress, f"reading {topic}"):
            identity = identity_of(decoded(record))
            if selection.matches(identity):
                plan.add(record, identity.feed_id, identity.run_id)
    _check_named(plan, selection)
    runs = [run for run in plan.by_run if run != "(none)"]
    plan.runs_logged = await database[IMPORT_LOGS].count_documents({"_id": {"$in": runs}}) if runs else 0
    return plan


def _check_named(plan: Plan, selection: Selection) -> None:
    window = "in the window" if selection.since or selection.until else "on the topic"
    if unknown := sorted(selection.runs - set(plan.by_run)):
        raise SelectionError(f"unknown run id {unknown[0]!r}: no message of it {window} {plan.topic}")
    if selection.feed and selection.feed not in plan.by_feed:
        raise SelectionError(f"unknown feed id {selection.feed!r}: no message of it {window} {plan.topic}")


def show(plan: Plan, console: Console, rows: int = 30) -> None:
    partitions = Table("partition", "start offset", "end offset", "matched", title=f"{plan.topic}")
    for r in plan.ranges:
        partitions.add_row(str(r.partition), str(r.start), str(r.end), str(plan.by_partition[r.partition]))
    console.print(partitions)
    for title, counts in (("feed", plan.by_feed), ("run", plan.by_run)):
        table = Table(title, "matched")
        for name, count in counts.most_common(rows):
            table.add_row(name, str(count))
        if len(counts) > rows:
            table.add_row(f"... {len(counts) - rows} more", "")
        console.print(table)
    console.print(
        f"{len(plan.matched)} messages matched in {len(plan.by_run)} runs; "
        f"{plan.runs_logged} of those runs already have an ImportLog"
    )

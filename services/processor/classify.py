"""How a fetched job relates to the stored one. Pure: no I/O."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from schemas.events import Outcome

T = TypeVar("T")


@dataclass(frozen=True)
class Stored:
    content_hash: str
    created_run_id: str
    changed_run_id: str


def classify(run_id: str, content_hash: str, stored: Stored | None) -> Outcome:
    """Classify one job for one run, giving the same answer when the same run is redelivered."""
    if stored is None or stored.created_run_id == run_id:
        return Outcome.NEW
    if stored.content_hash != content_hash or stored.changed_run_id == run_id:
        return Outcome.UPDATED
    return Outcome.UNCHANGED


def needs_write(run_id: str, outcome: Outcome, stored: Stored | None) -> bool:
    """Only a change is written: not an unchanged job (its sighting is in the logger's statuses),
    nor a new or updated one that this very run already wrote before a redelivery."""
    if stored is None:
        return True
    return outcome is Outcome.UPDATED and stored.changed_run_id != run_id


def waves(items: list[T], key: Callable[[T], str]) -> list[list[T]]:
    """Split a batch so that no key appears twice in one wave; order per key is kept."""
    result: list[list[T]] = []
    depth: dict[str, int] = {}
    for item in items:
        level = depth.get(key(item), 0)
        depth[key(item)] = level + 1
        if level == len(result):
            result.append([])
        result[level].append(item)
    return result

"""Fan-out of events to websocket clients: each has a filter and a bounded outbox, written without
awaiting anyone (as `websockets.broadcast` does), so a slow client only ever delays itself.

Per-job statuses come in bursts of thousands; most clients get them coalesced per run into one
`run_progress` frame per interval. Pure: the socket side lives in `sockets.py`.
"""

import asyncio
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)
EVENT_TYPES = frozenset({"job_status", "import_log", "run_progress"})
DEFAULT_TYPES = frozenset({"import_log", "run_progress"})
FINAL_STATUSES = frozenset({"completed", "partial", "failed"})
OUTCOMES = ("new", "updated", "unchanged", "failed")
MAX_RUNS = 10_000  # tallies kept; a run whose final log never reaches this gateway ages out
SUBSCRIBE_HELP = 'expected {"subscribe": {"run_id"|"feed_id"|"types": ...}}'


@dataclass(frozen=True)
class Subscription:
    run_id: str | None = None
    feed_id: str | None = None
    types: frozenset[str] = DEFAULT_TYPES

    @classmethod
    def from_request(cls, request: object) -> "Subscription":
        """A client's `{"subscribe": {...}}`; anything else is a ValueError saying what is wrong."""
        if not isinstance(request, dict) or set(request) != {"subscribe"}:
            raise ValueError(SUBSCRIBE_HELP)
        wanted = request["subscribe"]
        if not isinstance(wanted, dict) or not set(wanted) <= {"run_id", "feed_id", "types"}:
            raise ValueError(SUBSCRIBE_HELP)
        run_id, feed_id = _identifier(wanted, "run_id"), _identifier(wanted, "feed_id")
        # Following one run means wanting its jobs one by one, unless the types say otherwise.
        default = DEFAULT_TYPES | {"job_status"} if run_id else DEFAULT_TYPES
        return cls(run_id, feed_id, _types(wanted["types"]) if "types" in wanted else default)

    def wants(self, event_type: str, data: dict[str, Any]) -> bool:
        return (
            event_type in self.types
            and self.run_id in (None, data.get("run_id"))
            and self.feed_id in (None, data.get("feed_id"))
        )


def _identifier(wanted: dict[str, Any], name: str) -> str | None:
    value = wanted.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def _types(value: object) -> frozenset[str]:
    listed = [value] if isinstance(value, str) else value
    if isinstance(listed, list) and all(isinstance(kind, str) and kind in EVENT_TYPES for kind in listed):
        return frozenset(listed)
    raise ValueError(f"types must be one of {sorted(EVENT_TYPES)} or a list of them")


def encode(event_type: str, data: dict[str, Any]) -> str:
    return json.dumps({"type": event_type, "data": data}, default=str)


class Progress:
    """Cumulative outcome counts per run of the statuses relayed, and which changed since sent."""

    def __init__(self) -> None:
        self.runs: dict[str, dict[str, Any]] = {}
        self.changed: set[str] = set()

    def count(self, status: dict[str, Any]) -> None:
        run_id = status.get("run_id")
        if not isinstance(run_id, str):
            return
        if run_id not in self.runs:
            if len(self.runs) >= MAX_RUNS:
                self.forget(next(iter(self.runs)))  # the oldest
            ids = {name: status.get(name) for name in ("run_id", "feed_id", "trigger_id")}
            self.runs[run_id] = ids | {"counts": dict.fromkeys(OUTCOMES, 0), "statuses": 0}
        tally = self.runs[run_id]
        if status.get("outcome") in OUTCOMES:
            tally["counts"][status["outcome"]] += 1
        tally["statuses"] += 1
        self.changed.add(run_id)

    def take(self, run_id: Any) -> dict[str, Any] | None:
        """The run's progress if it changed since last taken."""
        if run_id not in self.changed:
            return None
        self.changed.discard(run_id)
        return self.runs[run_id]

    def forget(self, run_id: Any) -> None:
        self.runs.pop(run_id, None)
        self.changed.discard(run_id)


@dataclass(eq=False)
class Outbox:
    """One client's filter and the frames waiting for its writer; `dropped` once it overflowed."""

    size: int
    subscription: Subscription = Subscription()
    frames: deque[str] = field(default_factory=deque)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, frame: str) -> bool:
        if len(self.frames) >= self.size:
            return False
        self.frames.append(frame)
        self.ready.set()
        return True

    async def next(self) -> str:
        while not self.frames:
            self.ready.clear()
            await self.ready.wait()
        return self.frames.popleft()


class Hub:
    def __init__(self, queue_size: int, progress_interval: float) -> None:
        self.queue_size, self.progress_interval = queue_size, progress_interval
        self.outboxes: set[Outbox] = set()
        self.progress = Progress()
        self.dropped = 0  # clients disconnected for letting their outbox overflow

    def __len__(self) -> int:
        return len(self.outboxes)

    def join(self) -> Outbox:
        outbox = Outbox(self.queue_size)
        self.outboxes.add(outbox)
        return outbox

    def leave(self, outbox: Outbox) -> None:
        self.outboxes.discard(outbox)

    def request(self, outbox: Outbox, text: str | None) -> None:
        """A client's message (None when not text): its new filter, or an error frame back."""
        try:
            if text is None:
                raise ValueError("expected a JSON text message")
            outbox.subscription = Subscription.from_request(json.loads(text))
        except (ValueError, RecursionError) as error:
            self._offer([outbox], encode("error", {"message": str(error) or type(error).__name__}))

    def publish(self, event_type: str, data: dict[str, Any]) -> None:
        """Queue the event for every client that wants it; never waits for one."""
        if event_type == "job_status":
            self.progress.count(data)
        elif data.get("status") in FINAL_STATUSES:
            self._send_progress([data.get("run_id")])  # the last counts before the final log
            self.progress.forget(data.get("run_id"))
        self._fan_out(event_type, data)

    async def run(self) -> None:
        """Coalesced progress: at most one frame per run and interval, only when it changed."""
        while True:
            await asyncio.sleep(self.progress_interval)
            self._send_progress(list(self.progress.changed))

    def _send_progress(self, run_ids: list[Any]) -> None:
        for run_id in run_ids:
            if (frame := self.progress.take(run_id)) is not None:
                self._fan_out("run_progress", frame)

    def _fan_out(self, event_type: str, data: dict[str, Any]) -> None:
        wanting = [outbox for outbox in self.outboxes if outbox.subscription.wants(event_type, data)]
        if wanting:  # encoded once, for everyone
            self._offer(wanting, encode(event_type, data))

    def _offer(self, outboxes: list[Outbox], frame: str) -> None:
        for outbox in outboxes:
            if not outbox.offer(frame):
                self._drop(outbox)

    def _drop(self, outbox: Outbox) -> None:
        log.info("websocket client dropped: its outbox overflowed", extra={"queue_size": self.queue_size})
        self.leave(outbox)
        outbox.frames.clear()
        outbox.dropped.set()
        self.dropped += 1

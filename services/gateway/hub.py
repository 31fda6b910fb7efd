"""Fan-out of events to websocket subscribers, each with an optional filter."""

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)
EVENT_TYPES = frozenset({"job_status", "import_log"})


@dataclass(frozen=True)
class Subscription:
    run_id: str | None = None
    feed_id: str | None = None
    types: frozenset[str] = EVENT_TYPES

    @classmethod
    def from_request(cls, request: dict[str, Any]) -> "Subscription":
        """`{"subscribe": {"run_id"|"feed_id"|"types": ...}}`; anything else is a ValueError."""
        wanted = request.get("subscribe")
        if not isinstance(wanted, dict) or not set(wanted) <= {"run_id", "feed_id", "types"}:
            raise ValueError('expected {"subscribe": {"run_id"|"feed_id"|"types": ...}}')
        types = wanted.get("types", sorted(EVENT_TYPES))
        types = [types] if isinstance(types, str) else types
        if not isinstance(types, list) or not set(types) <= EVENT_TYPES:
            raise ValueError(f"types must be among {sorted(EVENT_TYPES)}")
        return cls(wanted.get("run_id"), wanted.get("feed_id"), frozenset(types))

    def wants(self, event_type: str, data: dict[str, Any]) -> bool:
        return (
            event_type in self.types
            and self.run_id in (None, data.get("run_id"))
            and self.feed_id in (None, data.get("feed_id"))
        )


class Client(Protocol):
    async def send_text(self, data: str) -> None: ...
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


@dataclass
class Hub:
    send_timeout: float = 5.0
    clients: dict[Client, Subscription] = field(default_factory=dict)
    delivered: int = 0

    def join(self, client: Client) -> None:
        self.clients[client] = Subscription()

    def leave(self, client: Client) -> None:
        self.clients.pop(client, None)

    def subscribe(self, client: Client, subscription: Subscription) -> None:
        self.clients[client] = subscription

    async def broadcast(self, event_type: str, data: dict[str, Any]) -> None:
        text = json.dumps({"type": event_type, "data": data}, default=str)
        targets = [client for client, sub in list(self.clients.items()) if sub.wants(event_type, data)]
        results = await asyncio.gather(*(self._deliver(client, text) for client in targets))
        self.delivered += sum(results)

    async def _deliver(self, client: Client, text: str) -> bool:
        try:
            await asyncio.wait_for(client.send_text(text), self.send_timeout)
            return True
        except Exception as error:  # a slow or gone client must not hold up the others
            log.info("websocket client dropped", extra={"error": repr(error)})
            self.leave(client)
            with contextlib.suppress(Exception):
                await client.close(code=1011, reason="too slow")
            return False

"""What a service opened at start-up, closed in reverse order at shutdown."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Resources:
    def __init__(self) -> None:
        self._closers: list[Callable[[], Awaitable[object]]] = []

    def on_close(self, closer: Callable[[], Awaitable[object]]) -> None:
        self._closers.append(closer)

    def run_in_background(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self.on_close(lambda: _cancel(task))

    async def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                await closer()
            except Exception:
                log.exception("closing a resource failed")


async def _cancel(task: "asyncio.Future[None]") -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

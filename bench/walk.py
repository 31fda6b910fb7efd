"""How far a reader walks: the modules one feed passes through in `import_feed`, and one raw item
in `normalize_item`, counted from a trace of the fetcher's own code. Prints numbers; asserts nothing.

Every call into, and every return to, a function of `services.fetcher.*` moves the walk to that
function's module; consecutive steps in one module are one stop. Resuming a coroutine or a
generator is no step, and a callback that expat calls returns to expat, not to the code that
called expat: a feed is read once, not once per element. "Returns" are stops in a module
the walk had already left (stops minus modules). The feed is the first item of a sample feed,
served over local HTTP; Redis and the store are the local stack's (a throwaway database).

bash deploy/local/with-stack.sh .venv/bin/python -m bench.walk [--steps]
"""

import argparse
import asyncio
import dis
import inspect
import itertools
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

from pymongo import AsyncMongoClient
from redis.asyncio import Redis

from schemas.events import ImportRequested, Trigger
from schemas.feeds import Feed
from services.fetcher import registry
from services.fetcher.config import Settings

try:
    from services.fetcher.download import make_client
except ImportError:  # main's flat layout, for the "before" figures
    from services.fetcher.transport import make_client  # type: ignore[no-redef]
from services.fetcher import handlers
from services.fetcher.normalize import normalize_item
from services.fetcher.parse import stream_feed
from services.gateway import feeds as gateway_feeds

SAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "synthetic_jobicy_job_feed.xml"
PACKAGE = "services.fetcher."
SUSPENDABLE = inspect.CO_COROUTINE | inspect.CO_GENERATOR | inspect.CO_ASYNC_GENERATOR


# The flat layout's modules by the stage package each one went to, to compare walks across stages.
FLAT_STAGES = {
    "download": "fetch transport body decompress headers addresses errors",
    "parse": "parse decode repair salvage shape items jsonfeed hardened characters discover",
    "normalize": "normalize fields text sanitize salary places countries names workplace identity",
    "registry": "registry schedule health inflight",
}
STAGE_OF = {module: stage for stage, modules in FLAT_STAGES.items() for module in modules.split()}


def stage_of(module: str) -> str:
    """`download`, `parse`, `normalize`, `registry`, or the module itself (handlers, wire, ...)."""
    name = module.removeprefix(PACKAGE).split(".")[0]
    return STAGE_OF.get(name, name)


def _suspends(frame: FrameType) -> bool:
    return dis.opname[frame.f_code.co_code[frame.f_lasti]] == "YIELD_VALUE"


def one_item_feed() -> bytes:
    text = SAMPLE.read_bytes()
    first = text.index(b"<item>")
    return text[: text.index(b"<item>", first + 1)] + b"</channel></rss>\n"


class Walk:
    """The modules the fetcher's code runs in, in order, as a profile function records them."""

    def __init__(self) -> None:
        self.modules: list[str] = []
        self._started: set[FrameType] = set()  # coroutines and generators already entered once
        self._from_c: set[FrameType] = set()  # handlers a C function called (expat's callbacks)
        self._open = threading.local()  # per thread: is the innermost open call a C function's?

    def __call__(self, frame: FrameType, event: str, argument: Any) -> None:
        opened: list[bool] = self._open.__dict__.setdefault("calls", [])
        if event == "c_call":
            opened.append(True)
        elif event in ("c_return", "c_exception"):
            opened.pop() if opened else None
            self._step(frame)  # back in the frame that called the C function
        elif event == "call":
            if opened and opened[-1]:
                self._from_c.add(frame)
            opened.append(False)
            self._entered(frame)
        elif event == "return":
            opened.pop() if opened else None
            self._returned(frame)

    def _entered(self, frame: FrameType) -> None:
        # A coroutine resumed after an await, or a generator after a yield, is no new stop: the
        # reader is still where the code said `await`. Only first entries and real returns count.
        suspendable = frame.f_code.co_flags & SUSPENDABLE
        if not (suspendable and frame in self._started):
            self._started.add(frame) if suspendable else None
            self._step(frame)

    def _returned(self, frame: FrameType) -> None:
        # A callback returns into expat, not to its caller's code: the reader stays in the
        # callback's module until the C function itself returns (`c_return`).
        if frame.f_back is not None and not _suspends(frame) and frame not in self._from_c:
            self._step(frame.f_back)

    def _step(self, frame: FrameType) -> None:
        module = frame.f_globals.get("__name__", "")
        if module.startswith(PACKAGE) and (not self.modules or self.modules[-1] != module):
            self.modules.append(module)

    def report(self, name: str, show_steps: bool) -> None:
        stops, modules = len(self.modules), len(set(self.modules))
        returns = stops - modules
        print(f"{name}: {stops} stops in {modules} modules, {returns} returns to a module already left")
        stages = [stage for stage, _ in itertools.groupby(map(stage_of, self.modules))]
        print(
            f"  by stage: {len(stages)} stops in {len(set(stages))} stages/modules, "
            f"{len(stages) - len(set(stages))} returns: {' → '.join(stages) if len(stages) < 40 else '...'}"
        )
        entered: dict[str, int] = {}
        for module in self.modules:
            entered[module] = entered.get(module, 0) + 1
        again = ", ".join(
            f"{module.removeprefix(PACKAGE)} x{count}"
            for module, count in sorted(entered.items(), key=lambda pair: -pair[1])
            if count > 1
        )
        print(f"  entered more than once: {again or 'none'}")
        if show_steps:
            print("  " + " → ".join(module.removeprefix(PACKAGE) for module in self.modules))


@contextmanager
def traced(walk: Walk) -> Iterator[None]:
    threading.setprofile(walk)  # asyncio.to_thread's workers: parsing and normalizing run there
    sys.setprofile(walk)
    try:
        yield
    finally:
        sys.setprofile(None)
        threading.setprofile(None)


def serve(body: bytes) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/feed.rss"


async def walk_feed(show_steps: bool) -> None:
    unique = uuid.uuid4().hex[:10]
    settings = Settings(kafka_topic_prefix=f"walk-{unique}.", mongodb_database=f"walk_{unique}")
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongodb_url, tz_aware=True)
    database = client[settings.mongodb_database]
    feeds = registry.Feeds.of(database)
    redis = Redis.from_url(settings.redis_url)
    http = make_client(timeout=10, connect_timeout=5, user_agent="walk", allow_private=True)
    server, url = serve(one_item_feed())
    sent: list[Any] = []

    async def publish(topic: str, messages: Any) -> None:
        sent.extend(messages)

    try:
        feed = Feed(id="walk", url=url)
        await gateway_feeds.register(database, [feed])  # the registry's writer
        deps = handlers.Dependencies(settings, http, redis, feeds, publish, partial(datetime.now, UTC))
        request = ImportRequested(trigger_id=unique, trigger=Trigger.MANUAL, feeds=[feed.id])
        walk = Walk()
        with traced(walk):
            # Threads started from here on are traced too: a fresh pool for asyncio.to_thread.
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(max_workers=2))
            await handlers.import_feed(deps, feed, request)
        walk.report("one feed through import_feed (one item)", show_steps)
        print(f"  published {len(sent)} messages")
    finally:
        server.shutdown()
        await http.aclose()
        await redis.aclose()
        await client.drop_database(settings.mongodb_database)
        await client.close()


def walk_item(show_steps: bool) -> None:
    import io

    stream = stream_feed(io.BytesIO(one_item_feed()))
    (item,) = [item for batch in stream.batches(500) for item in batch]
    walk = Walk()
    with traced(walk):
        normalize_item(item, stream.format, "jobicy.com", [])
    walk.report("one raw item through normalize_item", show_steps)


def main() -> None:
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--steps", action="store_true", help="print every stop")
    options = arguments.parse_args()
    asyncio.run(walk_feed(options.steps))
    walk_item(options.steps)


if __name__ == "__main__":
    main()

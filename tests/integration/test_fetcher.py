"""The fetcher against a real HTTP server, Redis and the store: every failure becomes a run event."""

import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis

from infra import mongo
from infra.throttle import lease, paused_for
from schemas.events import ImportRequested, JobFetched, JobStatus, RunFailed, RunFetched, RunStarted, Trigger
from schemas.feeds import Feed
from services.fetcher import registry
from services.fetcher.config import Settings
from services.fetcher.handlers import Fetcher
from services.fetcher.transport import make_client
from tests.conftest import read

FEED = read("techcorridor_positions_2017.atom")
ETAG = '"v1"'


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        routes = {
            "/feed": self.feed,
            "/broken": lambda: self.reply(500, b"oops"),
            "/huge": lambda: self.reply(200, b"<rss>" + b" " * 2_000_000),
            "/html": lambda: self.reply(200, b"<html><body>not a feed</body></html>"),
            "/loop": lambda: self.redirect("/loop"),
            "/moved": lambda: self.redirect("/feed"),
            "/slow": self.slow,
            "/invalid-item": lambda: self.reply(200, INVALID_ITEM),
            "/limited": lambda: self.reply(429, b"slow down", {"Retry-After": "2"}),
            "/laughs": lambda: self.reply(200, BILLION_LAUGHS),
            "/xxe": lambda: self.reply(200, EXTERNAL_ENTITY),
            "/flood": lambda: self.reply(200, rss(b"<item><title>t</title><guid>g%d</guid></item>", 30)),
            "/fat": lambda: self.reply(200, rss(FAT_ITEM, 1)),
            "/gone-for-good": lambda: self.reply(301, b"", {"Location": "/feed"}),
        }
        routes[self.path]()

    def feed(self) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            self.reply(304, b"")
        else:
            self.reply(200, FEED, {"ETag": ETAG})

    def slow(self) -> None:
        self.send_response(200)
        self.end_headers()
        for _ in range(50):  # a trickle that never finishes within the fetch timeout
            self.wfile.write(b" ")
            self.wfile.flush()
            time.sleep(0.1)

    def redirect(self, to: str) -> None:
        self.reply(302, b"", {"Location": to})

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


INVALID_ITEM = b"""<rss version="2.0"><channel><title>t</title>
<item><title>Engineer</title><guid>a-1</guid></item>
<item><description>no title, no id</description></item>
<item><title>Engineer</title><guid>a-1</guid></item>
</channel></rss>"""


BILLION_LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><rss><channel><item><title>&c;</title></item></channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss><channel><item><title>&x;</title></item></channel></rss>"""


FAT_ITEM = b"<item><title>t</title><guid>g</guid><description>" + b"x" * 1_100_000 + b"</description></item>"


def rss(item: bytes, count: int) -> bytes:
    items = b"".join(item.replace(b"%d", str(n).encode()) for n in range(count))
    return b"<rss version='2.0'><channel><title>t</title>" + items + b"</channel></rss>"


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    http_server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http_server.server_address[1]}"
    http_server.shutdown()
    http_server.server_close()


class Recorder:
    def __init__(self) -> None:
        self.sent: list[BaseModel] = []
        self.calls: list[int] = []

    async def __call__(self, topic: str, messages: Any) -> None:
        self.sent += [message for _, message in messages]
        self.calls.append(len(messages))

    def of(self, kind: type[BaseModel]) -> list[Any]:
        return [event for event in self.sent if isinstance(event, kind)]


@pytest.fixture
async def fetcher(environment: dict[str, str], database: Any) -> AsyncIterator[tuple[Fetcher, Recorder]]:
    settings = Settings(
        fetch_allow_private_networks=True,
        fetch_max_bytes=2_000_000,
        fetch_timeout_seconds=2,
        fetch_host_requests_per_minute=60_000,  # politeness has its own test
        fetch_max_items=20,
        fetch_batch_size=5,
    )
    client = await mongo.connect(settings, registry.INDEXES)
    redis = Redis.from_url(settings.redis_url)
    recorder = Recorder()
    async with make_client(timeout=2, connect_timeout=2, user_agent="test", allow_private=True) as http:
        yield Fetcher(settings, http, redis, recorder), recorder
    await redis.aclose()
    await client.close()


async def run(fetcher: Fetcher, url: str, feed_id: str = "f") -> None:
    feed = Feed(id=feed_id, url=url)
    await registry.register([feed])
    await fetcher.import_feed(feed, ImportRequested(trigger_id="t", trigger=Trigger.API, feeds=[feed_id]))


async def test_a_feed_becomes_one_job_fetched_per_job_then_the_run_facts(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/feed")

    assert [type(e) for e in events.sent] == [RunStarted] + [JobFetched] * 12 + [RunFetched]
    fetched = events.of(RunFetched)[0]
    assert (fetched.expected_statuses, fetched.total_fetched, fetched.http_status) == (12, 12, 200)
    assert fetched.bytes == len(FEED)


async def test_an_unchanged_feed_is_not_modified_and_does_no_work(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/feed")
    events.sent.clear()

    await run(importer, f"{server}/feed")

    fetched = events.of(RunFetched)
    assert [type(e) for e in events.sent] == [RunStarted, RunFetched]
    assert (fetched[0].not_modified, fetched[0].expected_statuses, fetched[0].http_status) == (True, 0, 304)


async def test_invalid_items_fail_alone_and_duplicates_collapse(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/invalid-item")

    fetched = events.of(RunFetched)[0]
    assert (fetched.total_fetched, fetched.duplicates, fetched.expected_statuses) == (3, 1, 2)
    assert len(events.of(JobFetched)) == 1
    assert [(s.outcome, s.reason_code) for s in events.of(JobStatus)] == [("failed", "missing_identity")]


@pytest.mark.parametrize(
    ("path", "error", "http_status"),
    [
        ("/broken", "HTTP 500", 500),
        ("/huge", "larger than 2000000 bytes", 200),
        ("/html", "not a job feed", None),
        ("/loop", "more than 5 redirects", None),
        ("/slow", "longer than 2 s", None),
    ],
)
async def test_a_feed_that_cannot_be_read_fails_its_run_with_the_reason(
    fetcher: Any, server: str, path: str, error: str, http_status: int | None
) -> None:
    importer, events = fetcher
    await run(importer, f"{server}{path}")

    [failed] = events.of(RunFailed)
    assert error in failed.error and failed.http_status == http_status
    assert not events.of(JobFetched)
    health = await registry.load("f")
    assert health is not None and health.consecutive_failures == 1 and error in (health.last_error or "")


async def test_a_redirect_is_followed(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/moved")
    assert len(events.of(JobFetched)) == 12


async def test_a_feed_already_being_imported_is_not_imported_twice(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    async with lease(importer.redis, "fetcher:lease:f", 30, holder="fetcher-7f3a:4242"):
        await run(importer, f"{server}/feed")

    [failed] = events.of(RunFailed)
    assert failed.error == "feed is already being imported by fetcher-7f3a:4242"


async def test_a_permanent_redirect_moves_the_feed(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/gone-for-good")

    feed = await registry.load("f")
    assert feed is not None and (feed.url, feed.previous_url) == (f"{server}/feed", f"{server}/gone-for-good")
    assert len(events.of(JobFetched)) == 12


async def test_429_pauses_the_whole_host_and_backs_the_feed_off(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    on_localhost = server.replace("127.0.0.1", "localhost")  # its own host key: other tests use 127.0.0.1
    await run(importer, f"{on_localhost}/limited")

    [failed] = events.of(RunFailed)
    assert failed.http_status == 429
    assert await paused_for(importer.redis, "localhost") > 0
    feed = await registry.load("f")
    assert feed is not None and feed.consecutive_failures == 1 and feed.next_check_at is not None
    assert feed.next_check_at >= datetime.now(UTC) + timedelta(seconds=1)


@pytest.mark.parametrize("path", ["/laughs", "/xxe"])
async def test_entity_tricks_fail_the_run_and_expand_nothing(fetcher: Any, server: str, path: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}{path}")

    [failed] = events.of(RunFailed)
    assert "entit" in failed.error and "root:" not in failed.error
    assert not events.of(JobFetched)


async def test_an_item_flood_is_capped_and_published_in_batches(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/flood")

    fetched = events.of(RunFetched)[0]
    assert (fetched.total_fetched, fetched.expected_statuses) == (20, 20)
    assert any("more than 20 items" in warning for warning in fetched.warnings)
    assert events.calls.count(5) >= 4  # four batches of five jobs, never the whole feed at once


async def test_an_oversized_field_is_cut_with_a_warning(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/fat")

    [job] = [message.job for message in events.of(JobFetched)]
    fetched = events.of(RunFetched)[0]
    assert any("description" in warning for warning in fetched.warnings)
    assert len(job.description_text or "") <= 1_048_576

"""The fetcher against a real HTTP server, Redis and the store: every failure becomes a run event."""

import dataclasses
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import BaseModel
from redis.asyncio import Redis

from infra.throttle import lease, paused_for
from launcher.processes import free_port
from schemas.events import ImportRequested, JobFetched, JobStatus, RunFailed, RunFetched, RunStarted, Trigger
from schemas.feeds import Feed
from services.fetcher import handlers
from services.fetcher.config import Settings
from services.fetcher.download.transport import make_client
from services.fetcher.handlers import Dependencies, new_run
from services.fetcher.registry import feeds as registry
from services.gateway import feeds as gateway_feeds
from tests.conftest import read

FEED = read("techcorridor_positions_2017.atom")
ETAG = '"v1"'
UNCLOSED_URL = read("synthetic_football_jobs_unclosed_url.xml")
JSON_FEED = read("synthetic_jsonfeed_1_1_jobs.json")
CAREERS = read("synthetic_careers_page_with_feed_links.html")  # advertises /positions.atom first


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
            "/one-too-large": lambda: self.reply(200, ONE_TOO_LARGE),
            "/bad-items.json": lambda: self.reply(
                200, BAD_ITEMS_JSON, {"Content-Type": "application/feed+json"}
            ),
            "/gone-for-good": lambda: self.reply(301, b"", {"Location": "/feed"}),
            "/unclosed-url": lambda: self.reply(200, UNCLOSED_URL, {"Content-Type": "application/xml"}),
            "/feed.json": lambda: self.reply(200, JSON_FEED, {"Content-Type": "application/feed+json"}),
            "/careers": lambda: self.page(CAREERS),
            "/positions.atom": self.feed,
            "/page-to-page": lambda: self.page(advertising("/careers")),
            "/page-elsewhere": lambda: self.page(
                advertising(f"http://localhost:{self.server.server_port}/feed")
            ),
            "/page-to-metadata": lambda: self.page(advertising("http://169.254.169.254/latest/meta-data/")),
        }
        routes[self.path]()

    def page(self, html: bytes) -> None:
        self.reply(200, html, {"Content-Type": "text/html; charset=utf-8"})

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


def advertising(feed_url: str) -> bytes:
    link = f'<link rel="alternate" type="application/rss+xml" title="Jobs" href="{feed_url}">'
    return f"<!DOCTYPE html><html><head><title>Careers</title>{link}</head><body></body></html>".encode()


def rss(item: bytes, count: int) -> bytes:
    items = b"".join(item.replace(b"%d", str(n).encode()) for n in range(count))
    return b"<rss version='2.0'><channel><title>t</title>" + items + b"</channel></rss>"


# 200,000 CJK characters: within every field cap, but 1.2 MB encoded (as HTML and as text)
CJK_ITEM = (
    "<item><title>職務</title><guid>cjk</guid><description>" + "職務内容" * 50_000 + "</description></item>"
)
ONE_TOO_LARGE = rss(b"<item><title>t</title><guid>g%d</guid></item>", 3).replace(
    b"</channel>", CJK_ITEM.encode() + b"</channel>"
)
BAD_ITEMS_JSON = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "t",
        "items": [
            {"id": "1", "title": "Engineer"},
            {"id": "2", "title": "Engineer \ud800"},  # a lone surrogate: valid JSON, no UTF-8 for it
            {"id": "3", "title": "Engineer", "content_html": "<p>\ud800</p>"},
            {"id": "4", "title": "Designer"},
        ],
    }
).encode()


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


NOW = partial(datetime.now, UTC)


@pytest.fixture
async def fetcher(environment: dict[str, str], database: Any) -> AsyncIterator[tuple[Dependencies, Recorder]]:
    settings = Settings(
        fetch_allow_private_networks=True,
        fetch_max_bytes=2_000_000,
        fetch_timeout_seconds=2,
        fetch_host_requests_per_minute=60_000,  # politeness has its own test
        fetch_max_items=20,
        fetch_batch_size=5,
    )
    redis = Redis.from_url(settings.redis_url)
    recorder = Recorder()
    async with make_client(timeout=2, connect_timeout=2, user_agent="test", allow_private=True) as http:
        yield Dependencies(settings, http, redis, registry.Feeds.of(database), recorder, NOW), recorder
    await redis.aclose()


async def run(fetcher: Dependencies, url: str, feed_id: str = "f", trigger_id: str | None = None) -> None:
    feed = Feed(id=feed_id, url=url)
    await gateway_feeds.register(fetcher.feeds.registry.database, [feed])
    request = ImportRequested(trigger_id=trigger_id or uuid.uuid4().hex, trigger=Trigger.API, feeds=[feed_id])
    await handlers.import_feed(fetcher, feed, request)


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
    health = await registry.load(importer.feeds, "f")
    assert health is not None and health.consecutive_failures == 1 and error in (health.last_error or "")


async def test_a_redirect_is_followed(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/moved")
    assert len(events.of(JobFetched)) == 12


async def test_a_feed_already_being_imported_is_not_imported_twice(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    async with lease(importer.redis, importer.keys.feed_lease("f"), 30, holder="fetcher-7f3a:4242"):
        await run(importer, f"{server}/feed")

    [failed] = events.of(RunFailed)
    assert failed.error == "feed is already being imported by fetcher-7f3a:4242"


async def test_a_permanent_redirect_moves_the_feed(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/gone-for-good")

    feed = await registry.load(importer.feeds, "f")
    assert feed is not None and (feed.url, feed.previous_url) == (f"{server}/feed", f"{server}/gone-for-good")
    assert len(events.of(JobFetched)) == 12


async def test_429_pauses_the_whole_host_and_backs_the_feed_off(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    on_localhost = server.replace("127.0.0.1", "localhost")  # its own host key: other tests use 127.0.0.1
    await run(importer, f"{on_localhost}/limited")

    [failed] = events.of(RunFailed)
    assert failed.http_status == 429
    assert await paused_for(importer.redis, importer.keys.host_pause("localhost")) > 0
    feed = await registry.load(importer.feeds, "f")
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


@pytest.mark.parametrize(
    ("path", "reasons"),
    [("/one-too-large", {"too_large"}), ("/bad-items.json", {"encode_error", "normalize_error"})],
)
async def test_bad_items_fail_alone_and_the_run_expects_a_status_for_each(
    fetcher: Any, server: str, path: str, reasons: set[str]
) -> None:
    importer, events = fetcher
    await run(importer, f"{server}{path}")

    [fetched] = events.of(RunFetched)
    failed = events.of(JobStatus)
    assert not events.of(RunFailed)
    assert {status.reason_code for status in failed} == reasons and len(failed) == len(reasons)
    assert fetched.expected_statuses == fetched.total_fetched == len(events.of(JobFetched)) + len(failed)
    assert all(
        "bytes encoded; the limit is 1,000,000" in s.message for s in failed if s.reason_code == "too_large"
    )


async def test_an_export_with_an_unclosed_element_imports_every_job_but_the_broken_one(
    fetcher: Any, server: str
) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/unclosed-url")

    fetched = events.of(RunFetched)[0]
    assert (fetched.total_fetched, fetched.expected_statuses, fetched.parse_mode) == (17, 17, "recovered")
    assert fetched.warnings == ["dropped the broken item at line 5: mismatched tag at line 34"]
    assert len(events.of(JobFetched)) == 17 and not events.of(RunFailed)


async def test_a_json_feed_imports_like_any_feed(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/feed.json")

    fetched = events.of(RunFetched)[0]
    assert (fetched.total_fetched, fetched.expected_statuses, fetched.warnings) == (5, 5, [])
    assert [message.job.job_key for message in events.of(JobFetched)][:2] == [
        "127.0.0.1:hw-2026-0141",
        "127.0.0.1:hw-2026-0142",
    ]
    assert [status.reason_code for status in events.of(JobStatus)] == ["missing_title"]


async def test_an_html_page_that_advertises_a_feed_imports_that_feed_and_keeps_its_url(
    fetcher: Any, server: str
) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/careers")

    fetched = events.of(RunFetched)[0]
    assert (fetched.expected_statuses, fetched.bytes, fetched.parse_mode) == (12, len(FEED), "strict")
    assert fetched.warnings == [
        f"{server}/careers is an HTML page: read the feed it advertises, {server}/positions.atom"
    ]
    feed = await registry.load(importer.feeds, "f")
    assert feed is not None and (feed.url, feed.previous_url) == (
        f"{server}/positions.atom",
        f"{server}/careers",
    )

    events.sent.clear()
    await handlers.import_feed(
        importer, feed, ImportRequested(trigger_id="t2", trigger=Trigger.API, feeds=["f"])
    )
    assert events.of(RunFetched)[0].not_modified  # straight to the feed, with its validators


async def test_a_discovered_feed_on_another_site_keeps_the_page_site_as_the_source(
    fetcher: Any, server: str
) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/page-elsewhere")

    assert {message.job.source for message in events.of(JobFetched)} == {"127.0.0.1"}
    feed = await registry.load(importer.feeds, "f")
    assert feed is not None and (feed.url, feed.source) == (
        f"{server.replace('127.0.0.1', 'localhost')}/feed",
        "127.0.0.1",
    )


async def test_discovery_follows_one_hop_only(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/page-to-page")

    [failed] = events.of(RunFailed)
    assert failed.error == f"not a job feed: the page advertises {server}/careers, an HTML page too"
    feed = await registry.load(importer.feeds, "f")
    assert feed is not None and feed.url == f"{server}/page-to-page"


async def test_a_discovered_feed_passes_the_same_address_checks(
    environment: dict[str, str], database: Any, server: str
) -> None:
    settings = Settings(fetch_timeout_seconds=2, fetch_host_requests_per_minute=60_000)
    redis, events = Redis.from_url(settings.redis_url), Recorder()
    only_this_server = frozenset({("127.0.0.1", int(server.rpartition(":")[2]))})
    async with make_client(
        timeout=2,
        connect_timeout=2,
        user_agent="test",
        allow_private=False,
        allowed_addresses=only_this_server,
    ) as http:
        await run(
            Dependencies(settings, http, redis, registry.Feeds.of(database), events, NOW),
            f"{server}/page-to-metadata",
        )
    await redis.aclose()

    [failed] = events.of(RunFailed)
    assert (
        failed.error == "refused to connect: 169.254.169.254 resolves to non-public address 169.254.169.254"
    )


async def stopped_mid_fetch(importer: Dependencies, url: str) -> RunStarted:
    """What a fetcher killed mid-import leaves: a run started and listed, its lease run out."""
    feed = Feed(id="f", url=url)
    await gateway_feeds.register(importer.feeds.registry.database, [feed])
    run = new_run(ImportRequested(trigger_id="t", trigger=Trigger.API, feeds=["f"]), "f", url)
    await importer.in_flight.listed(run, feed)
    return run


async def test_a_run_whose_fetcher_stopped_is_fetched_again_as_the_same_run(
    fetcher: Any, server: str
) -> None:
    importer, events = fetcher
    await run(importer, f"{server}/feed")  # an earlier import: the feed would now answer 304
    events.sent.clear()
    stopped = await stopped_mid_fetch(importer, f"{server}/feed")

    assert await handlers.recover_runs(importer) == 1

    [fetched] = events.of(RunFetched)
    assert (fetched.run_id, fetched.expected_statuses, fetched.http_status) == (stopped.run_id, 12, 200)
    assert {job.run_id for job in events.of(JobFetched)} == {stopped.run_id}
    assert fetched.warnings == ["the fetcher importing this run stopped during the fetch; fetched again"]
    assert await handlers.recover_runs(importer) == 0  # finished: no longer listed


async def test_a_run_whose_fetcher_is_alive_is_left_to_it(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    await stopped_mid_fetch(importer, f"{server}/feed")
    async with lease(importer.redis, importer.keys.feed_lease("f"), 30, holder="alive"):
        assert await handlers.recover_runs(importer) == 0
    assert events.sent == []
    assert await handlers.recover_runs(importer) == 1


async def test_a_stopped_run_whose_feed_fails_again_ends_failed_saying_both(
    fetcher: Any, server: str
) -> None:
    importer, events = fetcher
    stopped = await stopped_mid_fetch(importer, f"{server}/broken")

    await handlers.recover_runs(importer)

    [failed] = events.of(RunFailed)
    assert failed.run_id == stopped.run_id
    assert failed.error.startswith("the fetcher stopped during the fetch, and fetching again failed: ")


async def test_a_request_redelivered_after_its_fetcher_stopped_starts_no_second_run(
    fetcher: Any, server: str
) -> None:
    importer, events = fetcher
    stopped = await stopped_mid_fetch(importer, f"{server}/feed")

    await run(importer, f"{server}/feed", trigger_id="t")  # the same trigger and feed, as Kafka redelivers it
    assert events.sent == []
    await handlers.recover_runs(importer)
    await run(importer, f"{server}/feed", trigger_id="t")  # and again after that run ended

    assert {event.run_id for event in events.sent} == {stopped.run_id}


async def test_with_redis_away_a_run_still_ends_saying_why(fetcher: Any, server: str) -> None:
    importer, events = fetcher
    away = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    try:
        await run(dataclasses.replace(importer, redis=away), f"{server}/feed")
    finally:
        await away.aclose()

    [started], [failed] = events.of(RunStarted), events.of(RunFailed)
    assert (failed.run_id, failed.error) == (started.run_id, "internal error: ConnectionError")

"""The adversarial suite: `fetch` against a real, hostile HTTP server on 127.0.0.1.

The client allows exactly this server's address; every other address, including other loopback
ports and the cloud metadata address, must be refused by the address check before any connection.
"""

import contextlib
import gzip
import struct
import threading
import time
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import brotli
import httpx
import pytest

from services.fetcher.download.fetch import Fetched, FetchError, Validators, fetch
from services.fetcher.download.transport import make_client

MiB = 1024 * 1024
MAX_BYTES = MiB
ETAG = '"v7"'
FEED = "<rss><channel><title>Stellen in Zürich</title></channel></rss>".encode("iso-8859-1")
SECRET = "s3cr3t-value"


def zeros_deflated(total: int, wbits: int) -> bytes:
    """A valid stream of `total` zero bytes, built from one full-flushed MiB block repeated."""
    compressor, zeros = zlib.compressobj(9, zlib.DEFLATED, wbits), bytes(MiB)
    first = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.flush()
    checksum = _repeat(zlib.crc32 if wbits > 15 else zlib.adler32, zeros, total // MiB)
    trailer = struct.pack("<II", checksum, total & 0xFFFFFFFF) if wbits > 15 else struct.pack(">I", checksum)
    return first + block * (total // MiB - 1) + end[: -len(trailer)] + trailer


def _repeat(checksum: Callable[[bytes, int], int], data: bytes, times: int) -> int:
    value = 0 if checksum is zlib.crc32 else 1  # each checksum's value for no data
    for _ in range(times):
        value = checksum(data, value)
    return value


def brotli_zeros(total: int) -> bytes:
    compressor = brotli.Compressor(quality=1)
    return b"".join(compressor.process(bytes(MiB)) for _ in range(total // MiB)) + compressor.finish()


class Handler(BaseHTTPRequestHandler):
    server: "HostileServer"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        if path in self.server.bombs:
            self.explode(*self.server.bombs[path])
        else:
            self.routes()[path]()

    def routes(self) -> dict[str, Callable[[], None]]:
        here = f"http://127.0.0.1:{self.server.server_port}"
        return {
            "/feed": self.feed,
            "/html": lambda: self.reply(200, b"<html>not a feed</html>", {"Content-Type": "text/html"}),
            "/binary": lambda: self.reply(200, FEED, {"Content-Type": "application/octet-stream"}),
            "/host": lambda: self.reply(200, self.headers["Host"].encode()),
            "/gzip-feed": lambda: self.reply(200, gzip.compress(FEED * 40_000), {"Content-Encoding": "gzip"}),
            "/zstd-feed": lambda: self.reply(200, FEED, {"Content-Encoding": "zstd"}),
            "/huge": lambda: self.reply(200, bytes(2 * MiB)),
            "/huge-unannounced": lambda: self.stream(bytes(64 * 1024) for _ in range(32)),
            "/trickle": lambda: self.stream(slowly(b" ", times=2_000, pause=0.05)),
            "/loop": lambda: self.redirect(302, "/loop"),
            "/leaky-loop": lambda: self.redirect(
                302, f"http://reader:hunter2@127.0.0.1:{self.server.server_port}/leaky-loop?api_key={SECRET}"
            ),
            "/to-other-port": lambda: self.redirect(302, f"http://127.0.0.1:{self.server.other_port}/feed"),
            "/to-metadata": lambda: self.redirect(
                302, f"http://169.254.169.254/latest/meta-data/?token={SECRET}"
            ),
            "/to-file": lambda: self.redirect(302, "file:///etc/passwd"),
            "/to-ftp": lambda: self.redirect(302, f"ftp://reader:{SECRET}@127.0.0.1/feed.xml"),
            "/permanent": lambda: self.redirect(301, "/permanent-again"),
            "/permanent-again": lambda: self.redirect(308, f"{here}/feed"),
            "/permanent-then-temporary": lambda: self.redirect(301, "/temporary"),
            "/temporary": lambda: self.redirect(307, "/feed"),
            "/busy": lambda: self.reply(429, b"", {"Retry-After": "120"}),
            "/busy-until": lambda: self.reply(
                429, b"", {"Retry-After": formatdate(time.time() + 3600, usegmt=True)}
            ),
            "/busy-for-a-week": lambda: self.reply(
                429, b"", {"Retry-After": formatdate(time.time() + 7 * 86400)}
            ),
            "/down": lambda: self.reply(503, b"maintenance"),
        }

    def feed(self) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            return self.reply(304, b"", {"ETag": ETAG})
        content_type = "application/rss+xml; charset=ISO-8859-1"
        self.reply(
            200, FEED, {"ETag": ETAG, "Content-Type": content_type, "Cache-Control": "public, max-age=900"}
        )

    def explode(self, coding: str, payload: bytes) -> None:
        view = memoryview(payload)
        self.stream((view[start : start + 64 * 1024] for start in range(0, len(view), 64 * 1024)), coding)

    def redirect(self, status: int, location: str) -> None:
        self.reply(status, b"", {"Location": location})

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {**(headers or {}), "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def stream(self, chunks: Iterator[bytes | memoryview], coding: str | None = None) -> None:
        # No Content-Length: the body ends when the connection closes (HTTP/1.0), or when we are cut off.
        self.send_response(200)
        if coding:
            self.send_header("Content-Encoding", coding)
        self.end_headers()
        with contextlib.suppress(ConnectionError):
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()


def slowly(chunk: bytes, times: int, pause: float) -> Iterator[bytes]:
    for _ in range(times):  # about 100 s: far longer than any deadline under test
        time.sleep(pause)
        yield chunk


class HostileServer(ThreadingHTTPServer):
    bombs: dict[str, tuple[str, bytes]]
    other_port: int

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the fetcher hangs up on bombs and trickles on purpose


class CountingServer(ThreadingHTTPServer):
    """Another loopback service: it must never even see a connection."""

    connections = 0

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True


@contextlib.contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def bystander() -> Iterator[CountingServer]:
    with serving(CountingServer(("127.0.0.1", 0), Handler)) as server:
        yield server  # type: ignore[misc]


@pytest.fixture(scope="module")
def server(bystander: CountingServer) -> Iterator[HostileServer]:
    hostile = HostileServer(("127.0.0.1", 0), Handler)
    gigabyte = 1024 * MiB  # built once: each takes well under a second
    hostile.bombs = {
        "/gzip-bomb": ("gzip", zeros_deflated(gigabyte, 16 + zlib.MAX_WBITS)),
        "/deflate-bomb": ("deflate", zeros_deflated(gigabyte, zlib.MAX_WBITS)),
        "/brotli-bomb": ("br", brotli_zeros(gigabyte)),
    }
    hostile.other_port = bystander.server_port
    with serving(hostile):
        yield hostile


@pytest.fixture
async def client(server: HostileServer) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(
        timeout=5,
        connect_timeout=2,
        user_agent="JobImporter-tests",
        allow_private=False,
        allowed_addresses=frozenset({("127.0.0.1", server.server_port)}),
    ) as http:
        yield http


def url(server: HostileServer, path: str) -> str:
    return f"http://127.0.0.1:{server.server_port}{path}"


async def get(client: httpx.AsyncClient, server: HostileServer, path: str, **options: Any) -> Fetched:
    options = {"max_bytes": MAX_BYTES, "total_timeout": 10, **options}
    return await fetch(client, url(server, path), **options)


async def refusal(client: httpx.AsyncClient, server: HostileServer, path: str, **options: Any) -> FetchError:
    with pytest.raises(FetchError) as caught:
        (await get(client, server, path, **options)).close()
    return caught.value


class TestHostileBodies:
    @pytest.mark.parametrize("path", ["/gzip-bomb", "/deflate-bomb", "/brotli-bomb"])
    async def test_a_compression_bomb_stops_at_the_cap_in_bounded_memory(
        self, client: httpx.AsyncClient, server: HostileServer, path: str
    ) -> None:
        tracemalloc.start()
        try:
            error = await refusal(client, server, path)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert str(error) == f"decompressed response larger than {MAX_BYTES} bytes"
        assert peak < 20 * MiB  # the bomb inflates to 1 GiB

    @pytest.mark.parametrize("path", ["/huge", "/huge-unannounced"])
    async def test_a_plain_body_over_the_cap_is_refused(
        self, client: httpx.AsyncClient, server: HostileServer, path: str
    ) -> None:
        error = await refusal(client, server, path)
        assert str(error) == f"response larger than {MAX_BYTES} bytes"
        assert error.http_status == 200

    async def test_an_endless_slow_response_ends_at_the_total_deadline(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        # Each byte arrives well within the read timeout, so only the total deadline can end it.
        error = await refusal(client, server, "/trickle", total_timeout=0.5)
        assert str(error) == "feed took longer than 0.5 s"

    async def test_an_unknown_content_encoding_is_refused(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/zstd-feed")
        assert str(error) == "unsupported Content-Encoding 'zstd'"

    async def test_a_compressed_feed_arrives_decoded_in_a_file_read_from_the_start(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        with await get(client, server, "/gzip-feed", max_bytes=8 * MiB) as fetched:
            assert fetched.size == len(FEED) * 40_000
            assert fetched.body.read() == FEED * 40_000


class TestDestinations:
    async def test_a_redirect_to_another_loopback_port_is_refused_without_connecting(
        self, client: httpx.AsyncClient, server: HostileServer, bystander: CountingServer
    ) -> None:
        error = await refusal(client, server, "/to-other-port")
        assert str(error) == "refused to connect: 127.0.0.1 resolves to non-public address 127.0.0.1"
        assert bystander.connections == 0

    async def test_a_redirect_to_the_cloud_metadata_address_is_refused_by_the_address_check(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/to-metadata")
        assert (
            str(error) == "refused to connect: 169.254.169.254 resolves to non-public address 169.254.169.254"
        )

    @pytest.mark.parametrize(("path", "scheme"), [("/to-file", "file:"), ("/to-ftp", "ftp:")])
    async def test_a_redirect_away_from_http_is_refused(
        self, client: httpx.AsyncClient, server: HostileServer, path: str, scheme: str
    ) -> None:
        error = await refusal(client, server, path)
        assert str(error).startswith(f"only http(s) URLs can be fetched, not {scheme}")

    async def test_without_an_allowance_even_this_server_is_refused(self, server: HostileServer) -> None:
        async with make_client(timeout=5, connect_timeout=2, user_agent="t", allow_private=False) as strict:
            error = await refusal(strict, server, "/feed")
        assert "non-public address 127.0.0.1" in str(error)

    async def test_allowing_private_networks_lets_any_loopback_port_through(
        self, server: HostileServer
    ) -> None:
        async with make_client(timeout=5, connect_timeout=2, user_agent="t", allow_private=True) as lenient:
            with await get(lenient, server, "/feed") as fetched:
                assert fetched.body.read() == FEED

    async def test_a_name_is_fetched_from_its_checked_address_under_its_own_host_name(
        self, server: HostileServer
    ) -> None:
        # A name that rebinds to the metadata address after its first answer: the first connection
        # goes to the address that was checked, the next one is checked again and refused.
        answers = iter([["127.0.0.1"], ["169.254.169.254"]])

        async def rebinding(host: str, port: int) -> list[str]:
            return next(answers)

        allowed = frozenset({("127.0.0.1", server.server_port)})
        async with make_client(
            timeout=5,
            connect_timeout=2,
            user_agent="t",
            allow_private=False,
            allowed_addresses=allowed,
            resolver=rebinding,
        ) as http:
            name_url = f"http://feed.test:{server.server_port}/host"
            with await fetch(http, name_url, max_bytes=MAX_BYTES, total_timeout=10) as fetched:
                assert fetched.body.read() == f"feed.test:{server.server_port}".encode()
            with pytest.raises(
                FetchError, match=r"feed\.test resolves to non-public address 169\.254\.169\.254"
            ):
                await fetch(http, name_url, max_bytes=MAX_BYTES, total_timeout=10)


class TestRedirects:
    async def test_a_redirect_loop_ends_after_five_hops(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/loop")
        assert str(error).startswith("more than 5 redirects")

    async def test_only_permanent_redirects_all_the_way_give_a_new_permanent_url(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        with await get(client, server, "/permanent") as fetched:
            assert (fetched.url, fetched.permanent_url) == (url(server, "/feed"), url(server, "/feed"))
            assert fetched.body.read() == FEED

    async def test_one_temporary_hop_leaves_the_feed_url_alone(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        with await get(client, server, "/permanent-then-temporary") as fetched:
            assert (fetched.url, fetched.permanent_url) == (url(server, "/feed"), None)

    async def test_a_feed_fetched_without_redirects_has_no_permanent_url(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        with await get(client, server, "/feed") as fetched:
            assert fetched.permanent_url is None


class TestServerSignals:
    async def test_a_matching_etag_gives_a_not_modified_fetch_without_a_body(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        with await get(client, server, "/feed", validators=Validators(etag=ETAG)) as fetched:
            assert (fetched.http_status, fetched.not_modified, fetched.etag, fetched.size) == (
                304,
                True,
                ETAG,
                0,
            )

    async def test_the_feed_reports_its_etag_charset_content_type_and_max_age(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        with await get(client, server, "/feed") as fetched:
            assert (fetched.http_status, fetched.not_modified, fetched.etag) == (200, False, ETAG)
            assert (fetched.content_type, fetched.charset, fetched.cache_max_age) == (
                "application/rss+xml",
                "iso-8859-1",
                900,
            )
            assert (fetched.size, fetched.body.read()) == (len(FEED), FEED)

    @pytest.mark.parametrize(
        ("path", "content_type"), [("/html", "text/html"), ("/binary", "application/octet-stream")]
    )
    async def test_a_surprising_content_type_is_recorded_not_refused(
        self, client: httpx.AsyncClient, server: HostileServer, path: str, content_type: str
    ) -> None:
        with await get(client, server, path) as fetched:
            assert fetched.content_type == content_type
            assert fetched.size > 0

    async def test_too_many_requests_carries_the_retry_after_seconds(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/busy")
        assert (error.http_status, error.retry_after) == (429, 120)

    async def test_a_retry_after_date_becomes_the_seconds_until_then(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/busy-until")
        assert error.retry_after is not None and 3500 <= error.retry_after <= 3600

    async def test_a_retry_after_beyond_a_day_is_capped_at_a_day(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/busy-for-a-week")
        assert error.retry_after == 24 * 60 * 60

    async def test_unavailable_without_retry_after_waits_a_minute(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/down")
        assert (error.http_status, error.retry_after) == (503, 60)


class TestSecrets:
    @pytest.mark.parametrize("path", ["/leaky-loop", "/to-metadata", "/to-ftp"])
    async def test_no_error_message_reveals_a_secret_from_a_url(
        self, client: httpx.AsyncClient, server: HostileServer, path: str
    ) -> None:
        with_secrets = url(server, path).replace("//", "//reader:hunter2@", 1) + f"?token={SECRET}"
        with pytest.raises(FetchError) as caught:
            await fetch(client, with_secrets, max_bytes=MAX_BYTES, total_timeout=10)
        assert SECRET not in str(caught.value)
        assert "hunter2" not in str(caught.value)

    async def test_the_redirect_loop_error_names_the_last_url_redacted(
        self, client: httpx.AsyncClient, server: HostileServer
    ) -> None:
        error = await refusal(client, server, "/leaky-loop")
        assert str(error).endswith(
            f"the last to http://reader:REDACTED@127.0.0.1:{server.server_port}/leaky-loop?api_key=REDACTED"
        )

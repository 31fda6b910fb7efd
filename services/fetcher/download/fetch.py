"""Download one feed politely and safely: checked redirects, decoding with a size cap on the decoded
bytes, a total deadline, and a body spooled to disk so big feeds never sit in memory whole.

The address check lives in the client (see `transport.make_client`): every connection, including
each redirect hop, goes only to an address that was checked when it was opened.
"""

import asyncio
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import IO

import httpx

from infra.redact import redact_url, redact_urls_in
from services.fetcher.download import headers
from services.fetcher.download.body import spool_body
from services.fetcher.download.errors import FetchError
from services.fetcher.download.transport import ACCEPT_ENCODING, DestinationRefused

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})
RETRY_LATER = frozenset({429, 503})


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Fetched:
    """A fetched feed; `body` is a seekable file at position 0 that `close()` releases."""

    url: str
    http_status: int
    body: IO[bytes]
    size: int = 0
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    charset: str | None = None
    permanent_url: str | None = None  # where the feed now lives, when every redirect was permanent
    cache_max_age: int | None = None

    def close(self) -> None:
        self.body.close()

    def __enter__(self) -> "Fetched":
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    total_timeout: float,
    validators: Validators = Validators(),
) -> Fetched:
    try:
        async with asyncio.timeout(total_timeout):
            return await _follow(client, url, max_bytes, validators)
    except TimeoutError:
        raise FetchError(f"feed took longer than {total_timeout:g} s") from None
    except DestinationRefused as error:
        raise FetchError(f"refused to connect: {error}") from None
    except (httpx.HTTPError, httpx.InvalidURL) as error:
        raise FetchError(redact_urls_in(f"{type(error).__name__}: {error}")) from None


async def _follow(client: httpx.AsyncClient, url: str, max_bytes: int, validators: Validators) -> Fetched:
    redirects: list[int] = []
    for _ in range(MAX_REDIRECTS + 1):
        _require_http(url)
        request_headers = _request_headers(validators)
        async with client.stream("GET", url, headers=request_headers, follow_redirects=False) as response:
            if response.status_code not in REDIRECTS:
                permanent = bool(redirects) and PERMANENT_REDIRECTS.issuperset(redirects)
                return await _fetched(response, url, max_bytes, validators, url if permanent else None)
            redirects.append(response.status_code)
            url = _redirect_target(response, url)
    raise FetchError(f"more than {MAX_REDIRECTS} redirects, the last to {redact_url(url)}")


def _require_http(url: str) -> None:
    scheme = url.partition(":")[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise FetchError(f"only http(s) URLs can be fetched, not {redact_url(url)}")


def _redirect_target(response: httpx.Response, url: str) -> str:
    location = response.headers.get("location")
    if not location:
        raise FetchError(f"HTTP {response.status_code} redirect without a Location", response.status_code)
    return str(httpx.URL(url).join(location))


async def _fetched(
    response: httpx.Response, url: str, max_bytes: int, validators: Validators, permanent_url: str | None
) -> Fetched:
    found = response.headers
    if response.status_code == 304:
        etag, last_modified = (
            found.get("etag", validators.etag),
            found.get("last-modified", validators.last_modified),
        )
        return Fetched(url, 304, io.BytesIO(), 0, True, etag, last_modified, permanent_url=permanent_url)
    _refuse_failure(response)
    body, size = await spool_body(response, max_bytes)
    return Fetched(
        url,
        response.status_code,
        body,
        size,
        etag=found.get("etag"),
        last_modified=found.get("last-modified"),
        content_type=headers.media_type(found.get("content-type")),
        charset=headers.charset(found.get("content-type")),
        permanent_url=permanent_url,
        cache_max_age=headers.max_age_seconds(found.get("cache-control")),
    )


def _refuse_failure(response: httpx.Response) -> None:
    status = response.status_code
    if status in RETRY_LATER:
        pause = headers.retry_after_seconds(response.headers.get("retry-after"), datetime.now(UTC))
        raise FetchError(f"HTTP {status}: the server asks to retry after {pause} s", status, pause)
    if not 200 <= status < 300:
        raise FetchError(f"HTTP {status}", status)


def _request_headers(validators: Validators) -> dict[str, str]:
    # Set here too, so that even a plain client gets raw bytes that only our bounded decoders touch.
    request_headers = {"Accept-Encoding": ACCEPT_ENCODING}
    if validators.etag:
        request_headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        request_headers["If-Modified-Since"] = validators.last_modified
    return request_headers

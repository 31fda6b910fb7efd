"""Download one feed politely and safely: timeouts, a streamed size cap, checked redirects."""

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 5


class FetchError(Exception):
    def __init__(self, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status


@dataclass(frozen=True)
class Fetched:
    url: str
    http_status: int
    body: bytes
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


async def fetch(
    client: httpx.AsyncClient,
    url: str,
    *,
    max_bytes: int,
    total_timeout: float,
    allow_private: bool,
    validators: Validators = Validators(),
) -> Fetched:
    try:
        async with asyncio.timeout(total_timeout):
            return await _follow(client, url, max_bytes, allow_private, validators)
    except TimeoutError:
        raise FetchError(f"feed took longer than {total_timeout:g} s") from None
    except httpx.HTTPError as error:
        raise FetchError(f"{type(error).__name__}: {error}") from None


async def _follow(
    client: httpx.AsyncClient, url: str, max_bytes: int, allow_private: bool, validators: Validators
) -> Fetched:
    for _ in range(MAX_REDIRECTS + 1):
        await check_destination(url, allow_private)
        async with client.stream("GET", url, headers=_conditional(validators)) as response:
            if response.is_redirect and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            if response.status_code == 304:
                return Fetched(url, 304, b"", not_modified=True, etag=validators.etag)
            if response.status_code >= 400:
                raise FetchError(f"HTTP {response.status_code}", response.status_code)
            body = await _read_capped(response, max_bytes)
            headers = response.headers
            return Fetched(
                url, response.status_code, body, False, headers.get("etag"), headers.get("last-modified")
            )
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    # aiter_bytes yields decompressed data, so the cap also stops compression bombs.
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchError(f"response larger than {max_bytes} bytes", response.status_code)
        chunks.append(chunk)
    return b"".join(chunks)


def _conditional(validators: Validators) -> dict[str, str]:
    headers = {}
    if validators.etag:
        headers["If-None-Match"] = validators.etag
    if validators.last_modified:
        headers["If-Modified-Since"] = validators.last_modified
    return headers


async def check_destination(url: str, allow_private: bool) -> None:
    """Refuse non-HTTP schemes and, unless allowed, hosts that resolve to internal addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"only http(s) URLs can be fetched, not {parts.scheme or 'no scheme'}")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise FetchError(f"cannot resolve {parts.hostname}: {error}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not is_public(address):
            raise FetchError(f"{parts.hostname} resolves to non-public address {address}")


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast

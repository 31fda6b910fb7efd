"""The fetcher's HTTP client: every connection goes to an address that was checked at connect time.

Checking a hostname before the request and letting the HTTP library resolve it again leaves a window
for DNS rebinding. Here the network backend itself resolves once, refuses the connection if any
resolved address is internal, and connects to exactly the addresses it checked. TLS SNI, certificate
checks and the Host header still use the hostname, because httpcore takes them from the URL.
"""

import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import anyio
import httpcore
import httpx

from services.fetcher.download.addresses import is_public

Resolver = Callable[[str, int], Awaitable[list[str]]]
ACCEPT_ENCODING = "gzip, deflate, br"


class DestinationRefused(Exception):
    """The feed's host resolves to an address the fetcher must not reach."""


async def resolve(host: str, port: int) -> list[str]:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, checks every address, then connects to a checked address (never the name again)."""

    def __init__(
        self,
        allow_private: bool,
        allowed_addresses: Iterable[tuple[str, int]] = (),
        resolver: Resolver = resolve,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self.allowed = {(str(ipaddress.ip_address(host)), port) for host, port in allowed_addresses}
        self.resolver = resolver
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._checked_addresses(host, port)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout} s") from None
        return await self._connect_first(addresses, port, timeout, local_address, socket_options)

    async def _connect_first(
        self, addresses: list[str], port: int, *options: Any
    ) -> httpcore.AsyncNetworkStream:
        for address in addresses[:-1]:  # the last address's error is the one worth reporting
            with contextlib.suppress(httpcore.ConnectError):
                return await self.inner.connect_tcp(address, port, *options)
        return await self.inner.connect_tcp(addresses[-1], port, *options)

    async def _checked_addresses(self, host: str, port: int) -> list[str]:
        try:
            addresses = await self.resolver(host, port)
        except OSError as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
        if not addresses:
            raise httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            if not self._may_reach(address, port):
                raise DestinationRefused(f"{host} resolves to non-public address {address}")
        return addresses

    def _may_reach(self, address: str, port: int) -> bool:
        parsed = ipaddress.ip_address(address.split("%")[0])
        return self.allow_private or (str(parsed), port) in self.allowed or is_public(parsed)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise DestinationRefused("unix sockets are never fetched")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class CheckedTransport(httpx.AsyncHTTPTransport):
    def __init__(self, backend: CheckedBackend) -> None:
        super().__init__(trust_env=False)
        # httpx has no public hook for the network backend, so swap in a pool built on ours.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False), network_backend=backend
        )


def make_client(
    *,
    timeout: float,
    connect_timeout: float,
    user_agent: str,
    allow_private: bool,
    allowed_addresses: frozenset[tuple[str, int]] = frozenset(),
    resolver: Resolver = resolve,
) -> httpx.AsyncClient:
    """The client `fetch` expects; `allowed_addresses` lets tests reach exactly their own server."""
    backend = CheckedBackend(allow_private, allowed_addresses, resolver)
    return httpx.AsyncClient(
        transport=CheckedTransport(backend),
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
        headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        follow_redirects=False,  # fetch() follows redirects itself, each to a checked connection
        trust_env=False,  # an environment proxy would bypass the address check
    )

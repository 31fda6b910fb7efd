"""The address check: which addresses count as internal, and that connections go only to checked ones.

The network backend under test wraps a recording fake, so no test here opens a real connection.
"""

import ipaddress
from collections.abc import Iterable

import httpcore
import pytest

from services.fetcher.download.addresses import is_public
from services.fetcher.download.transport import CheckedBackend, DestinationRefused


class RecordingBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, unreachable: Iterable[str] = ()) -> None:
        self.unreachable = set(unreachable)
        self.attempts: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.attempts.append((host, port))
        if host in self.unreachable:
            raise httpcore.ConnectError(f"{host} unreachable")
        return httpcore.AsyncMockStream([])


def checked(
    *addresses: str, allow_private: bool = False, allowed: frozenset[tuple[str, int]] = frozenset()
) -> tuple[CheckedBackend, RecordingBackend]:
    """A backend whose resolver answers `addresses` for any name, over a recording fake network."""

    async def resolve(host: str, port: int) -> list[str]:
        return list(addresses)

    network = RecordingBackend()
    return CheckedBackend(allow_private, allowed, resolve, network), network


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fd00::1",
        "fc00::1",
        "fe80::1",
        "fec0::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_routable_addresses_are_public(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


class TestConnectingChecksEveryResolvedAddress:
    async def test_a_name_resolving_to_the_cloud_metadata_address_is_refused_before_connecting(self) -> None:
        backend, network = checked("169.254.169.254")
        with pytest.raises(DestinationRefused, match=r"non-public address 169\.254\.169\.254"):
            await backend.connect_tcp("metadata.example", 80)
        assert network.attempts == []

    async def test_one_internal_address_among_public_ones_refuses_the_name(self) -> None:
        backend, network = checked("93.184.216.34", "10.0.0.5")
        with pytest.raises(DestinationRefused, match=r"10\.0\.0\.5"):
            await backend.connect_tcp("feed.example", 443)
        assert network.attempts == []

    async def test_the_connection_goes_to_the_checked_address_not_to_the_name(self) -> None:
        # Handing the name to the next layer would resolve it again: the DNS rebinding window.
        backend, network = checked("93.184.216.34")
        await backend.connect_tcp("feed.example", 443)
        assert network.attempts == [("93.184.216.34", 443)]

    async def test_the_next_checked_address_is_tried_when_the_first_is_unreachable(self) -> None:
        backend, network = checked("2606:4700:4700::1111", "93.184.216.34")
        network.unreachable.add("2606:4700:4700::1111")
        await backend.connect_tcp("feed.example", 443)
        assert network.attempts == [("2606:4700:4700::1111", 443), ("93.184.216.34", 443)]

    async def test_a_name_that_does_not_resolve_is_a_connect_error(self) -> None:
        async def fail(host: str, port: int) -> list[str]:
            raise OSError("Name or service not known")

        backend = CheckedBackend(False, resolver=fail, inner=RecordingBackend())
        with pytest.raises(httpcore.ConnectError, match=r"cannot resolve nowhere\.example"):
            await backend.connect_tcp("nowhere.example", 80)


class TestExceptions:
    async def test_allowing_private_networks_lets_internal_addresses_through(self) -> None:
        backend, network = checked("10.0.0.5", allow_private=True)
        await backend.connect_tcp("intranet.example", 80)
        assert network.attempts == [("10.0.0.5", 80)]

    async def test_an_allowed_address_opens_only_its_own_port(self) -> None:
        backend, network = checked("127.0.0.1", allowed=frozenset({("127.0.0.1", 8080)}))
        await backend.connect_tcp("localhost", 8080)
        with pytest.raises(DestinationRefused, match=r"127\.0\.0\.1"):
            await backend.connect_tcp("localhost", 8081)
        assert network.attempts == [("127.0.0.1", 8080)]

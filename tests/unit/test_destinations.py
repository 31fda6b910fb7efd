import ipaddress

import pytest

from services.fetcher.fetch import FetchError, check_destination, is_public


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "224.0.0.1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


def test_a_routable_address_is_public() -> None:
    assert is_public(ipaddress.ip_address("93.184.216.34"))


async def test_loopback_feeds_are_refused_unless_private_networks_are_allowed() -> None:
    with pytest.raises(FetchError, match=r"non-public address 127\.0\.0\.1"):
        await check_destination("http://127.0.0.1:8080/feed.xml", allow_private=False)
    await check_destination("http://127.0.0.1:8080/feed.xml", allow_private=True)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/feed", "gopher://x"])
async def test_only_http_urls_are_fetched(url: str) -> None:
    with pytest.raises(FetchError, match="only http"):
        await check_destination(url, allow_private=True)

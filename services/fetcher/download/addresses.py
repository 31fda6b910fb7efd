"""Which IP addresses the fetcher may connect to: public unicast ones only.

The standard library's `is_global` alone is not enough on Python 3.11: it calls some reserved,
site-local and IPv4-carrying IPv6 addresses global, so those are judged explicitly here.
"""

import ipaddress

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def is_public(address: IPAddress) -> bool:
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return is_public(embedded)
    internal = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )
    return address.is_global and not internal


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    # An IPv6 address that carries an IPv4 one reaches that IPv4 host, so judge the IPv4 host.
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if int(address) >> 32 == 0 or any(address in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None

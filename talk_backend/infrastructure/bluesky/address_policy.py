"""Which IP addresses an untrusted URL may reach: public ones only, or loopback
behind the explicit development/test switch.

Addresses that embed an IPv4 address (IPv4-mapped, NAT64, 6to4) are judged by the
IPv4 address they lead to: `::ffff:127.0.0.1` is loopback, whatever its spelling."""

from __future__ import annotations

import ipaddress

from talk_backend.application.errors import UnsafeUrl

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def effective(address: IPAddress) -> IPAddress:
    """The address a connection really ends up at, for the embedding forms."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def is_loopback(address: IPAddress) -> bool:
    return effective(address).is_loopback


def _is_public(address: IPAddress) -> bool:
    real = effective(address)
    # is_global alone lets multicast through (it is "global" scope, but never a server).
    return real.is_global and not real.is_multicast


class AddressPolicy:
    def __init__(self, *, allow_loopback: bool) -> None:
        self.allow_loopback = allow_loopback

    def check(self, host: str, addresses: list[IPAddress]) -> None:
        """Raises UnsafeUrl unless every address is public, or (switch on) every
        address is loopback. One bad address spoils the lot: the connection could
        land on any of them."""
        if not addresses:
            raise UnsafeUrl(f"{host} resolves to no address")
        if self.allow_loopback and all(is_loopback(a) for a in addresses):
            return
        if not all(_is_public(a) for a in addresses):
            raise UnsafeUrl(f"{host} resolves to a non-public address")

"""Which IP addresses a delivery may connect to: globally routable ones, or explicitly allowed.

The rules are written out from the IANA special-purpose address registries rather than taken
from ``ipaddress``'s ``is_global``/``is_private``: those answers changed between Python patch
releases (CVE-2024-4032), call multicast global, and judge IPv4-mapped or NAT64 forms by their
IPv6 prefix instead of the IPv4 address the packets actually reach.

An IPv6 form that embeds an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) is judged
by that IPv4 address. When it is not routable, both forms must be allowed: allowing
``127.0.0.0/8`` does not open ``::ffff:127.0.0.1``, nor does allowing ``::/0`` open every
mapped IPv4 address.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

__all__ = ["Address", "Network", "blocked_reason", "parse_networks"]

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

# First match wins, so the narrow ranges come before the ones that contain them.
_IPV4_RULES: tuple[tuple[IPv4Network, str], ...] = tuple(
    (IPv4Network(cidr), reason)
    for cidr, reason in (
        ("0.0.0.0/32", "unspecified"),
        ("255.255.255.255/32", "broadcast"),
        ("169.254.169.254/32", "link-local, the cloud metadata address"),
        ("0.0.0.0/8", "reserved as 'this network'"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "carrier-grade NAT shared space"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link-local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved for IETF protocol assignments"),
        ("192.0.2.0/24", "reserved for documentation"),
        ("192.88.99.0/24", "a deprecated 6to4 relay anycast address"),
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "reserved for benchmarking"),
        ("198.51.100.0/24", "reserved for documentation"),
        ("203.0.113.0/24", "reserved for documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),
    )
)

_IPV6_RULES: tuple[tuple[IPv6Network, str], ...] = tuple(
    (IPv6Network(cidr), reason)
    for cidr, reason in (
        ("2001::/32", "a Teredo tunnel address"),
        ("2001:2::/48", "reserved for benchmarking"),
        ("2001:10::/28", "an ORCHID identifier (not routable)"),
        ("2001:20::/28", "an ORCHID identifier (not routable)"),
        ("2001::/23", "reserved for IETF protocol assignments"),
        ("2001:db8::/32", "reserved for documentation"),
        ("3fff::/20", "reserved for documentation"),
        ("fd00:ec2::254/128", "private, the cloud metadata address"),
        ("fc00::/7", "private (unique local)"),
        ("fe80::/10", "link-local"),
        ("fec0::/10", "site-local (deprecated)"),
        ("ff00::/8", "multicast"),
        ("100::/64", "discard-only"),
    )
)

_GLOBAL_UNICAST = IPv6Network("2000::/3")
_NAT64 = IPv6Network("64:ff9b::/96")
# Local-use NAT64 (RFC 8215) may embed the IPv4 address at several prefix lengths; it is read
# in the /96 form, the one NAT64 gateways deploy in practice.
_NAT64_LOCAL = IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = IPv6Network("::/96")
_UNSPECIFIED = IPv6Address("::")
_LOOPBACK = IPv6Address("::1")


def parse_networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    """Parse CIDRs such as ``10.0.0.0/8`` or ``fd00::/8`` (a bare address means just itself)."""
    if isinstance(cidrs, str):
        raise TypeError("parse_networks takes a sequence of CIDRs, not one string")
    return tuple(_parse_network(cidr) for cidr in cidrs)


def _parse_network(cidr: str) -> Network:
    text = cidr.strip()
    try:
        return ip_network(text)
    except ValueError:
        pass
    try:
        loose = ip_network(text, strict=False)
    except ValueError:
        raise ValueError(
            f"allowed network {cidr!r} is not an IP network; "
            "write it in CIDR notation, e.g. 10.0.0.0/8 or fd00::/8"
        ) from None
    raise ValueError(
        f"allowed network {cidr!r} has host bits set; write {loose} for the whole network "
        f"or {text.split('/')[0]}/{loose.max_prefixlen} for one address"
    )


def blocked_reason(address: str | Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why an address may not be a delivery target; None when globally routable or allowed."""
    if isinstance(address, str):
        address = ip_address(address)
    if isinstance(address, IPv4Address):
        return None if _is_allowed(address, allowed) else _ipv4_reason(address)
    return _ipv6_reason(address, allowed)


def _is_allowed(address: Address, allowed: Sequence[Network]) -> bool:
    return any(address in network for network in allowed)


def _ipv4_reason(address: IPv4Address) -> str | None:
    for network, reason in _IPV4_RULES:
        if address in network:
            return reason
    return None


def _ipv6_reason(address: IPv6Address, allowed: Sequence[Network]) -> str | None:
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        ipv4, form = embedded
        reason = _ipv4_reason(ipv4)
        if reason is None or (_is_allowed(address, allowed) and _is_allowed(ipv4, allowed)):
            return None
        return f"{reason} ({form} {ipv4})"
    if _is_allowed(address, allowed):
        return None
    if address == _UNSPECIFIED:
        return "unspecified"
    if address == _LOOPBACK:
        return "loopback"
    for network, reason in _IPV6_RULES:
        if address in network:
            return reason
    if address not in _GLOBAL_UNICAST:
        return "reserved (outside global unicast 2000::/3)"
    return None


def _embedded_ipv4(address: IPv6Address) -> tuple[IPv4Address, str] | None:
    """The IPv4 address an IPv6 form stands for, with the name of that form."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped, "IPv4-mapped"
    if address in _NAT64 or address in _NAT64_LOCAL:
        return IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    if address in _IPV4_COMPATIBLE and address not in (_UNSPECIFIED, _LOOPBACK):
        return IPv4Address(int(address)), "IPv4-compatible"
    return None

"""The delivery network policy: only globally routable addresses, unless explicitly allowed."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookwire.domain.network_policy import Network, blocked_reason, parse_networks

BLOCKED: list[tuple[str, str]] = [
    # IPv4
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "reserved as 'this network'"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.0.1", "link-local"),
    ("169.254.169.254", "link-local, the cloud metadata address"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.0.0.8", "IETF protocol assignments"),
    ("192.0.0.170", "IETF protocol assignments"),
    ("192.0.2.10", "documentation"),
    ("192.88.99.1", "6to4 relay anycast"),
    ("192.168.1.1", "private"),
    ("198.18.0.1", "benchmarking"),
    ("198.19.255.255", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.254", "reserved"),
    ("255.255.255.255", "broadcast"),
    # IPv6
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fc00::1", "private (unique local)"),
    ("fd12:3456:789a::1", "private (unique local)"),
    ("fd00:ec2::254", "private, the cloud metadata address"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("3fff::1", "documentation"),
    ("2001::1", "Teredo"),
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo"),
    ("2001:2::1", "benchmarking"),
    ("2001:10::1", "ORCHID"),
    ("2001:100::1", "IETF protocol assignments"),
    ("100::1", "discard-only"),
    ("4000::1", "outside global unicast"),
    ("::ffff:0:7f00:1", "outside global unicast"),
    # IPv6 forms of IPv4 addresses, judged by the IPv4 address
    ("::ffff:127.0.0.1", "loopback (IPv4-mapped 127.0.0.1)"),
    ("::ffff:10.1.2.3", "private (IPv4-mapped 10.1.2.3)"),
    ("::ffff:169.254.169.254", "cloud metadata address (IPv4-mapped 169.254.169.254)"),
    ("::ffff:100.64.0.1", "carrier-grade NAT"),
    ("::ffff:0.0.0.0", "unspecified (IPv4-mapped 0.0.0.0)"),
    ("::127.0.0.1", "loopback (IPv4-compatible 127.0.0.1)"),
    ("::10.0.0.1", "private (IPv4-compatible 10.0.0.1)"),
    ("64:ff9b::127.0.0.1", "loopback (NAT64 127.0.0.1)"),
    ("64:ff9b::a9fe:a9fe", "NAT64 169.254.169.254"),
    ("64:ff9b:1::192.168.0.1", "private (NAT64 192.168.0.1)"),
    ("2002:7f00:1::1", "loopback (6to4 127.0.0.1)"),
    ("2002:a00:1::", "private (6to4 10.0.0.1)"),
    ("2002::", "unspecified (6to4 0.0.0.0)"),
]

ROUTABLE: list[str] = [
    "1.1.1.1",
    "8.8.8.8",
    "9.255.255.255",
    "11.0.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "172.15.255.255",
    "172.32.0.0",
    "192.0.1.1",
    "192.31.196.1",
    "192.167.255.255",
    "192.169.0.0",
    "198.17.255.255",
    "198.20.0.0",
    "223.255.255.255",
    "2606:4700:4700::1111",
    "2a00:1450:4001:800::200e",
    "2001:200::1",
    "2001:db9::1",
    "3fff:1000::1",
    "::ffff:8.8.8.8",
    "::8.8.8.8",
    "64:ff9b::8.8.8.8",
    "64:ff9b:1::1.1.1.1",
    "2002:808:808::1",
]


@pytest.mark.parametrize(("address", "reason"), BLOCKED)
def test_non_routable_addresses_are_blocked_with_a_reason(address: str, reason: str) -> None:
    found = blocked_reason(address)

    assert found is not None
    assert reason in found


@pytest.mark.parametrize("address", ROUTABLE)
def test_globally_routable_addresses_pass(address: str) -> None:
    assert blocked_reason(address) is None


def test_address_objects_are_accepted_as_well_as_strings() -> None:
    assert blocked_reason(IPv4Address("127.0.0.1")) == "loopback"
    assert blocked_reason(IPv6Address("2606:4700::1")) is None


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", ["127.0.0.0/8"]),
        ("10.1.2.3", ["10.0.0.0/8"]),
        ("10.1.2.3", ["10.1.2.3"]),
        ("169.254.169.254", ["169.254.169.254/32"]),
        ("::1", ["::1/128"]),
        ("fd00::5", ["fd00::/8"]),
        ("::ffff:127.0.0.1", ["127.0.0.0/8", "::ffff:127.0.0.0/104"]),
        ("64:ff9b::10.0.0.1", ["10.0.0.0/8", "64:ff9b::/96"]),
    ],
)
def test_an_allowed_network_lets_its_addresses_through(address: str, allowed: list[str]) -> None:
    assert blocked_reason(address, parse_networks(allowed)) is None


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.2", ["127.0.0.1/32"]),
        ("10.0.0.1", ["192.168.0.0/16"]),
        ("::1", ["127.0.0.0/8"]),
        ("127.0.0.1", ["::1/128"]),
        # An embedded IPv4 address needs both of its forms allowed.
        ("::ffff:127.0.0.1", ["127.0.0.0/8"]),
        ("::ffff:127.0.0.1", ["::ffff:0:0/96"]),
        ("::ffff:10.0.0.1", ["::/0"]),
        ("64:ff9b::10.0.0.1", ["10.0.0.0/8"]),
        ("2002:a00:1::", ["10.0.0.0/8"]),
    ],
)
def test_an_allowed_network_opens_nothing_outside_it(address: str, allowed: list[str]) -> None:
    assert blocked_reason(address, parse_networks(allowed)) is not None


def test_parse_networks_accepts_cidrs_and_bare_addresses() -> None:
    assert parse_networks([" 10.0.0.0/8 ", "127.0.0.1", "fd00::/8"]) == (
        IPv4Network("10.0.0.0/8"),
        IPv4Network("127.0.0.1/32"),
        IPv6Network("fd00::/8"),
    )
    assert parse_networks([]) == ()


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("10.1.2.3/8", "'10.1.2.3/8' has host bits set; write 10.0.0.0/8 for the whole network"),
        ("fd00::1/8", "write fd00::/8 for the whole network or fd00::1/128 for one address"),
        ("localhost", "'localhost' is not an IP network; write it in CIDR notation"),
        ("10.0.0.0/33", "'10.0.0.0/33' is not an IP network"),
        ("", "'' is not an IP network"),
    ],
)
def test_parse_networks_explains_a_bad_entry(cidr: str, message: str) -> None:
    with pytest.raises(ValueError, match="allowed network") as raised:
        parse_networks(["10.0.0.0/8", cidr])

    assert message in str(raised.value)


def test_parse_networks_refuses_a_single_string() -> None:
    with pytest.raises(TypeError, match="sequence of CIDRs"):
        parse_networks("10.0.0.0/8")


def test_an_invalid_address_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        blocked_reason("hooks.test")


NON_ROUTABLE_NETWORKS = [
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "100.64.0.0/10",
    "::1/128",
    "fc00::/7",
    "fe80::/10",
]


@st.composite
def address_in_network(draw: st.DrawFn) -> tuple[Network, IPv4Address | IPv6Address]:
    cidr = draw(st.sampled_from(NON_ROUTABLE_NETWORKS))
    network: Network = IPv6Network(cidr) if ":" in cidr else IPv4Network(cidr)
    offset = draw(st.integers(0, network.num_addresses - 1))
    return network, network.network_address + offset


@given(address_in_network())
def test_every_private_or_loopback_address_is_blocked_unless_allowed(
    case: tuple[Network, IPv4Address | IPv6Address],
) -> None:
    network, address = case

    assert blocked_reason(address) is not None
    assert blocked_reason(address, [network]) is None
    assert blocked_reason(str(address), [IPv4Network("8.8.8.0/24")]) is not None


@given(st.ip_addresses(v=4))
def test_ipv6_forms_of_an_ipv4_address_are_judged_like_it(address: IPv4Address) -> None:
    blocked = blocked_reason(address) is not None
    value = int(address)

    assert (blocked_reason(IPv6Address(0xFFFF_0000_0000 | value)) is not None) == blocked
    assert (blocked_reason(IPv6Address(f"64:ff9b::{address}")) is not None) == blocked
    assert (blocked_reason(IPv6Address((0x2002 << 112) | (value << 80))) is not None) == blocked


@given(st.ip_addresses(v=4))
def test_everything_python_calls_non_global_is_blocked(address: IPv4Address) -> None:
    # Python's is_global differs between patch releases and calls multicast global; whatever
    # it refuses must be refused here too.
    if not address.is_global:
        assert blocked_reason(address) is not None


@given(st.ip_addresses())
def test_any_address_gets_an_answer(address: IPv4Address | IPv6Address) -> None:
    reason = blocked_reason(address)

    assert reason is None or (isinstance(reason, str) and reason)

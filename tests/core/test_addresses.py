"""Callback addresses: host literals read as the resolver reads them, what counts as public,
operators' allowed networks, and one lookup whose answers are all checked."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from cyberhub.core import addresses

LOOPBACK = addresses.networks(["127.0.0.0/8"])


def _numeric(host: str) -> str | None:
    """What this machine's resolver makes of `host` as a numeric IPv4 address."""
    try:
        answers = socket.getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM, 0,
                                     socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError):
        return None
    return answers[0][4][0]


@pytest.mark.parametrize("host", [
    "2130706433", "0x7f000001", "0X7F000001", "0177.0.0.1", "127.1", "127.0.1", "0", "00",
    "2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518", "0xa9.0xfe.0xa9fe",
    "4294967295", "0xffffffff", "017777777777", "1.16777215",
    # not numeric: names, which the push checks after resolving them
    "0x", "08.1", "1.2.3.256", "1.16777216", "0x100.1", "1.2.3.4.5", "1..2", "0x0x1",
    "4294967296", "040000000000", "1e3", ".1", "example.org",
    # Python hands the resolver IDNA, which folds full-width digits and dots
    "０", "１２７。０。０。１",
])
def test_a_host_is_read_as_the_resolver_reads_it(host):
    address = addresses.literal(host)
    assert (str(address) if address else None) == _numeric(host)


def test_a_trailing_dot_is_read_as_the_address_a_resolver_may_answer():
    # Not numeric to getaddrinfo, but a DNS server may answer "127.0.0.1." with 127.0.0.1.
    assert addresses.literal("127.0.0.1.") == ipaddress.ip_address("127.0.0.1")
    assert addresses.literal("1.") == ipaddress.ip_address("0.0.0.1")


def test_ipv6_literals_and_names():
    assert addresses.literal("::ffff:169.254.169.254") == ipaddress.ip_address(
        "::ffff:a9fe:a9fe")
    assert addresses.literal("fe80::1%25eth0").is_link_local
    assert addresses.literal("aue.example") is None
    with pytest.raises(ValueError):
        addresses.literal("no:address")


@pytest.mark.parametrize("address, reason", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("0.0.0.0", "unspecified"),
    ("::", "unspecified"), ("0.1.2.3", "this network"), ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("100.64.0.1", "carrier-grade NAT"), ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("239.1.2.3", "multicast"), ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"),
    ("192.0.2.1", "documentation"), ("198.51.100.1", "documentation"),
    ("203.0.113.1", "documentation"), ("2001:db8::1", "documentation"),
    ("198.18.0.1", "benchmarking"), ("192.0.0.8", "IETF"), ("fec0::1", "site-local"),
    ("2001::1", "Teredo"), ("64:ff9b:1::1", "local-use NAT64"), ("100::1", "discard"),
    ("::ffff:169.254.169.254", "link-local"), ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:10.0.0.1", "private"), ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1"),
    ("::8.8.8.8", "IPv4-compatible"),
    ("64:ff9b::a9fe:a9fe", "NAT64 form of 169.254.169.254, link-local"),
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1, loopback"),
    ("2002:a9fe:a9fe::1", "6to4 form of 169.254.169.254, link-local"),
    ("2002:0a00:0001::1", "6to4 form of 10.0.0.1, private"),
])
def test_what_is_not_public_is_refused_with_its_reason(address, reason):
    found = addresses.refusal(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", [
    "8.8.8.8", "193.99.144.80", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8",
    "64:ff9b::808:808", "2002:0808:0808::1",
])
def test_public_unicast_is_allowed(address):
    assert addresses.refusal(ipaddress.ip_address(address)) is None


def test_an_allowed_network_allows_its_addresses_only():
    allowed = addresses.networks(["127.0.0.0/8", "10.20.0.0/16", "fd00:1::/32"])
    for address in ("127.0.0.1", "127.9.9.9", "::ffff:127.0.0.1", "10.20.3.4", "fd00:1::5"):
        assert addresses.refusal(ipaddress.ip_address(address), allowed) is None, address
    for address in ("10.21.0.1", "169.254.169.254", "::1", "64:ff9b::7f00:1"):
        assert addresses.refusal(ipaddress.ip_address(address), allowed) is not None, address
    # An IPv4 network says nothing about IPv6 addresses, however their bits look.
    everything_v4 = addresses.networks(["0.0.0.0/0"])
    assert addresses.refusal(ipaddress.ip_address("::1"), everything_v4) == "loopback"


def test_networks_name_the_bad_entry():
    with pytest.raises(ValueError, match="host bits set"):
        addresses.networks(["127.0.0.1/8"])
    with pytest.raises(ValueError, match="CIDR"):
        addresses.networks(["10.0.0.0/8", "nonsense"])


def _answers(*hosts: str, port: int = 80) -> list[tuple]:
    return [(socket.AF_INET6 if ":" in h else socket.AF_INET, socket.SOCK_STREAM, 6, "",
             (h, port, 0, 0) if ":" in h else (h, port)) for h in hosts]


def test_resolve_looks_up_once_and_checks_every_answer():
    calls = []

    def resolver(*args):
        calls.append(args)
        return _answers("93.184.215.14", "::ffff:93.184.215.14", "2606:2800:21f:cb07::1")

    found = addresses.resolve("aue.example", 443, resolver=resolver)
    assert [str(a) for a in found] == ["93.184.215.14", "2606:2800:21f:cb07::1"]
    assert calls == [("aue.example", 443, socket.AF_UNSPEC, socket.SOCK_STREAM)]


def test_one_internal_answer_refuses_the_name():
    with pytest.raises(addresses.NotPublic, match=r"callback address 169\.254\.169\.254 "
                       r"\(aue\.example\) is not a public address \(link-local\)"):
        addresses.resolve("aue.example", 80,
                          resolver=lambda *a: _answers("93.184.215.14", "169.254.169.254"))
    with pytest.raises(addresses.NotPublic, match="no IPv4 or IPv6 address"):
        addresses.resolve("aue.example", 80, resolver=lambda *a: [])


def test_resolve_allows_the_operators_networks():
    found = addresses.resolve("localhost", 80, allowed=LOOPBACK,
                              resolver=lambda *a: _answers("127.0.0.1"))
    assert found == [ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(addresses.NotPublic, match="loopback"):
        addresses.resolve("localhost", 80, resolver=lambda *a: _answers("127.0.0.1"))


def test_the_real_resolver_refuses_localhost():
    with pytest.raises(addresses.NotPublic, match=r"127\.0\.0\.1 \(localhost\)"):
        addresses.resolve("localhost", 80)

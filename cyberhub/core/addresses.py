"""Which addresses the hub may connect to when it pushes a notice to a town.

A town's agent registers the URL the hub posts its push notices to, so whoever holds a town's
account chooses where the hub connects. Unchecked, the hub would post on that account's behalf
to the cloud metadata service on 169.254.169.254, an admin interface on loopback or a database
in the hub's own network (server-side request forgery). Checking the URL's text is not enough:
the resolver reads 2130706433, 0x7f000001, 0177.0.0.1 and 127.1 as 127.0.0.1, an IPv6 address
can carry an IPv4 one (::ffff:127.0.0.1), and a DNS name can point anywhere, and somewhere else
on the next lookup.

Hence two checks. At registration, `literal` reads the host the way the resolver would
(inet_aton's forms for IPv4) and `refusal` refuses a literal address that is not public; names
pass there, because what they resolve to can change. At push time, `resolve` looks the name up
once and refuses it if any answer is not public; the caller connects to exactly those answers
and never resolves again, so the address checked is the address used.

Public means global unicast. `ipaddress` decides most of it; the special ranges listed here
are refused on top, so the verdict does not depend on the Python version in use. Operators
allow named ranges (a Land's network, loopback for tests) with `push_allowed_networks`.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any, Callable, Iterable, Sequence

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# socket.getaddrinfo's signature; tests pass their own.
Resolver = Callable[..., Sequence[tuple[Any, Any, Any, Any, tuple[Any, ...]]]]

# Special-purpose ranges, refused whatever this Python's `ipaddress` thinks of them (older
# versions count several as global), each with the reason the operator reads.
_SPECIAL_RANGES = (
    ("0.0.0.0/8", "this network"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("64:ff9b:1::/48", "local-use NAT64"),
    ("100::/64", "discard-only"),
    ("2001::/32", "Teredo"),
    ("2001::/23", "IETF protocol assignments"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "segment routing"),
    ("fec0::/10", "site-local"),
)
_SPECIAL = tuple((ipaddress.ip_network(network), reason) for network, reason in _SPECIAL_RANGES)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_DIGITS = {8: "01234567", 10: "0123456789", 16: "0123456789abcdef"}


class NotPublic(ValueError):
    """A callback host that is, or resolves to, an address the hub must not connect to."""


def networks(texts: Iterable[str]) -> tuple[Network, ...]:
    """CIDR strings as networks; ValueError naming the first that is not one."""
    found = []
    for text in texts:
        try:
            found.append(ipaddress.ip_network(text.strip()))
        except ValueError as exc:
            raise ValueError(f"not a network in CIDR notation (like 10.20.0.0/16): {exc}") \
                from None
    return tuple(found)


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """IPv4 as inet_aton reads it (1 to 4 parts, each decimal, 0x-hex or 0-octal, the last
    filling the remaining bytes); None when it would not read it, so that it is a name."""
    parts = text.lower().split(".")
    if len(parts) > 4:
        return None
    values = []
    for part in parts:
        if part.startswith("0x"):
            digits, base = part[2:], 16
        elif len(part) > 1 and part.startswith("0"):
            digits, base = part[1:], 8
        else:
            digits, base = part, 10
        # int() alone would take other scripts' digits, which inet_aton does not.
        if not digits or any(c not in _DIGITS[base] for c in digits):
            return None
        values.append(int(digits, base))
    *head, last = values
    if any(value > 0xFF for value in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    number = last
    for index, value in enumerate(head):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def ascii_host(host: str) -> str:
    """The host as Python hands it to the resolver: IDNA-encoded, which also folds full-width
    digits and dots (１２７。０。０。１ is 127.0.0.1). UnicodeError (a ValueError) if it cannot."""
    return host if host.isascii() else host.encode("idna").decode("ascii")


def literal(host: str) -> Address | None:
    """The address a URL's host names by itself, read as the resolver reads it; None for a DNS
    name. ValueError for a host with ':' that is no IPv6 address, or no valid name."""
    if ":" in host:
        return ipaddress.ip_address(host)
    host = ascii_host(host)
    # "127.0.0.1." is no inet_aton form, but a resolver may still answer it with 127.0.0.1.
    return _inet_aton(host[:-1] if host.endswith(".") else host)


def effective(address: Address) -> Address:
    """The address a connection really reaches: an IPv4-mapped IPv6 address is its IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _embedded(address: ipaddress.IPv6Address) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 form routes to (6to4, NAT64) or stands for (compatible)."""
    if address.sixtofour is not None:
        return address.sixtofour, "6to4"
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "NAT64"
    if address in _COMPATIBLE and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF), "IPv4-compatible"
    return None


def _reason(address: Address) -> str | None:
    for flag in ("unspecified", "loopback", "link_local", "multicast"):
        if getattr(address, f"is_{flag}"):
            return flag.replace("_", "-")
    for network, reason in _SPECIAL:
        if address.version == network.version and address in network:
            return reason
    for flag in ("reserved", "private"):
        if getattr(address, f"is_{flag}"):
            return flag
    if not address.is_global:
        return "not global"
    return None


def refusal(address: Address, allowed: Sequence[Network] = ()) -> str | None:
    """Why the hub must not connect to `address` (loopback, private, ...); None if it may:
    a public unicast address, or one in an operator's `allowed` network."""
    target = effective(address)
    if any(a.version == n.version and a in n for a in (address, target) for n in allowed):
        return None
    if isinstance(target, ipaddress.IPv6Address):
        carried = _embedded(target)
        if carried is not None:
            inner, form = carried
            if form == "IPv4-compatible":  # deprecated; stacks disagree on where it goes
                return f"IPv4-compatible form of {inner}"
            # A translation prefix goes where the address it carries goes.
            reason = _reason(inner)
            return None if reason is None else f"{form} form of {inner}, {reason}"
    return _reason(target)


def shown(host: str, address: Address) -> str:
    """The address as the operator should read it: also how the URL wrote it, if otherwise."""
    target = effective(address)
    return str(target) if host == str(target) else f"{target} ({host})"


def resolve(host: str, port: int, *, allowed: Sequence[Network] = (),
            resolver: Resolver = socket.getaddrinfo) -> list[Address]:
    """Every address `host` resolves to, looked up once, each as a connection reaches it;
    NotPublic if any of them is not public. Connect to these, never to the name again."""
    found: list[Address] = []
    for family, _type, _proto, _name, sockaddr in resolver(host, port, socket.AF_UNSPEC,
                                                           socket.SOCK_STREAM):
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(sockaddr[0])
        reason = refusal(address, allowed)
        if reason is not None:
            # One internal answer refuses the name: the others could be picked another time.
            raise NotPublic(f"callback address {shown(host, address)} is not a public address "
                            f"({reason})")
        if effective(address) not in found:
            found.append(effective(address))
    if not found:
        raise NotPublic(f"callback host {host} has no IPv4 or IPv6 address")
    return found

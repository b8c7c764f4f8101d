"""The blocklist files in the formats their readers load: an nftables table, a DNS
response-policy zone, an Unbound include, a Postfix access map and a ClamAV hash database.

Every function here is pure and takes values that `blocklists.build` has already checked; the
output is sorted, so an unchanged list gives an unchanged file (and no needless reload).
"""

from __future__ import annotations

import re
from typing import Iterable

from cyberhub.core import messages

# RFC 1982 serial number arithmetic: serials live modulo 2^32, and a serial is "after" another
# when it lies less than 2^31 ahead of it. Secondaries reload a zone only when its serial is.
SERIAL_BITS = 32
_SOA_SERIAL = re.compile(r"^@ IN SOA \S+ \S+ (\d{1,10}) ", re.MULTILINE)
# A ClamAV signature with size "*" (unknown size) needs the engine functionality level 73
# (ClamAV 0.98) or later, declared as a fourth field; older engines skip the line.
_CLAMAV_WILDCARD_FLEVEL = 73


def nftables(ipv4: Iterable[str], ipv6: Iterable[str], header: str) -> str:
    # Declaring, flushing and re-declaring the table makes `nft -f` of this file idempotent.
    lines = [f"# {header}", "table inet cyberhub {}", "flush table inet cyberhub",
             "table inet cyberhub {"]
    for members, name, kind in ((list(ipv4), "blocked_ipv4", "ipv4_addr"),
                                (list(ipv6), "blocked_ipv6", "ipv6_addr")):
        lines.append(f"    set {name} {{")
        lines.append(f"        type {kind}; flags interval;")
        if members:
            lines.append("        elements = { " + ", ".join(members) + " }")
        lines.append("    }")
    lines += [
        "    chain input {",
        "        type filter hook input priority filter - 10; policy accept;",
        "        ip saddr @blocked_ipv4 drop",
        "        ip6 saddr @blocked_ipv6 drop",
        "    }",
        "    chain output {",
        "        type filter hook output priority filter - 10; policy accept;",
        "        ip daddr @blocked_ipv4 reject",
        "        ip6 daddr @blocked_ipv6 reject",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def rpz(domains: Iterable[str], header: str, serial: int) -> str:
    """A response-policy zone: NXDOMAIN (CNAME .) for each domain and its subdomains."""
    lines = [f"; {header}", "$TTL 300",
             f"@ IN SOA localhost. hostmaster.localhost. {serial} 3600 600 86400 300",
             "@ IN NS localhost."]
    for domain in domains:
        lines.append(f"{domain} CNAME .")
        lines.append(f"*.{domain} CNAME .")
    return "\n".join(lines) + "\n"


def zone_serial(zone: str | None) -> int | None:
    """The SOA serial of a zone this module wrote, or None."""
    found = _SOA_SERIAL.search(zone or "")
    if found is None or int(found.group(1)) >= 2 ** SERIAL_BITS:
        return None
    return int(found.group(1))


def serial_after(new: int, old: int) -> bool:
    """Whether `new` is greater than `old` in RFC 1982 serial arithmetic (section 3.2)."""
    return 0 < (new - old) % 2 ** SERIAL_BITS < 2 ** (SERIAL_BITS - 1)


def next_serial(previous: int | None, now_seconds: int) -> int:
    """A serial after `previous`: the seconds since the epoch (readable, and larger after a
    restart), or `previous + 1` when that is not after it (two changes in one second, a clock
    set back, a serial from a hand-edited zone). Wraps as RFC 1982 allows."""
    clock = now_seconds % 2 ** SERIAL_BITS
    if previous is None or serial_after(clock, previous):
        return clock
    return (previous + 1) % 2 ** SERIAL_BITS


def unbound(domains: Iterable[str], header: str) -> str:
    return f"# {header}\nserver:\n" + "".join(
        f'    local-zone: "{d}." always_nxdomain\n' for d in domains)


def sender_access(senders: dict[str, str], header: str) -> str:
    """A Postfix access(5) table for `check_sender_access`: `address REJECT reason` for an
    address, `domain REJECT reason` for every address at a domain (and, with Postfix's default
    parent_domain_matches_subdomains, its subdomains). `senders` maps each to its reference."""
    return f"# {header}\n" + "".join(
        f"{key} REJECT {reject_reason(ref)}\n" for key, ref in sorted(senders.items()))


def reject_reason(reference: str) -> str:
    """The reply text for a blocked sender: German whatever the agent's locale (the file must
    not change with it), and ASCII, as SMTP replies are (RFC 5321, 4.2). The remote mail
    server shows it in its bounce; the town's mail log shows it beside the address."""
    return messages.text("agent.blocklists.sender_rejected", "de",
                         ref=short_reference(reference))


def clamav_hashes(hashes: dict[str, str], header: str) -> str:
    """A ClamAV `.hsb` database: `HASH:*:NAME:73` per MD5, SHA-1 or SHA-256 digest (ClamAV
    tells them apart by length). An advisory names no file size, so the size is the wildcard.
    The comment line is not only for people: ClamAV refuses an empty database file, and a
    refused file stops clamd from reloading, so the file never is empty."""
    return f"# {header}\n" + "".join(
        f"{digest}:*:{signature_name(ref)}:{_CLAMAV_WILDCARD_FLEVEL}\n"
        for digest, ref in sorted(hashes.items()))


def short_reference(stix_id: str) -> str:
    """The first eight hex digits of a STIX id's UUID: `cyberhub-agent advisories show` finds
    the advisory by them. Only [0-9a-f], so safe in an SMTP reply and a signature name."""
    uuid = stix_id.partition("--")[2].lower()
    digits = re.sub(r"[^0-9a-f]", "", uuid)[:8]
    return digits or "0"


def signature_name(stix_id: str) -> str:
    """A ClamAV signature name (letters, digits, dots): Cyberhub.Advisory.<8 hex> or, for an
    indicator without a known advisory, Cyberhub.Indicator.<8 hex>. ClamAV adds .UNOFFICIAL."""
    kind = "Advisory" if stix_id.startswith("report--") else "Indicator"
    return f"Cyberhub.{kind}.{short_reference(stix_id)}"

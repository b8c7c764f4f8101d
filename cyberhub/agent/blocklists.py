"""Blocklists from advisory indicators: plain IP, domain and URL lists, an nftables file and
DNS resolver snippets (a response-policy zone and an Unbound include).

Only simple patterns become blocklist entries: equality (or IN, or ISSUBSET for networks) on an
address, domain or URL, with observation expressions joined by OR. A pattern that needs AND or
FOLLOWEDBY describes a combination, and blocking one half of it would block the innocent.
Every value is re-checked here before it is written: these files are read by firewalls and
resolvers, so nothing from the wire goes into them unparsed.

The files stay plain files at the documented paths in the blocklist directory (no symlinks, so
nft, Unbound and BIND find them as before, also in a chroot or a container that mounts only
that directory). `write` replaces the changed ones as one set, in two phases:

1. every changed file is written in full under a temporary name in the same directory and
   fsynced; if any of this fails, the temporaries are removed and no final file has changed;
2. only then are the temporaries renamed over the final names (each rename is atomic, so a
   reader of one file sees its old or its new content, never a mix), in the reverse order of
   `FILES`: the files that nft and the resolvers load first, the plain lists after them, and
   `ip-blocklist.txt` last. Then the directory is fsynced.

So a reader who finds the new `ip-blocklist.txt` finds every other file of the same set in
place too (and one who finds a new plain list finds the new nft and resolver files), and the
apply command, which runs after `write` returns, always loads a complete set. A crash between
two renames leaves some files new and some old; the next write finds the old ones different
and replaces them.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import idna

from cyberhub.core.pattern_values import equality_values

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")
_COMBINING = re.compile(r"\b(AND|FOLLOWEDBY|NOT|REPEATS|WITHIN|START|STOP)\b")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TARGETS = {"ipv4-addr": "ip", "ipv6-addr": "ip", "domain-name": "domain", "url": "url"}
FILES = ("ip-blocklist.txt", "domain-blocklist.txt", "url-blocklist.txt", "cyberhub.nft",
         "cyberhub.rpz", "unbound-cyberhub.conf")


@dataclass
class Blocklist:
    networks: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.networks) + len(self.domains) + len(self.urls)


def normalise_domain(value: str) -> str | None:
    """The ASCII (IDNA) lower-case form of a domain name, or None if it is not one."""
    name = value.strip().rstrip(".").lower()
    try:
        name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or not all(_LABEL.match(label) for label in labels):
        return None
    return name


def normalise_network(value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


def normalise_url(value: str) -> str | None:
    """An absolute URL without whitespace or control characters (one per line in a list)."""
    value = value.strip()
    if not re.match(r"^[a-z][a-z0-9+.-]*://[^/\s?#]+\S*$", value, re.IGNORECASE):
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        return None
    return value


def pattern_values(pattern: str) -> list[tuple[str, str]]:
    """(kind, value) pairs a simple pattern blocks: kind is ip, domain or url."""
    values = equality_values(pattern)
    if not values or _COMBINING.search(_STRING.sub("''", pattern)):
        return []
    return [(TARGETS[object_type], value) for object_type, path, value in values
            if object_type in TARGETS and path == ["value"]]


def build(indicators: Iterable[dict[str, Any]], *, now: str) -> Blocklist:
    """The blocklist for the indicators still in force at `now` (a STIX timestamp)."""
    result = Blocklist()
    for indicator in indicators:
        if indicator.get("revoked") or indicator.get("pattern_type", "stix") != "stix":
            continue
        until = indicator.get("valid_until")
        if until and until <= now:
            continue
        for kind, value in pattern_values(indicator.get("pattern", "")):
            if kind == "ip" and (network := normalise_network(value)) is not None:
                result.networks.add(network)
            elif kind == "domain" and (domain := normalise_domain(value)) is not None:
                result.domains.add(domain)
            elif kind == "url" and (url := normalise_url(value)) is not None:
                result.urls.add(url)
    return result


def address(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    full = 32 if network.version == 4 else 128
    return str(network.network_address) if network.prefixlen == full else str(network)


def render(blocklist: Blocklist, *, header: str) -> dict[str, str]:
    """File name → content. Output is sorted, so an unchanged list gives unchanged files."""
    networks = sorted(blocklist.networks, key=lambda n: (n.version, n))
    domains = sorted(blocklist.domains)
    comment = f"# {header}\n"
    files = {
        "ip-blocklist.txt": comment + "".join(address(n) + "\n" for n in networks),
        "domain-blocklist.txt": comment + "".join(d + "\n" for d in domains),
        "url-blocklist.txt": comment + "".join(u + "\n" for u in sorted(blocklist.urls)),
        "cyberhub.nft": _nftables(networks, comment),
        "cyberhub.rpz": _rpz(domains, header),
        "unbound-cyberhub.conf": comment + "server:\n" + "".join(
            f'    local-zone: "{d}." always_nxdomain\n' for d in domains),
    }
    return files


def _nftables(networks: list, comment: str) -> str:
    # Declaring, flushing and re-declaring the table makes `nft -f` of this file idempotent.
    lines = [comment.rstrip(), "table inet cyberhub {}", "flush table inet cyberhub",
             "table inet cyberhub {"]
    for version, name, kind in ((4, "blocked_ipv4", "ipv4_addr"), (6, "blocked_ipv6",
                                                                   "ipv6_addr")):
        members = [address(n) for n in networks if n.version == version]
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


def _rpz(domains: list[str], header: str) -> str:
    lines = [f"; {header}", "$TTL 300",
             "@ IN SOA localhost. hostmaster.localhost. 1 3600 600 86400 300",
             "@ IN NS localhost."]
    for domain in domains:
        lines.append(f"{domain} CNAME .")
        lines.append(f"*.{domain} CNAME .")
    return "\n".join(lines) + "\n"


def write(directory: Path, files: dict[str, str]) -> list[str]:
    """Replace the changed files as one set (see the module docstring for the guarantee);
    returns the changed names, in the order of `files`."""
    directory.mkdir(parents=True, exist_ok=True)
    changed = [name for name, content in files.items()
               if _current(directory / name) != content]
    staged: dict[str, Path] = {}
    try:
        for name in changed:
            staged[name] = _stage(directory, name, files[name])
        for name in _rename_order(changed):
            os.replace(staged[name], directory / name)
            del staged[name]
    finally:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
    if changed:
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return changed


def _current(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _stage(directory: Path, name: str, content: str) -> Path:
    """`content` complete and on disk under a temporary name beside `name`."""
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _rename_order(names: list[str]) -> list[str]:
    """Names outside FILES first, then FILES in reverse: ip-blocklist.txt is renamed last."""
    return ([n for n in names if n not in FILES]
            + [n for n in reversed(FILES) if n in names])

"""Warning lists: keys that every town sees and that therefore never link two reports.

One TOML file per list in a directory (the project's are in `config/warninglists/`), each with
`name`, `description`, `type` and `entries`:
  cidr      addresses and networks; an address key, or a prefix key, inside one is listed
  hostname  a domain and every name below it (also in URLs and e-mail addresses)
  value     exact keys of one `kind` (e.g. hash digests as "SHA-256:e3b0...")
A listed key is kept out of correlation entirely, and `explain` says which list took it.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cyberhub.hub.correlation.index_keys import canonical_domain

TYPES = ("cidr", "hostname", "value")


class WarninglistError(ValueError):
    """A list file is unreadable or malformed; the message names the file and the entry."""


@dataclass
class Warninglists:
    networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str]] = field(
        default_factory=list)
    hostnames: dict[str, str] = field(default_factory=dict)
    values: dict[tuple[str, str], str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    # networks by version and prefix length: {4: {24: {the top 24 bits: list name}}}
    _index: dict[int, dict[int, dict[int, str]]] | None = field(default=None, repr=False)
    _within: dict[tuple[int, int], dict[int, str]] = field(default_factory=dict, repr=False)
    _indexed: int = field(default=0, repr=False)

    def listed(self, kind: str, value: str) -> str | None:
        """The name of the list that covers this key, or None."""
        found = self.values.get((kind, value))
        if found:
            return found
        if kind in ("ipv4", "ipv6"):
            return self._network(value)
        if kind in ("ipv4-24", "ipv6-64"):
            # The /24 around 8.8.8.8 would link every town as surely as 8.8.8.8 itself.
            return self._network(value, overlapping=True)
        if kind in ("domain", "regdomain"):
            return self._hostname(value)
        if kind == "url":
            host = urlsplit(value).hostname or ""
            return self._network(host) or self._hostname(host)
        if kind == "email":
            return self._hostname(value.rpartition("@")[2])
        return None

    def _network(self, value: str, overlapping: bool = False) -> str | None:
        try:
            network = ipaddress.ip_network(value, strict=False)
        except ValueError:
            return None
        if self._index is None or self._indexed != len(self.networks):
            self._build_index()
        version, length = network.version, network.prefixlen
        bits = int(network.network_address)
        width = network.max_prefixlen
        # A listed network that holds this one: one lookup per prefix length in the lists,
        # so the community's lists of thousands of cloud ranges cost no more than five.
        for listed_length, table in self._index[version].items():
            if listed_length <= length:
                found = table.get(bits >> (width - listed_length))
                if found:
                    return found
        if overlapping:
            # A listed network inside this one (a resolver's /32 inside a /24 key).
            return self._inside(version, length).get(bits >> (width - length))
        return None

    def _inside(self, version: int, length: int) -> dict[int, str]:
        """Listed networks longer than `length`, by their top `length` bits (built once per
        prefix length asked for: the /24 and /64 keys)."""
        key = (version, length)
        if key not in self._within:
            table: dict[int, str] = {}
            for listed, name in self.networks:
                if listed.version == version and listed.prefixlen > length:
                    table.setdefault(int(listed.network_address) >> (listed.max_prefixlen -
                                                                     length), name)
            self._within[key] = table
        return self._within[key]

    def _build_index(self) -> None:
        index: dict[int, dict[int, dict[int, str]]] = {4: {}, 6: {}}
        for listed, name in self.networks:
            table = index[listed.version].setdefault(listed.prefixlen, {})
            table.setdefault(int(listed.network_address) >> (listed.max_prefixlen -
                                                             listed.prefixlen), name)
        self._index = {version: dict(sorted(tables.items()))
                       for version, tables in index.items()}
        self._within = {}
        self._indexed = len(self.networks)

    def _hostname(self, value: str) -> str | None:
        labels = value.split(".")
        for start in range(len(labels)):
            found = self.hostnames.get(".".join(labels[start:]))
            if found:
                return found
        return None


def load(directory: Path) -> Warninglists:
    if not directory.is_dir():  # a mistyped directory must not silently switch noise off
        raise WarninglistError(f"{directory}: no such directory")
    lists = Warninglists()
    for path in sorted(directory.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise WarninglistError(f"{path}: {exc}") from None
        name, kind = data.get("name"), data.get("type")
        entries = data.get("entries")
        if not isinstance(name, str) or kind not in TYPES or not isinstance(entries, list):
            raise WarninglistError(f"{path}: needs name, type ({', '.join(TYPES)}) and entries")
        lists.names.append(name)
        for entry in entries:
            _add(lists, path, name, kind, data.get("kind"), str(entry))
    return lists


def _add(lists: Warninglists, path: Path, name: str, kind: str, value_kind: str | None,
         entry: str) -> None:
    if kind == "cidr":
        try:
            lists.networks.append((ipaddress.ip_network(entry, strict=False), name))
        except ValueError:
            raise WarninglistError(f"{path}: {entry!r} is not an address or network") from None
    elif kind == "hostname":
        domain = canonical_domain(entry)
        if domain is None:
            raise WarninglistError(f"{path}: {entry!r} is not a host name")
        lists.hostnames[domain] = name
    else:
        if not value_kind:
            raise WarninglistError(f"{path}: a value list needs `kind`")
        lists.values[(value_kind, entry.lower() if value_kind != "hash" else
                      entry.split(":", 1)[0] + ":" + entry.split(":", 1)[-1].lower())] = name

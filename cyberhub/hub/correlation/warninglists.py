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
        for listed, name in self.networks:
            if listed.version != network.version:
                continue
            if network.subnet_of(listed) or (overlapping and network.overlaps(listed)):
                return name
        return None

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

"""Warning lists: keys that every town sees and that therefore never link two reports.

One TOML file per list in a directory (the project's are in `config/warninglists/`), each with
`name`, `description`, `type` and `entries`:
  cidr      addresses and networks; an address key, or a prefix key, inside one is listed
  hostname  a domain and every name below it (also in URLs and e-mail addresses)
  value     exact keys of one `kind` (e.g. hash digests as "SHA-256:e3b0...")
A listed key is kept out of correlation entirely, and `explain` says which list took it.

The hub's lists are these files plus what its database holds (`load_hub`): the lists a
warning-list feed brought (the community's MISP warning lists) and the values an operator
added by hand (`cyberhub warninglists add`). Every process that correlates follows a change
of the database's lists: `listed` looks at a stamp of them (one small query) at most every
`CHECK_SECONDS`, and `refresh` does so at once; the scheduler then re-marks the index.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import threading
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cyberhub.hub import audit
from cyberhub.hub.correlation.index_keys import canonical_domain
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import WarninglistEntry, WarninglistRecord

TYPES = ("cidr", "hostname", "value")
# Kinds of the operator's own entries: networks, names, or exact values of these index kinds.
LOCAL_KINDS = ("cidr", "hostname", "url", "email", "hash")
LOCAL = "Local allow entry"
NAME_LENGTH = 100  # the index keeps the name of the list that took a key in 100 characters
# How often `listed` looks whether the database's lists changed: a web worker follows a
# change within this time; the look itself is one query of two small tables.
CHECK_SECONDS = 10.0
log = logging.getLogger("cyberhub.correlation")


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
    # Where each list came from (a file, a feed's list, the operator), by name, for `check`.
    origins: dict[str, str] = field(default_factory=dict)
    _watch: Watch | None = field(default=None, repr=False)

    def listed(self, kind: str, value: str) -> str | None:
        """The name of the list that covers this key, or None."""
        watch = self._watch
        if watch is not None and time.monotonic() >= watch.next_check:
            watch.refresh(self)
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

    def refresh(self) -> bool:
        """Look at the database's lists now; True when they changed and were reloaded."""
        return self._watch.refresh(self, now=True) if self._watch is not None else False

    def index_stale(self) -> bool:
        """Whether the index must be re-marked (`index.relist`): on the first look of a
        process (a list file may have changed while it was stopped), after the database's
        lists changed, and once more on the look after that, since a web worker follows a
        change only within `CHECK_SECONDS` and may index a report with the old lists."""
        watch = self._watch
        if watch is None:
            return False
        return not watch.marked_once or watch.marked != watch.stamp or watch.again

    def index_marked(self) -> None:
        watch = self._watch
        if watch is not None:
            watch.again = watch.marked_once and watch.marked != watch.stamp
            watch.marked, watch.marked_once = watch.stamp, True

    @property
    def stamp(self) -> Any:
        """What the database's lists were when last loaded (None: files only)."""
        return self._watch.stamp if self._watch is not None else None

    def _take(self, other: Warninglists) -> None:
        """Become `other` (a reload): each table is swapped whole, so a `listed` running in
        another thread meanwhile reads old or new tables, never half-built ones."""
        other._build_index()
        self.networks, self.hostnames, self.values = (other.networks, other.hostnames,
                                                      other.values)
        self._index, self._within, self._indexed = other._index, other._within, other._indexed
        self.names, self.origins = other.names, other.origins

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
        lists.origins[name] = f"file {path.name}"
        if kind == "value" and not data.get("kind"):
            raise WarninglistError(f"{path}: a value list needs `kind`")
        for entry in entries:
            try:
                add(lists, name, kind, data.get("kind"), str(entry))
            except ValueError as exc:
                raise WarninglistError(f"{path}: {exc}") from None
    return lists


def add(lists: Warninglists, name: str, kind: str, value_kind: str | None, entry: str) -> None:
    """One entry of the list `name`; ValueError says why it is not one. Where two lists
    hold one entry, the one added first names it (the files come before the database)."""
    if kind == "cidr":
        try:
            lists.networks.append((ipaddress.ip_network(entry.strip(), strict=False), name))
        except ValueError:
            raise ValueError(f"{entry!r} is not an address or network") from None
    elif kind == "hostname":
        domain = canonical_domain(entry)
        if domain is None:
            raise ValueError(f"{entry!r} is not a host name")
        lists.hostnames.setdefault(domain, name)
    else:
        lists.values.setdefault((value_kind or "", exact(value_kind or "", entry)), name)


def exact(kind: str, value: str) -> str:
    """An exact value as the index keys it: hashes as "SHA-256:<lower-case hex>"."""
    if kind == "hash":
        algorithm, _, digest = value.strip().partition(":")
        return f"{algorithm.upper()}:{digest.lower()}"
    return value.strip().lower() if kind != "url" else value.strip()


# --- the database's lists ------------------------------------------------------------------

@dataclass
class Watch:
    """What `load_hub` gave a Warninglists: its files, once loaded, and the database whose
    lists join them, with the stamp of those when last loaded."""

    files: Warninglists
    db: Database
    every: float = CHECK_SECONDS
    stamp: Any = None
    next_check: float = 0.0
    marked: Any = None        # the stamp the index was last re-marked for
    marked_once: bool = False
    again: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def refresh(self, lists: Warninglists, now: bool = False) -> bool:
        # One thread looks; the others go on with the tables they have.
        if not self._lock.acquire(blocking=now):
            return False
        try:
            self.next_check = time.monotonic() + self.every
            try:
                with self.db.session() as session:
                    stamp = stamp_of(session)
                    if stamp == self.stamp:
                        return False
                    fresh = combined(self.files, session)
            except SQLAlchemyError as exc:  # the lists it has stay; the next look tries again
                log.warning("warning lists not reloaded: %s", type(exc).__name__)
                return False
            lists._take(fresh)
            self.stamp = stamp
            return True
        finally:
            self._lock.release()


def load_hub(directory: Path, db: Database, *, every: float = CHECK_SECONDS) -> Warninglists:
    """The hub's lists: the files in `directory` and the database's lists, kept current."""
    files = load(directory)
    lists = _copy(files)  # the files at least, should the database not answer
    lists._watch = Watch(files, db, every=every)
    lists.refresh()
    return lists


def _copy(files: Warninglists) -> Warninglists:
    return Warninglists(networks=list(files.networks), hostnames=dict(files.hostnames),
                        values=dict(files.values), names=list(files.names),
                        origins=dict(files.origins))


def stamp_of(session: Session) -> tuple[Any, ...]:
    """Changes whenever a list or an entry is added, changed or removed: a list's `updated`
    and an entry's `added` are the time of the change, and a removal changes a count."""
    lists = session.execute(select(func.count(), func.sum(WarninglistRecord.updated))).one()
    local = session.execute(select(func.count(), func.sum(WarninglistEntry.id),
                                   func.sum(WarninglistEntry.added))).one()
    return (*lists, *local)


def combined(files: Warninglists, session: Session) -> Warninglists:
    """The files' lists, then the operator's entries, then the feeds' lists."""
    lists = _copy(files)
    for entry in session.scalars(select(WarninglistEntry).order_by(WarninglistEntry.id)):
        name = local_name(entry.note)
        if name not in lists.origins:
            lists.names.append(name)
            lists.origins[name] = "local (cyberhub warninglists add)"
        _add_stored(lists, name, entry.kind, entry.value)
    for record in session.scalars(select(WarninglistRecord).order_by(
            WarninglistRecord.feed, WarninglistRecord.ident)):
        lists.names.append(record.name)
        lists.origins.setdefault(record.name, f"feed {record.feed}: {record.ident}, version "
                                              f"{record.version}")
        for entry in json.loads(record.entries):
            try:
                add(lists, record.name, record.type, record.kind, entry)
            except ValueError:
                continue  # checked when stored; a list edited in the database loses the entry
    return lists


def _add_stored(lists: Warninglists, name: str, kind: str, value: str) -> None:
    if kind in ("cidr", "hostname"):
        add(lists, name, kind, None, value)
    else:
        add(lists, name, "value", kind, value)


def local_name(note: str) -> str:
    return f"{LOCAL}: {note}"[:NAME_LENGTH] if note else LOCAL


# --- the operator's own entries ----------------------------------------------------------

def local_value(kind: str, value: str) -> str:
    """The entry as it is kept and matched; WarninglistError says why it is not one."""
    text = value.strip()
    if kind == "cidr":
        try:
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            raise WarninglistError(f"{text!r} is not an address or network") from None
        if network.prefixlen < (8 if network.version == 4 else 16):
            raise WarninglistError(f"{network} is too wide to never link")
        return str(network)
    if kind == "hostname":
        domain = canonical_domain(text)
        if domain is None:
            raise WarninglistError(f"{text!r} is not a host name")
        return domain
    if kind == "hash":
        from cyberhub.hub.correlation.index_keys import HASHES, hash_key

        algorithm, _, digest = text.partition(":")
        key = hash_key(algorithm, digest) if digest else None
        if key is None:
            raise WarninglistError(f"{text!r} is not a hash; give it as ALGORITHM:HEX "
                                   f"({', '.join(sorted(set(HASHES.values())))})")
        return key[1]
    if kind in ("url", "email"):
        from cyberhub.hub.correlation.values import canonical

        try:
            return canonical(kind, text)
        except ValueError as exc:
            raise WarninglistError(str(exc)) from None
    raise WarninglistError(f"kind must be one of {', '.join(LOCAL_KINDS)}")


def add_local(session: Session, kind: str, value: str, *, note: str, actor: str, now: int
              ) -> WarninglistEntry:
    value = local_value(kind, value)
    note = " ".join(note.split())[:200]
    if session.scalar(select(WarninglistEntry.id).where(WarninglistEntry.kind == kind,
                                                        WarninglistEntry.value == value)):
        raise WarninglistError(f"{kind} {value} is listed already")
    entry = WarninglistEntry(kind=kind, value=value, note=note, added_by=actor, added=now)
    session.add(entry)
    audit.record(session, actor=actor, action="warninglist.add",
                 subject=f"warninglist:{kind}:{value}", now=now, note=note)
    return entry


def remove_local(session: Session, kind: str, value: str, *, actor: str, now: int) -> None:
    value = local_value(kind, value)
    removed = session.execute(delete(WarninglistEntry).where(
        WarninglistEntry.kind == kind, WarninglistEntry.value == value)).rowcount
    if not removed:
        raise WarninglistError(f"no local entry {kind} {value}")
    audit.record(session, actor=actor, action="warninglist.remove",
                 subject=f"warninglist:{kind}:{value}", now=now)


def local_entries(session: Session) -> list[dict[str, Any]]:
    return [{"kind": e.kind, "value": e.value, "note": e.note, "added_by": e.added_by,
             "added": e.added} for e in session.scalars(
                 select(WarninglistEntry).order_by(WarninglistEntry.kind,
                                                   WarninglistEntry.value))]


def stored_lists(session: Session) -> list[dict[str, Any]]:
    """The feeds' lists, without their entries."""
    return [{"feed": r.feed, "ident": r.ident, "name": r.name, "type": r.type,
             "kind": r.kind, "version": r.version, "count": r.count, "updated": r.updated}
            for r in session.scalars(select(WarninglistRecord).order_by(
                WarninglistRecord.feed, WarninglistRecord.ident))]


def covering(lists: Warninglists, keys: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """For `cyberhub warninglists check`: each key of a value and the list that covers it."""
    found = []
    for kind, value in keys:
        name = lists.listed(kind, value)
        found.append({"kind": kind, "value": value, "list": name,
                      "origin": lists.origins.get(name) if name else None})
    return found

"""The community's MISP warning lists (misp-warninglists) as the hub's own warning lists.

A warning-list feed writes no STIX (`feeds.warninglist_sync` runs it): each list it names
in `[warninglists] include` becomes a row of the `warninglists` table, converted to the hub's
list types, and the correlation engine of every hub process loads them beside the files
of `warninglists_dir` (see `cyberhub.hub.correlation.warninglists`). The lists come from the
installed `pymispwarninglists` package (its data directory holds the misp-warninglists tree, so no
download is needed) or, with `from_package = false`, from a misp-warninglists tree at the
feed's `url` (`<url>/lists/<name>/list.json`, each fetched conditionally).

MISP types and what the hub makes of them (only what cannot silence more than the list
means):
  cidr               networks (one wider than /8, or /16 for IPv6, of public space is refused)
  hostname           a name and every name below it, as MISP matches them
  string of domains  (matching_attributes name domain or hostname) the same; MISP's leading
                     "." ("every name below") is what the hub does for every name anyway
  string of hashes   exact hash values, the algorithm known from the digest's length
  substring, regex   not used: a part of a value or a pattern says nothing safe; counted
A name that is a public suffix is refused: "co.uk" would silence a whole registry, and
"azurewebsites.net" (the list's private section) every customer's site. So is a name at or
below one the feed file names in `keep_linking` (file shares, forms, code hosting).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterator

from publicsuffixlist import PublicSuffixList

from cyberhub.hub.correlation import index_keys
from cyberhub.hub.correlation.warninglists import NAME_LENGTH
from cyberhub.hub.feeds.entries import Entry
from cyberhub.hub.feeds.source import FormatError, Source

HOST_ATTRIBUTES = frozenset({"domain", "hostname"})
HASH_ATTRIBUTES = frozenset({"md5", "sha1", "sha256", "sha512", "filename|md5",
                             "filename|sha1", "filename|sha256", "filename|sha512"})
HASH_LENGTHS = {32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}
MIN_PREFIX = {4: 8, 6: 16}


@dataclass
class Converted:
    ident: str
    name: str
    description: str
    version: int
    type: str            # cidr, hostname, value
    kind: str | None     # "hash" for a value list
    entries: list[str]

    @property
    def digest(self) -> str:
        text = json.dumps([self.name, self.type, self.kind, sorted(self.entries)])
        return hashlib.sha256(text.encode()).hexdigest()


def package_lists() -> Path:
    """The lists the installed package ships (where its own `WarningLists` reads them)."""
    import pymispwarninglists

    return Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"


def read(source: Source) -> Iterator[Entry]:
    """Not a source of STIX objects: the generic writer must not run this feed."""
    raise FormatError("a warning-list feed loads lists, not indicators; the scheduler runs "
                      "it, or now: `cyberhub warninglists update`")
    yield  # pragma: no cover - a generator, as readers are


def read_lists(source: Source) -> Iterator[Converted]:
    """The included lists, converted; a list that is unchanged (304, same bytes) or that
    cannot be read is `touched`, so that what was stored of it stays."""
    options = source.feed.warninglists
    assert options is not None
    for ident in options.include:
        raw = _package_file(source, ident) if options.from_package else _download(source, ident)
        if raw is None:
            source.touched.add(ident)
            continue
        source.fetched += 1
        converted = convert(source, ident, raw)
        if converted is None:
            source.touched.add(ident)
        else:
            yield converted


def _package_file(source: Source, ident: str) -> bytes | None:
    path = package_lists() / ident / "list.json"
    try:
        if path.stat().st_size > source.feed.max_bytes:
            source.skip(ident, f"more than {source.feed.max_bytes} bytes")
            return None
        return path.read_bytes()
    except OSError:
        source.skip(ident, "no such list in the installed pymispwarninglists")
        return None


def _download(source: Source, ident: str) -> bytes | None:
    download = source.fetch_main(f"{source.feed.url.rstrip('/')}/lists/{ident}/list.json",
                                 accept="application/json")
    if download is None:
        return None
    try:
        return download.read()
    finally:
        download.close()


def convert(source: Source, ident: str, raw: bytes) -> Converted | None:
    """One list.json as the hub's list, or None (skipped, with the reason) when it cannot be
    used; an entry that cannot be used is skipped and counted, and the list kept."""
    # Imported here: the package loads jsonschema, which the hub's commands do not need.
    from pymispwarninglists import WarningList
    from pymispwarninglists.exceptions import PyMISPWarningListsError

    try:
        data = json.loads(raw.decode("utf-8"))
        parsed = WarningList(data)  # the package's own reading: the fields and a known type
        if not isinstance(parsed.name, str) or not all(isinstance(e, str) for e in parsed.list):
            raise ValueError("name and entries must be text")
    except UnicodeDecodeError:
        source.skip(ident, "not UTF-8")
        return None
    except (ValueError, KeyError, TypeError, PyMISPWarningListsError) as exc:
        source.skip(ident, f"not a MISP warning list ({type(exc).__name__}: "
                           f"{str(exc)[:80]})")
        return None
    attributes = set(data.get("matching_attributes") or ())
    made: tuple[str, str | None, Callable[[str], str]] | None = None
    if parsed.type == "cidr":
        made = ("cidr", None, _network)
    elif parsed.type == "hostname" or (parsed.type == "string" and
                                       attributes & HOST_ATTRIBUTES):
        made = ("hostname", None, _hostname)
    elif parsed.type == "string" and attributes & HASH_ATTRIBUTES:
        made = ("value", "hash", _hash)
    if made is None:
        source.skip(ident, f"a {parsed.type} list for {', '.join(sorted(attributes)) or '-'}"
                           " is not used")
        return None
    kind, value_kind, check = made
    options = source.feed.warninglists
    keep = {index_keys.canonical_domain(name) for name in options.keep_linking} if options \
        else set()
    if kind == "hostname" and keep:
        check = _unless_kept(check, keep)
    entries: set[str] = set()
    for number, entry in enumerate(parsed.list, start=1):
        try:
            entries.add(check(entry))
        except ValueError as exc:
            source.skip(f"{ident} entry {number}", str(exc))
    return Converted(ident, parsed.name.strip()[:NAME_LENGTH], str(parsed.description),
                     parsed.version, kind, value_kind, sorted(entries))


def _network(entry: str) -> str:
    try:
        network = ipaddress.ip_network(entry.strip(), strict=False)
    except ValueError:
        raise ValueError(f"{entry[:60]!r} is not an address or network") from None
    if network.prefixlen < MIN_PREFIX[network.version] and network.is_global:
        raise ValueError(f"{network} is too wide a public network to never link")
    return str(network)


def _hostname(entry: str) -> str:
    name = index_keys.canonical_domain(entry.strip().removeprefix("*").lstrip("."))
    if name is None:
        raise ValueError(f"{entry[:60]!r} is not a host name")
    if _suffixes().is_public(name):
        raise ValueError(f"{name} is a public suffix: it would silence a whole registry")
    return name


def _unless_kept(check: Callable[[str], str], keep: set[str | None]) -> Callable[[str], str]:
    def checked(entry: str) -> str:
        name = check(entry)
        labels = name.split(".")
        if any(".".join(labels[start:]) in keep for start in range(len(labels))):
            raise ValueError(f"{name} is kept linking (keep_linking)")
        return name

    return checked


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def _hash(entry: str) -> str:
    digest = entry.strip().lower()
    algorithm = HASH_LENGTHS.get(len(digest))
    if algorithm is None or index_keys.hash_key(algorithm, digest) is None:
        raise ValueError(f"{entry[:60]!r} is not an MD5, SHA-1, SHA-256 or SHA-512 digest")
    return f"{algorithm}:{digest}"

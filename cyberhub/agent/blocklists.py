"""Blocklists from advisory indicators: plain IP, domain and URL lists, an nftables file, DNS
resolver snippets (a response-policy zone and an Unbound include), a Postfix sender access map
and a ClamAV hash database (the formats are in `blocklist_formats`).

Only simple patterns become blocklist entries: equality (or IN, or ISSUBSET for networks) on an
address, domain, URL, e-mail address or file hash, and LIKE '%@domain' on an e-mail address (a
sender domain), with observation expressions joined by OR. A pattern that needs AND or
FOLLOWEDBY describes a combination, and blocking one half of it would block the innocent.
Every value is re-checked here before it is written: these files are read by firewalls,
resolvers, mail servers and virus scanners, so nothing from the wire goes into them unparsed.

The files stay plain files at the documented paths in the blocklist directory (no symlinks, so
nft, Unbound, BIND, Postfix and ClamAV find them as before, also in a chroot or a container that
mounts only that directory). `write` replaces the changed ones as one set, in two phases:

1. every changed file is written in full under a temporary name in the same directory, given
   its mode (and group) and fsynced; if any of this fails, the temporaries are removed and no
   final file has changed;
2. only then are the temporaries renamed over the final names (each rename is atomic, so a
   reader of one file sees its old or its new content, never a mix), in the reverse order of
   `FILES`: the files that ClamAV, Postfix, the resolvers and nft load first, the plain lists
   after them, and `ip-blocklist.txt` last. Then the directory is fsynced.

So a reader who finds the new `ip-blocklist.txt` finds every other file of the same set in
place too (and one who finds a new plain list finds the new loader files), and the apply
command, which runs after `write` returns, always loads a complete set. A crash between two
renames leaves some files new and some old; the next write finds the old ones different and
replaces them.

Who may read them: the files are not secret (indicator values, no advisory text, no town), but
a town receives TLP:AMBER advisories too, which may go to its own systems and people only. So
with `blocklist_group` set, the directory is 0750 and the files 0640, owned by that group (the
resolver's, the mail server's); without it they are 0644 in a directory the agent creates
0755 (one that exists keeps the mode its owner gave it), for a machine whose local accounts are
all the town's own. The default directory lies inside the 0700 data directory, where no other
account reaches it anyway.
"""

from __future__ import annotations

import grp
import ipaddress
import os
import re
import stat
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import idna
from stix2patterns.v21.pattern import Pattern

from cyberhub.agent import blocklist_formats as formats
from cyberhub.core import messages
from cyberhub.core.pattern_values import equality_values

_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")
_COMBINING = re.compile(r"\b(AND|FOLLOWEDBY|NOT|REPEATS|WITHIN|START|STOP)\b")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# The local part of an address as a dot-atom (RFC 5322, 3.2.3), without quoted forms: a Postfix
# map key ends at whitespace, and a line starting with # is a comment, so neither may occur.
_LOCAL_PART = re.compile(r"^[a-z0-9!$%&'*+/=?^_`{|}~-][a-z0-9!#$%&'*+/=?^_`{|}~-]*"
                         r"(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
# LIKE '%@domain': every address at the domain, and nothing else (no other wildcard).
_ANY_ADDRESS_AT = re.compile(r"'%@([^'\\%_]+)'")
_HASH_DIGITS = {"MD5": 32, "SHA-1": 40, "SHA1": 40, "SHA-256": 64, "SHA256": 64}
TARGETS = {"ipv4-addr": "ip", "ipv6-addr": "ip", "domain-name": "domain", "url": "url",
           "email-addr": "sender"}
RPZ = "cyberhub.rpz"
FILES = ("ip-blocklist.txt", "domain-blocklist.txt", "url-blocklist.txt", "cyberhub.nft",
         RPZ, "unbound-cyberhub.conf", "sender-access", "cyberhub.hsb")
MODES = {"file": 0o644, "dir": 0o755, "group file": 0o640, "group dir": 0o750}


class BlocklistError(Exception):
    """A blocklist setting the agent cannot carry out (e.g. an unknown group)."""


@dataclass
class Blocklist:
    networks: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    urls: set[str] = field(default_factory=set)
    # Sender address or domain, and file hash (lower-case hex) → the STIX id of the advisory
    # (or, without one, the indicator) that names it: the files cite it for the reader.
    senders: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return (len(self.networks) + len(self.domains) + len(self.urls) + len(self.senders)
                + len(self.hashes))


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


def normalise_sender(value: str) -> str | None:
    """`local@domain` in lower case with an IDNA domain, or None. Lower case because Postfix
    folds lookup keys to lower case; no quoted local parts, whitespace or control characters,
    which would break the map line."""
    local, at, host = value.strip().rpartition("@")
    local = local.lower()
    if not at or len(local) > 64 or not _LOCAL_PART.match(local):
        return None
    domain = normalise_domain(host)
    return None if domain is None else f"{local}@{domain}"


def normalise_hash(algorithm: str, value: str) -> str | None:
    """The lower-case hex digest, if it has the length its algorithm (MD5, SHA-1, SHA-256)
    gives; None for any other algorithm or value."""
    digest = value.strip().lower()
    if len(digest) != _HASH_DIGITS.get(algorithm.upper()) or not re.fullmatch("[0-9a-f]+",
                                                                               digest):
        return None
    return digest


def pattern_values(pattern: str) -> list[tuple[str, str]]:
    """(kind, value) pairs a simple pattern blocks: kind is ip, domain, url, sender,
    sender-domain, or a hash algorithm as the pattern names it (e.g. SHA-256)."""
    values = equality_values(pattern)
    if values is None or _COMBINING.search(_STRING.sub("''", pattern)):
        return []
    found = []
    for object_type, path, value in values:
        if object_type in TARGETS and path == ["value"]:
            found.append((TARGETS[object_type], value))
        elif object_type == "file" and len(path) == 2 and path[0] == "hashes":
            found.append((str(path[1]), value))
    if "LIKE" in _STRING.sub("''", pattern):
        found += [("sender-domain", domain) for domain in _sender_domains(pattern)]
    return found


def _sender_domains(pattern: str) -> list[str]:
    comparisons = Pattern(pattern).inspect().comparisons  # parsed fine just before
    return [match.group(1) for path, operator, literal in comparisons.get("email-addr", [])
            if path == ["value"] and operator == "LIKE"
            and (match := _ANY_ADDRESS_AT.fullmatch(str(literal)))]


def build(indicators: Iterable[dict[str, Any]], *, now: str,
          advisories: Mapping[str, str] | None = None) -> Blocklist:
    """The blocklist for the indicators still in force at `now` (a STIX timestamp).
    `advisories` maps an indicator's id to its advisory's, which the mail and virus lists cite;
    an indicator not in it is cited by its own id."""
    result = Blocklist()
    for indicator in indicators:
        if indicator.get("revoked") or indicator.get("pattern_type", "stix") != "stix":
            continue
        until = indicator.get("valid_until")
        if until and until <= now:
            continue
        reference = (advisories or {}).get(indicator.get("id", ""), indicator.get("id", ""))
        for kind, value in pattern_values(indicator.get("pattern", "")):
            _add(result, kind, value, reference)
    return result


def _add(result: Blocklist, kind: str, value: str, reference: str) -> None:
    if kind == "ip" and (network := normalise_network(value)) is not None:
        result.networks.add(network)
    elif kind == "domain" and (domain := normalise_domain(value)) is not None:
        result.domains.add(domain)
    elif kind == "url" and (url := normalise_url(value)) is not None:
        result.urls.add(url)
    elif kind == "sender" and (sender := normalise_sender(value)) is not None:
        _cite(result.senders, sender, reference)
    elif kind == "sender-domain" and (domain := normalise_domain(value)) is not None:
        _cite(result.senders, domain, reference)
    elif kind.upper() in _HASH_DIGITS and (digest := normalise_hash(kind, value)) is not None:
        _cite(result.hashes, digest, reference)


def _cite(entries: dict[str, str], key: str, reference: str) -> None:
    # Named several times: cite an advisory rather than a bare indicator, and the same one
    # whatever order they come in, so the file does not change with the order.
    entries[key] = min(entries.get(key, reference), reference,
                       key=lambda ref: (not ref.startswith("report--"), ref))


def address(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> str:
    full = 32 if network.version == 4 else 128
    return str(network.network_address) if network.prefixlen == full else str(network)


def render(blocklist: Blocklist, *, header: str, previous_zone: str | None = None,
           now_seconds: int | None = None) -> dict[str, str]:
    """File name → content. Output is sorted, so an unchanged list gives unchanged files.

    The zone keeps the serial of `previous_zone` (the zone now in place) while its content is
    the same, and gets a larger one when it changes (`blocklist_formats.next_serial`), so a
    secondary reloads it exactly then; without a previous zone the serial is the time."""
    networks = sorted(blocklist.networks, key=lambda n: (n.version, n))
    domains = sorted(blocklist.domains)
    comment = f"# {header}\n"
    return {
        "ip-blocklist.txt": comment + "".join(address(n) + "\n" for n in networks),
        "domain-blocklist.txt": comment + "".join(d + "\n" for d in domains),
        "url-blocklist.txt": comment + "".join(u + "\n" for u in sorted(blocklist.urls)),
        "cyberhub.nft": formats.nftables([address(n) for n in networks if n.version == 4],
                                         [address(n) for n in networks if n.version == 6],
                                         header),
        RPZ: _zone(domains, header, previous_zone, now_seconds),
        "unbound-cyberhub.conf": formats.unbound(domains, header),
        "sender-access": formats.sender_access(blocklist.senders, header),
        "cyberhub.hsb": formats.clamav_hashes(blocklist.hashes, header),
    }


def _zone(domains: list[str], header: str, previous: str | None, now_seconds: int | None
          ) -> str:
    serial = formats.zone_serial(previous)
    if serial is not None and formats.rpz(domains, header, serial) == previous:
        return previous
    now_seconds = int(time.time()) if now_seconds is None else now_seconds
    return formats.rpz(domains, header, formats.next_serial(serial, now_seconds))


def current(path: Path) -> str | None:
    """The file's text, or None if there is none."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def write(directory: Path, files: dict[str, str], *, group: str = "") -> list[str]:
    """Replace the changed files as one set (see the module docstring for the guarantee and
    the modes); returns the changed names, in the order of `files`. A file whose content is
    right but whose mode or group is not counts as changed."""
    gid = _group_id(group)
    file_mode = MODES["group file"] if group else MODES["file"]
    _prepare_directory(directory, gid)
    changed = [name for name, content in files.items()
               if not _in_place(directory / name, content, file_mode, gid)]
    staged: dict[str, Path] = {}
    try:
        for name in changed:
            staged[name] = _stage(directory, name, files[name], file_mode, gid)
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


def _group_id(group: str) -> int | None:
    if not group:
        return None
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise BlocklistError(messages.text("agent.blocklists.unknown_group",
                                           messages.from_environment(os.environ),
                                           group=group)) from None


def _prepare_directory(directory: Path, gid: int | None) -> None:
    """Create the directory with its mode; with a group, also give an existing one the group
    and mode 0750, since the setting says that group's reader must get in."""
    mode = MODES["dir"] if gid is None else MODES["group dir"]
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        os.chmod(directory, mode)  # not left to the umask (0077 under the systemd unit)
    if gid is not None:
        info = directory.stat()
        if info.st_gid != gid:
            os.chown(directory, -1, gid)
        # The set-group-ID bit that `cyberhub-agent install` sets stays: it gives new files
        # the readers' group without the agent's user being a member of it.
        if stat.S_IMODE(info.st_mode) & 0o777 != mode:
            os.chmod(directory, mode | (info.st_mode & stat.S_ISGID))


def _in_place(path: Path, content: str, mode: int, gid: int | None) -> bool:
    try:
        info = path.stat()
    except FileNotFoundError:
        return False
    if stat.S_IMODE(info.st_mode) != mode or (gid is not None and info.st_gid != gid):
        return False
    return current(path) == content


def _stage(directory: Path, name: str, content: str, mode: int, gid: int | None) -> Path:
    """`content` complete and on disk under a temporary name beside `name`, already with the
    mode and group its readers need (a reader never sees a file it may not open)."""
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(content)
            handle.flush()
            if gid is not None and os.fstat(handle.fileno()).st_gid != gid:
                os.fchown(handle.fileno(), -1, gid)  # a set-group-ID directory did it already
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _rename_order(names: list[str]) -> list[str]:
    """Names outside FILES first, then FILES in reverse: ip-blocklist.txt is renamed last."""
    return ([n for n in names if n not in FILES]
            + [n for n in reversed(FILES) if n in names])

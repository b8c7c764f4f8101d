"""Observable keys: what two reports must share to be about the same attack.

A key is (kind, value) with the value in one canonical form, so that `203.0.113.5`,
`203.0.113.005/32` and a pattern `[ipv4-addr:value = '203.0.113.5']` meet, as do `BÜCHER.example.`
and `xn--bcher-kva.example`. Weaker keys travel beside the exact ones: the /24 or /64 around an
address, the registrable domain around a host name. Pattern values come from the parse tree of
`stix2-patterns`, never from regexes over the pattern text.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

import idna
from publicsuffixlist import PublicSuffixList

from cyberhub.core.pattern_values import equality_values

# Kinds, strongest first. The weights say how much sharing one key says about two reports.
WEIGHTS = {
    "hash": 4.0,        # the same file: the same attack
    "url": 3.0,         # C2 and delivery infrastructure
    "ipv4": 3.0,
    "ipv6": 3.0,
    "domain": 3.0,
    "email": 3.0,
    "subject": 2.0,
    "regdomain": 2.0,   # rotating host names under one registered domain
    "ipv4-24": 1.5,     # neighbouring addresses: one provider, often one operator
    "ipv6-64": 1.5,
    "technique": 1.0,
    "malware": 1.0,
    "cve": 0.8,
}
# Techniques and malware families add to the evidence of reports linked otherwise, but never
# link reports themselves: half the country sees T1110 and Emotet every week.
LINKING = frozenset(WEIGHTS) - {"technique", "malware"}
HASHES = {"md5": "MD5", "sha-1": "SHA-1", "sha1": "SHA-1", "sha-256": "SHA-256",
          "sha256": "SHA-256", "sha-512": "SHA-512", "sha512": "SHA-512", "sha3-256": "SHA3-256",
          "sha3-512": "SHA3-512", "ssdeep": "SSDEEP", "tlsh": "TLSH"}
_HEX = re.compile(r"^[0-9a-f]+$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def ip_keys(value: str) -> list[tuple[str, str]]:
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        return []
    if network.version == 4:
        keys = [("ipv4", str(network.network_address) if network.prefixlen == 32
                 else str(network))]
        if network.prefixlen >= 24:
            keys.append(("ipv4-24", str(network.supernet(new_prefix=24))))
    else:
        keys = [("ipv6", str(network.network_address) if network.prefixlen == 128
                 else str(network))]
        if network.prefixlen >= 64:
            keys.append(("ipv6-64", str(network.supernet(new_prefix=64))))
    return keys


def canonical_domain(value: str) -> str | None:
    name = str(value).strip().rstrip(".").lower()
    try:
        name = idna.encode(name, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return name


def domain_keys(value: str) -> list[tuple[str, str]]:
    name = canonical_domain(value)
    if name is None:
        return []
    keys = [("domain", name)]
    registrable = _suffixes().privatesuffix(name)
    if registrable and registrable != name:
        keys.append(("regdomain", registrable))
    elif registrable:
        keys.append(("regdomain", name))
    return keys


def canonical_url(value: str) -> str | None:
    """Scheme and host lower-cased (host in IDNA), default port and fragment dropped."""
    try:
        parts = urlsplit(str(value).strip())
        host = canonical_domain(parts.hostname or "") or str(
            ipaddress.ip_address(parts.hostname or ""))
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not host:
        return None
    scheme = parts.scheme.lower()
    if port and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", parts.query, ""))


def url_keys(value: str) -> list[tuple[str, str]]:
    url = canonical_url(value)
    if url is None:
        return []
    host = urlsplit(url).hostname or ""
    return [("url", url)] + (domain_keys(host) if not _is_ip(host) else ip_keys(host))


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def hash_key(algorithm: str, value: str) -> tuple[str, str] | None:
    name = HASHES.get(algorithm.strip().lower())
    digest = str(value).strip().lower()
    if name is None or not digest or (name not in ("SSDEEP", "TLSH") and not _HEX.match(digest)):
        return None
    return ("hash", f"{name}:{digest}")


def email_keys(value: str) -> list[tuple[str, str]]:
    text = str(value).strip().lower()
    if text.count("@") != 1:
        return []
    local, _, host = text.partition("@")
    domain = canonical_domain(host)
    if not local or domain is None:
        return []
    return [("email", f"{local}@{domain}")] + domain_keys(domain)


def subject_key(value: str) -> tuple[str, str] | None:
    text = " ".join(str(value).split()).lower()
    return ("subject", text) if len(text) >= 8 else None  # "Re:", "Rechnung" say nothing


# --- from objects ------------------------------------------------------------------------

def _sco_keys(obj: dict[str, Any]) -> list[tuple[str, str]]:
    kind = obj.get("type")
    if kind in ("ipv4-addr", "ipv6-addr"):
        return ip_keys(obj.get("value", ""))
    if kind == "domain-name":
        return domain_keys(obj.get("value", ""))
    if kind == "url":
        return url_keys(obj.get("value", ""))
    if kind == "email-addr":
        return email_keys(obj.get("value", ""))
    if kind == "email-message":
        key = subject_key(obj.get("subject", ""))
        return [key] if key else []
    if kind in ("file", "artifact"):
        hashes = obj.get("hashes") or {}
        return [k for a, v in hashes.items() if (k := hash_key(a, v))]
    return []


def _external_keys(obj: dict[str, Any]) -> list[tuple[str, str]]:
    keys = []
    for ref in obj.get("external_references") or []:
        source = str(ref.get("source_name", "")).lower()
        ident = str(ref.get("external_id", "")).strip().upper()
        if source == "cve" and _CVE.match(ident):
            keys.append(("cve", ident))
        if source.startswith("mitre") and _TECHNIQUE.match(ident):
            keys.append(("technique", ident))
    return keys


def pattern_keys(pattern: str) -> list[tuple[str, str]]:
    """Keys of the values a STIX pattern compares for equality (or membership)."""
    return [key for object_type, path, value in equality_values(pattern) or []
            for key in _path_keys(object_type, path, value)]


def _path_keys(object_type: str, path: list[Any], value: str) -> list[tuple[str, str]]:
    if path == ["value"]:
        return _sco_keys({"type": object_type, "value": value})
    if object_type == "email-message" and path == ["subject"]:
        key = subject_key(value)
        return [key] if key else []
    if object_type in ("file", "artifact") and len(path) == 2 and path[0] == "hashes":
        key = hash_key(str(path[1]), value)
        return [key] if key else []
    return []


def object_keys(obj: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every key one STIX object carries, without duplicates."""
    kind = obj.get("type")
    found: list[tuple[str, str]] = _sco_keys(obj)
    if kind == "indicator" and obj.get("pattern_type", "stix") == "stix":
        found += pattern_keys(obj.get("pattern", ""))
    if kind == "attack-pattern":
        found += [k for k in _external_keys(obj) if k[0] == "technique"]
    if kind == "vulnerability":
        found += [k for k in _external_keys(obj) if k[0] == "cve"]
        name = str(obj.get("name", "")).strip().upper()
        if _CVE.match(name):
            found.append(("cve", name))
    if kind == "malware" and obj.get("name"):
        found.append(("malware", " ".join(str(obj["name"]).split()).lower()))
        found += [("malware", " ".join(str(a).split()).lower())
                  for a in obj.get("aliases") or []]
    yield from dict.fromkeys(found)

"""cyberhub.core.validation.validate accepts exactly what stix2-validator accepts, on a corpus.

The corpus is built deterministically from the valid seed objects in
tests/data/validation/seeds.json (every STIX 2.1 SDO, SRO, SCO and meta type, the custom
x-cyberhub-signature, the incident-core and TLP 2.0 extensions) and the edge cases in
tricky.json (TLP 1.0 markings, observed-data 'objects' with references, selectors, UUID versions,
...): each object, then mutations of it (properties removed, replaced by wrong types and by
edge-case values - timestamps, identifiers, references, addresses, hashes, vocabularies, patterns,
extensions, markings - custom properties added, nested values mutated) and random combinations of
those mutations.

stix2-validator validates each object on its own, `validate_instance(obj,
ValidationOptions(version="2.1"))`; it "accepts" when it returns no errors (its warnings do not
count) and does not raise. The only disagreements allowed are the INTENDED_DIFFERENCES below, and
for those cyberhub must be the one that rejects.

CYBERHUB_VALIDATION_CORPUS=<n> sets how many random combinations are added (default 1000).
"""

from __future__ import annotations

import copy
import json
import logging
import os
import random
from typing import Any, Callable, Iterator

import pytest
from conftest import DATA

from cyberhub.core.validation import validate
from cyberhub.core.validation.cpe import cpe_formatted_string
from cyberhub.core.validation.musts import _in_order, _parsed_time, _real_date
from cyberhub.core.validation.registries import (
    CHARACTER_SETS,
    LANGUAGES,
    MEDIA_TYPES,
    SOFTWARE_LANGUAGES,
)
from cyberhub.core.validation.values import EMAIL, is_hostname, is_uri

stix2validator = pytest.importorskip("stix2validator")
cpe_package = pytest.importorskip("cpe")
from stix2validator import ValidationOptions, validate_instance  # noqa: E402
from stix2validator.v21 import enums  # noqa: E402

DATA = DATA / "validation"
# stix2-validator catches a deprecated jsonschema exception on every call.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SEEDS = json.loads((DATA / "seeds.json").read_text())  # valid for both validators
TRICKY = json.loads((DATA / "tricky.json").read_text())  # edge cases, valid or not
COMBINATIONS = int(os.environ.get("CYBERHUB_VALIDATION_CORPUS", "1000"))
OPTIONS = ValidationOptions(version="2.1", silent=True)


def stock_accepts(obj: Any) -> bool:
    try:
        return validate_instance(copy.deepcopy(obj), OPTIONS).is_valid
    except Exception:
        return False


def _cpe_other_binding(value: Any) -> bool:
    """A CPE 2.3 name in the URI or WFN binding (which the hub does not accept)."""
    if not isinstance(value, str):
        return False
    try:
        cpe_package.CPE(value, cpe_package.CPE.VERSION_2_3)
    except Exception:
        return False
    return not value.lower().startswith("cpe:2.3:")


def _nesting(pattern: str) -> int:
    depth = deepest = 0
    for char in pattern:
        depth += char == "("
        depth -= char == ")"
        deepest = max(deepest, depth)
    return deepest


# Named, intended differences: (name, applies to the object, what cyberhub then says, why).
# Each one is a case where cyberhub refuses an object stix2-validator may accept.
INTENDED_DIFFERENCES: list[tuple[str, Callable[[Any], bool], str, str]] = [
    ("bundle-as-object",
     lambda o: isinstance(o, dict) and o.get("type") == "bundle",
     "a bundle cannot be stored as an object",
     "a TAXII envelope carries objects; a bundle is not stored as an object"),
    ("spec-version-not-2.1",
     lambda o: isinstance(o, dict) and "spec_version" in o and o["spec_version"] != "2.1",
     "'spec_version' must be '2.1'",
     "the hub validates and stores STIX 2.1 only; stix2-validator with version 2.1 also "
     "accepts spec_version '2.0'"),
    ("pattern-nested-over-100",
     lambda o: isinstance(o, dict) and o.get("type") == "indicator"
     and isinstance(o.get("pattern"), str) and _nesting(o["pattern"]) > 100,
     "parentheses are nested more than 100 deep",
     "STIX patterns with parentheses nested more than 100 deep are refused; stix2-patterns "
     "accepts them until its recursive parser overflows (beyond ~200 levels)"),
    ("cpe-uri-or-wfn-binding",
     lambda o: isinstance(o, dict) and "cpe" in o and _cpe_other_binding(o["cpe"]),
     "'cpe' must be a CPE 2.3 formatted string",
     "'cpe' must be a CPE 2.3 formatted string (cpe:2.3:...); the cpe package behind "
     "stix2-validator also accepts the URI (cpe:/...) and WFN bindings"),
]


def intended_difference(obj: Any, problem: str | None = None) -> str | None:
    """The intended difference that explains cyberhub refusing `obj` (with `problem`)."""
    for name, applies, message, _why in INTENDED_DIFFERENCES:
        if applies(obj) and (problem is None or message in problem):
            return name
    return None


# --- Corpus -------------------------------------------------------------------------------------

def _uuid(n: int, version: str = "4", variant: str = "8") -> str:
    return f"{n:08x}-0000-{version}000-{variant}000-{n:012x}"


TS_VALUES = [
    "2026-01-15T08:30:00Z", "2026-01-15T08:30:00.000Z", "2026-01-15T08:30:00.1Z",
    "2026-01-17T08:30:00.123456789Z", "2026-02-30T00:00:00.000Z", "2024-02-29T00:00:00.000Z",
    "2023-02-29T00:00:00.000Z", "2026-01-15T23:59:60.000Z", "2026-01-15T23:59:60Z",
    "0000-01-01T00:00:00.000Z", "2026-01-15 08:30:00Z", "2026-01-15T08:30:00+01:00",
    "2026-01-15T08:30:00.000Z\n", "2026-01-20T08:30:00Z\n", "2026-13-01T00:00:00Z",
    "2026-01-15T24:00:00Z", "2026-01-15T08:30Z", "20260115T083000Z", "2026-01-15t08:30:00z",
    "1970-01-01T00:00:00.000Z", "2099-12-31T23:59:59.999Z", "2026-01-15T08:30:00.0000001Z",
    "2026-01-16T09:00:00.000001Z", "2026-04-31T00:00:00Z", 1700000000, None, "",
]
REF_VALUES = [
    "identity--" + _uuid(100), "malware--" + _uuid(1), "software--" + _uuid(1),
    "marking-definition--" + _uuid(7), "relationship--" + _uuid(2), "sighting--" + _uuid(3),
    "bundle--" + _uuid(4), "language-content--" + _uuid(5), "ipv4-addr--" + _uuid(6),
    "file--" + _uuid(7), "artifact--" + _uuid(8), "network-traffic--" + _uuid(9),
    "observed-data--" + _uuid(10), "location--" + _uuid(11), "x-custom-thing--" + _uuid(12),
    "notebook--" + _uuid(13), "identity-x--" + _uuid(14), "indicator--" + _uuid(15, "1"),
    "indicator--" + _uuid(16, "0"), "indicator--" + _uuid(17, "4", "c"),
    "indicator--" + _uuid(18).upper(), "Indicator--" + _uuid(19), "indicator-" + _uuid(20),
    "indicator--" + _uuid(21) + "\n", "indicator--1234", "ipv4-addr--garbage", "x--" + _uuid(22),
    "ab--" + _uuid(23), "a-b--" + _uuid(24), "indicator--" + _uuid(25, "6"), "",
    "extension-definition--" + _uuid(26),
]
VALUES_BY_NAME: dict[str, list[Any]] = {
    "confidence": [0, 100, 101, -1, 50.0, 50.5, "50", True],
    "count": [0, 1, 999999999, 1000000000, -1, 1.0, 2.5, "3", False],
    "number_observed": [0, 1, 999999999, 1000000000, 2.0, 2.5],
    "latitude": [90, 90.0001, -90, 0, "1", True],
    "longitude": [180, -180.5, 7, "7"],
    "precision": [0, -1, "1", 1.5],
    "opinion": ["agree", "strongly-agree", "neutral", "Agree", "maybe", 1],
    "relationship_type": ["uses", "related-to", "Uses", "has space", "a_b", "x-custom", ""],
    "lang": ["de", "en", "de-DE", "fr-FR", "xx", "DE", "", "de-AT", "de_DE", 1, ["de"]],
    "spec_version": ["2.1", "2.0", "2", 2.1, None],
    "pattern_type": ["stix", "yara", "snort", "STIX", "sigma", "pcre"],
    "pattern_version": ["2.1", "2.0", "2.2", "1", 2.1],
    "mime_type": ["application/zip", "application/x-msdownload", "text/plain", "image/png",
                  "application/unknown-thing", "zip", "TEXT/PLAIN", "application/vnd.ms-excel",
                  "video/mp4", "application/zip; charset=x", 5],
    "name_enc": ["UTF-8", "utf-8", "ISO-8859-1", "windows-1252", "US-ASCII", "latin1", "x",
                 "UTF8", "Shift_JIS", "ISO_8859-1:1987"],
    "path_enc": ["UTF-8", "utf-8", "latin1", "ISO-8859-15", "x", "windows-1252"],
    "languages": [["de"], ["deu"], ["ger"], ["xx"], ["de-DE"], ["en-US", "fra"], ["zz"], [],
                  ["DE"], "de"],
    "cpe": [
        "cpe:2.3:a:microsoft:office:2019:*:*:*:*:*:*:*", "cpe:2.3:a:vendor:product",
        "cpe:/a:microsoft:office:2019", "cpe:2.3:a:ven\\:dor:prod*uct:1.0:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:?.1:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.*:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1:*:*:de-de:*:*:*:*",
        "cpe:2.3:a:vendor:product:1:*:*:de:*:*:*:*",
        "cpe:2.3:a:vendor:product:1:*:*:deutsch:*:*:*:*",
        "CPE:2.3:A:VENDOR:PRODUCT:1:*:*:*:*:*:*:*",
        "cpe:2.3:x:vendor:product:1:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1:*:*:*:*:*:*:*:extra",
        'wfn:[part="a",vendor="microsoft",product="office"]',
        "cpe:2.3:a:vendor:pro duct:1:*:*:*:*:*:*:*",
        "x cpe:2.3:a:vendor:product:1:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1:*:*:?e:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.0\\!:*:*:*:*:*:*:*", 5,
    ],
    "is_family": [True, False, "true", 1, None],
    "is_multipart": [True, False, "false", 0],
    "is_active": [True, False, "yes"],
    "encryption_algorithm": ["AES-256-GCM", "mime-type-indicated", "aes", "ChaCha20-Poly1305"],
    "context": ["suspicious-activity", "malware-analysis", "unspecified", "anything", 1],
    "identity_class": ["organization", "individual", "town", 1],
    "definition_type": ["statement", "tlp", "custom-type", "statements", "xtlp", "statement\n", 1],
    "definition": [{"statement": "x"}, {"tlp": "green"}, {"statement": 1}, {}, "x", None,
                   {"tlp": "red"}],
    "name": ["x", "", "TLP:AMBER", "TLP:GREEN", 1, None, ["x"]],
    "number": [64496, "64496", 1.0, -1, 4294967296],
    "size": [0, -1, 1.5, "1", 2**40],
    "src_port": [0, 65535, 65536, -1, "80", 80.0],
    "dst_port": [0, 443, 70000],
    "protocols": [["tcp"], [], "tcp", ["tcp", 1], ["ipv4", "tcp", "ssl"]],
    "key": ["HKEY_LOCAL_MACHINE\\Software", "HKLM\\Software", "hkcu\\x", "SOFTWARE\\HKU\\x",
            "HKEY_USERS\\x", 1],
    "result": ["malicious", "benign", "maybe", 1],
    "payload_bin": ["UEsDBAoAAAAAAA==", "UEsDB", "", "AAAA", "AA=A", 1],
    "magic_number_hex": ["4D5A", "4D5", "zz", "", "4d5a"],
    "extension_types": [["new-sdo"], ["toplevel-property-extension"], ["new-thing"], [],
                        "new-sdo"],
    "extension_properties": [["x_a"], [], ["x_a", 1]],
    "object_modified": TS_VALUES[:8],
    "labels": [["a"], [], ["a", 1], "a", ["x"] * 3],
    "aliases": [["a"], [], ["a", 1]],
    "indicator_types": [["malicious-activity"], ["unknown-type"], []],
    "sectors": [["government-local"], ["nope"], []],
    "revoked": [True, False, "false", 0],
    "defanged": [True, "true"],
    "summary": [True, "no"],
    "is_self_signed": [True, 1],
    "subject_public_key_exponent": [65537, "65537", 65537.0],
    "additional_header_fields": [{"X-Mailer": "a"}, {"Subject": "x"}, {"subject": "x"},
                                 {"date": "x", "X-A": "b"}, {"date": "x"}, {"X-A": ["a"]},
                                 {"X-A": ["a", "b"]}, {"X-A": 1}, {}, {"bad key": "x"}],
    "ipfix": [{"a": 1}, {"a": 1.5}, {"a": "x"}, {}, {"a": None}, {"a b": 1}],
    "environment_variables": [{"PATH": "x"}, {}, {"A": None}, {"A": ["x"]}, {"A B": "x"}],
    "contents": [{"de": {"name": "x"}}, {"xx": {"name": "x"}}, {"de": {"Name": "x"}},
                 {"de": {"ab": "x"}}, {}, {"de": "x"}, {"en-US": {"description": "y"}}],
    "received_lines": [["a"], [], [1]],
    "selectors": [["description"], ["labels.[0]"], ["labels.[5]"], ["id"], ["nope"],
                  ["description.[0]"], ["labels.x"], ["extensions"], [], ["Description"],
                  ["pattern.[3]"], ["granular_markings.[0].selectors"]],
}
SCO_VALUES: dict[str, list[Any]] = {
    "ipv4-addr": ["1.2.3.4", "256.1.1.1", "1.2.3", "01.2.3.4", "1.2.3.4/33", "1.2.3.4/0",
                  "1.2.3.4/24", " 1.2.3.4", "1.2.3.4\n", "::1", "", 16909060],
    "ipv6-addr": ["::1", "2001:db8::", "2001:db8::1/64", "fe80::1%eth0", "1:2:3:4:5:6:7:8",
                  "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3.4", "::ffff:1d2d3d4", "2001:db8:::1",
                  "gggg::", "s::1s", "2001:DB8::1", "::", "1.2.3.4", "::/129"],
    "domain-name": ["example.com", "münchen.de", "xn--mnchen-3ya.de", "-bad.com", "a..b",
                    "a" * 64 + ".com", "_dmarc.example.com", "exa mple.com", "example.com.",
                    "ab--cd.com", "xn--abc.com", "", "例え.jp", "a_b.com", "EXAMPLE.COM",
                    "x" * 250 + ".de", "ex\u200dample.com", "1.2.3.4"],
    "email-addr": ["a@b.co", "a@b", "a.b+c@d-e.fg", "@b.co", "a@b.c_o", "a b@c.de", "ä@b.de",
                   "a@b.co\n", "a@b..co", "a@b.co."],
    "url": ["https://x.example/a?b#c", "http://[::1]:80/", "ftp://a", "mailto:a@b.c",
            "example.com", "http://exa mple.com", "http://%zz", "urn:isbn:123", "http://a/\n",
            "http://ä.de", "file:///etc/passwd", "http://[v1.x]/", "http://[::g]/", "",
            "http://a:b@c:8080/p/../q;x?y=z#f", "https://example.org/%E2%82%AC", "1http://x"],
    "mac-addr": ["00:00:5e:00:53:af", "00:00:5E:00:53:AF", "00-00-5e-00-53-af",
                 "00:00:5e:00:53", "00:00:5e:00:53:af\n"],
}
HASH_VALUES = [
    {"MD5": "0123456789abcdef0123456789abcdef"}, {"MD5": "0123456789ABCDEF0123456789ABCDEF"},
    {"MD5": "0123"}, {"SHA-256": "ab" * 32}, {"SHA-256": "ab" * 31}, {"SHA256": "x"},
    {"sha-256": "ab" * 32}, {"SHA-384": "ab" * 48}, {"MD": "x"}, {"SHA 1": "x"}, {},
    {"MD5": 1}, {"SSDEEP": "3:abc:def"}, {"SSDEEP": "3 abc"}, {"TLSH": "T1" + "A" * 68},
    {"TLSH": "abc"}, {"SHA3-512": "cd" * 64}, {"x-custom-hash": "anything"}, "abc",
    {"SHA-1": "0123456789abcdef0123456789abcdef01234567\n"},
]
EXTENSION_VALUES = [
    {"x-foo-ext": {"a": 1}}, {"foo-ext": {}}, {"ext": {"a": 1}}, {"x-foo-ext": {"ab": 1}},
    {"extension-definition--" + _uuid(30): {"extension_type": "new-sdo"}},
    {"extension-definition--" + _uuid(31): {"extension_type": "bogus"}},
    {"extension-definition--" + _uuid(32): {"x_a": 1}},
    {"extension-definition--" + _uuid(33, "6"): {"extension_type": "new-sdo"}},
    {"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d": {
        "extension_type": "property-extension", "tlp_2_0": "amber"}},
    {"extension-definition--ef765651-680c-498d-9894-99799f2fa126": {
        "extension_type": "property-extension", "determination": None}},
    {"extension-definition--ef765651-680c-498d-9894-99799f2fa126": {
        "extension_type": "property-extension", "impacts": []}},
    {"extension-definition--" + _uuid(34): {"extension_type": "property-extension",
                                            "x_payload_bin": "AA=="}},
    {"extension-definition--" + _uuid(35): {"extension_type": "property-extension",
                                            "bad key": 1}},
    {}, "x", {"x-foo-ext": "a"}, {"archive-ext": {"contains_refs": ["file--" + _uuid(1)]}},
    {"archive-ext": {"comment": "x"}}, {"ntfs-ext": {"sid": "x"}}, {"ntfs-ext": {}},
    {"raster-image-ext": {"exif_tags": {"make": "x"}}},
    {"raster-image-ext": {"image_compression_algorithm": "jpeg"}},
    {"pdf-ext": {"document_info_dict": {"Title": 1}}},
    {"windows-pebinary-ext": {"pe_type": "dll"}},
    {"windows-pebinary-ext": {"pe_type": "dll", "time_date_stamp": "2026-01-01T00:00:00.5Z"}},
    {"windows-pebinary-ext": {"pe_type": "dll", "time_date_stamp": "2026-02-30T00:00:00Z"}},
    {"windows-pebinary-ext": {"pe_type": "dll", "optional_header": {"bogus": 1}}},
    {"windows-pebinary-ext": {"pe_type": "dll", "sections": [{"size": 1}]}},
    {"http-request-ext": {"request_method": "get"}},
    {"http-request-ext": {"request_method": "get", "request_value": "/",
                          "request_header": {"Host": "x"}}},
    {"socket-ext": {"address_family": "AF_INET", "options": {"so_x": 1}}},
    {"socket-ext": {"address_family": "AF_INET6", "options": {"TCP_NODELAY": 1}}},
    {"tcp-ext": {}}, {"icmp-ext": {"icmp_type_hex": "8", "icmp_code_hex": "00"}},
    {"windows-process-ext": {"integrity_level": "high"}},
    {"windows-process-ext": {"priority": "HIGH", "startup_info": {"lpReserved": None}}},
    {"windows-process-ext": {"owner_sid": "x", "startup_info": {"cbReserved2": 1}}},
    {"windows-service-ext": {"service_type": "bogus"}},
    {"unix-account-ext": {"gid": "1"}}, {"unix-account-ext": {"shell": "/bin/sh"}},
    {"ntfs-ext": {"alternate_data_streams": [5]}},
    {"ntfs-ext": {"alternate_data_streams": ["hashes"]}},
    {"ntfs-ext": {"alternate_data_streams": [{"name": "a"}, 5]}},
    {"ntfs-ext": {"alternate_data_streams": ["x", {"name": "a", "hashes": {"MD5": "0" * 32}}]}},
    {"windows-pebinary-ext": {"pe_type": "exe", "sections": [{"name": "a", "hashes": {"x": "y"}}]}},
]
EXTERNAL_REFERENCE_VALUES = [
    [{"source_name": "cve", "external_id": "CVE-2024-3400"}],
    [{"source_name": "cve", "external_id": "CVE-24-1"}], [{"source_name": "cve"}],
    [{"source_name": "capec", "external_id": "CAPEC-1"}],
    [{"source_name": "capec", "external_id": "CVE-2024-3400"}],
    [{"source_name": "CVE", "external_id": "CVE-2024-3400"}],
    [{"source_name": "x", "external_id": "CAPEC-9"}], [{"source_name": "x"}],
    [{"source_name": "x", "url": "not a url"}], [{"source_name": "x", "url": "https://a.b/c"}],
    [{"source_name": "x", "description": "d", "hashes": {"SHA-256": "ab" * 32}}],
    [{"source_name": "x", "description": "d", "hashes": {"SHA-384": "ab" * 48}}],
    [{"source_name": "x", "description": "d", "hashes": {"xSHA-1y": "ab"}}],
    [{"external_id": "x"}], [], "x", [{"source_name": 1, "external_id": "x"}],
    [{"source_name": "x", "external_id": 5}],
]
GRANULAR_VALUES = [
    [{"selectors": ["description"], "marking_ref": "marking-definition--" + _uuid(7)}],
    [{"selectors": ["description"], "lang": "de"}],
    [{"selectors": ["description"], "marking_ref": "identity--" + _uuid(7)}],
    [{"selectors": ["description"], "marking_ref": "marking-definition--" + _uuid(7),
      "lang": "en"}],
    [{"selectors": [], "marking_ref": "marking-definition--" + _uuid(7)}],
    [{"selectors": ["nope"], "marking_ref": "marking-definition--" + _uuid(7)}],
    [{"selectors": ["id"], "marking_ref": "marking-definition--" + _uuid(7)}],
    [{"selectors": ["name"], "marking_ref": "marking-definition--" + _uuid(7)}],
    [{"marking_ref": "marking-definition--" + _uuid(7)}], [], [1],
]
KILL_CHAIN_VALUES = [
    [{"kill_chain_name": "lockheed-martin-cyber-kill-chain", "phase_name": "delivery"}],
    [{"kill_chain_name": "x"}], [{"kill_chain_name": "x", "phase_name": 1}], [], ["x"],
    [{"kill_chain_name": "Mitre Attack", "phase_name": "Initial Access"}],
]
ADDED_PROPERTIES: list[tuple[str, Any]] = [
    ("x_foo", "bar"), ("x_foo", None), ("x_foo", []), ("x_foo", {}), ("x_foo", [None]),
    ("ab", 1), ("Abc", 1), ("x-foo", 1), ("xid", 1), ("Xid", 1), ("x_foo_bin", "AAAA"),
    ("x_foo_bin", "AAA"), ("x_foo_hex", "0a"), ("x_foo_hex", "0"), ("severity", "high"),
    ("action", 1), ("username", "x"), ("phone_numbers", ["1"]), ("x_nested", {"a": None}),
    ("x_" + "a" * 260, 1), ("x_\u00e4", 1), ("description", "text"), ("description", 1),
    ("created_by_ref", "identity--" + _uuid(100)), ("created_by_ref", "malware--" + _uuid(1)),
    ("created_by_ref", "nobody"), ("object_marking_refs", ["marking-definition--" + _uuid(7)]),
    ("object_marking_refs", ["identity--" + _uuid(7)]), ("object_marking_refs", []),
    ("lang", "de"), ("lang", "xx"), ("cpe", "cpe:2.3:a:vendor:product:1:*:*:*:*:*:*:*"),
    ("cpe", "cpe:/a:vendor:product:1"), ("cpe", "nonsense"),
    ("created", "2026-02-30T00:00:00.000Z"), ("created", "2026-01-01T00:00:00Z"),
    ("modified", "2025-01-01T00:00:00.000Z"), ("modified", 5), ("defanged", True),
    ("labels", ["a"]), ("objects", {"0": {"type": "x-a", "id": "x-a--" + _uuid(1)}}),
    ("x_children", [{"type": "indicator", "id": "indicator--" + _uuid(40),
                     "pattern": "[bad", "pattern_type": "stix"}]),
    ("x_children", [{"type": "indicator", "id": "indicator--" + _uuid(40),
                     "pattern": "[file:name = 'a']", "pattern_type": "stix"}]),
    ("x_children", [{"type": "x-thing", "id": "x", "lang": "xx"}]),
    ("x_children", [{"type": "process", "id": "process--" + _uuid(41, "1")}]),
    ("x_children", [{"type": "x-thing", "id": "x", "created": "2026-02-30T00:00:00Z"}]),
    ("granular_markings", [{"selectors": ["type"],
                            "marking_ref": "marking-definition--" + _uuid(7)}]),
    ("extensions", {"x-foo-ext": {"a": 1}}),
    ("external_references", [{"source_name": "x", "url": "https://a.b/"}]),
    ("external_references", [5]), ("external_references", ["url source_name"]),
    ("external_references", 5), ("external_references", [{"url": "x"}, 5]),
    ("external_references", ["x", None]),
    ("objects", {"0": {"type": "file", "id": "x", "hashes": 5}}), ("objects", {"0": {"id": "x"}}),
    ("objects", "x"), ("objects", {"0": "x"}), ("objects", {"0": {"type": "x-a", "id": "x"}}),
    ("x_children", [{"type": "identity", "id": "x", "sectors": [{}]}]),
    ("x_children", [{"type": "malware-analysis", "id": "x", "product": 1}]),
    ("x_children", [{"type": "location", "id": "x", "country": 1}]),
    ("x_children", [{"type": "x-a", "id": 5}]), ("x_children", [{"type": ["x"], "id": "x"}]),
    ("x_children", [{"type": "attack-pattern", "id": "x",
                     "kill_chain_phases": [{"kill_chain_name": "a"}]}]),
    ("x_children", [{"type": "x-a", "id": "x", "extensions": "y"}]),
    ("x_children", [{"type": "file", "id": "file--" + _uuid(42), "hashes": {"x": 1}}]),
    ("x_children", [{"type": "x-a", "id": "x", "external_references": [1]}]),
    ("x_children", [{"type": "identity", "id": "x", "name": "ok"}, "not an object"]),
    ("kill_chain_phases", [{"kill_chain_name": "a", "phase_name": "b"}]),
]
TYPES = [
    "x-foo", "X-Foo", "ab", "x--foo", "x-foo-", "-xfoo", "x_foo", "action", "bundle", "core",
    "properties", "dictionary", "identifier", "timestamp", "url-regex", "hex", "binary",
    "extension", "kill-chain-phase", "external-reference", "granular-marking", "hashes-type",
    "cyber-observable-core", "a" * 251, "indicator", "ipv4-addr", "marking-definition",
    "language-content", "observed-data", 5, None,
]
SWAP_TYPES = sorted(set(enums.TYPES) | set(enums.OBSERVABLE_TYPES)) + [
    "x-foo", "core", "properties", "dictionary", "extension", "cyber-observable-core",
    "kill-chain-phase", "external-reference", "granular-marking", "identifier", "x-file-thing",
]
WRONG_TYPES: list[Any] = [None, [], {}, "", 0, -1, 1.5, 2.0, True, "x", ["x"], [1], {"a": 1},
                          10**9]


def _id_values(kind: str) -> list[Any]:
    return [
        f"{kind}--{_uuid(50)}", f"{kind}--{_uuid(51, '1')}", f"{kind}--{_uuid(52, '5')}",
        f"{kind}--{_uuid(53, '0')}", f"{kind}--{_uuid(54, '7')}", f"{kind}--{_uuid(55, '4', 'c')}",
        f"{kind}--{_uuid(56).upper()}", f"{kind}--{_uuid(57)}\n", f"{kind}--not-a-uuid",
        f"x-other--{_uuid(58)}", _uuid(59), f"{kind}-{_uuid(60)}", f"{kind.upper()}--{_uuid(61)}",
        5,
    ]


def _patterns(rng: random.Random) -> list[str]:
    from core.test_patterns import corpus  # the generated pattern corpus
    return rng.sample(corpus(400, seed=99), 12)


def _values_for(name: str, obj: dict[str, Any], rng: random.Random) -> list[Any]:
    kind = obj.get("type")
    if name in VALUES_BY_NAME:
        return VALUES_BY_NAME[name]
    if name == "id":
        return _id_values(kind if isinstance(kind, str) else "x")
    if name == "type":
        return TYPES
    if name == "value" and kind in SCO_VALUES:
        return SCO_VALUES[kind]
    if name == "pattern":
        return _patterns(rng)
    if name in ("created", "modified", "published", "valid_from", "valid_until", "first_seen",
                "last_seen", "first_observed", "last_observed", "start_time", "stop_time",
                "submitted", "analysis_started", "analysis_ended", "ctime", "mtime", "atime",
                "date", "start", "end", "created_time", "modified_time", "account_created",
                "account_last_login", "validity_not_before", "validity_not_after"):
        return TS_VALUES
    if name.endswith("_ref") or name.endswith("_refs"):
        refs = rng.sample(REF_VALUES, 8)
        return refs + [[r] for r in rng.sample(REF_VALUES, 8)] + [[], "x"]
    if name in ("hashes", "file_header_hashes"):
        return HASH_VALUES
    if name == "extensions":
        return EXTENSION_VALUES
    if name == "external_references":
        return EXTERNAL_REFERENCE_VALUES
    if name == "granular_markings":
        return GRANULAR_VALUES
    if name == "kill_chain_phases":
        return KILL_CHAIN_VALUES
    return rng.sample(WRONG_TYPES, 5)


def _nested_mutations(value: Any, rng: random.Random) -> Iterator[Any]:
    """A few mutations one level inside a dict or a list of dicts."""
    if isinstance(value, dict) and value:
        keys = list(value)
        for key in rng.sample(keys, min(3, len(keys))):
            trimmed = dict(value)
            del trimmed[key]
            yield trimmed
            inner = value[key]
            if isinstance(inner, dict) and inner:
                for deeper in _nested_mutations(inner, rng):
                    yield {**value, key: deeper}
            else:
                yield {**value, key: rng.choice(WRONG_TYPES)}
        yield {**value, rng.choice(["x_extra", "Bad Key", "ab", "extension_type"]):
               rng.choice(["v", None, [], 1])}
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        for mutated in _nested_mutations(value[0], rng):
            yield [mutated] + value[1:]


def _mutations(seed: dict[str, Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    for key in seed:
        if key != "type":
            trimmed = dict(seed)
            del trimmed[key]
            yield trimmed
        values = _values_for(key, seed, rng)
        for value in rng.sample(values, min(len(values), 7)):
            yield {**seed, key: value}
        for value in _nested_mutations(seed[key], rng):
            yield {**seed, key: value}
    for key, value in rng.sample(ADDED_PROPERTIES, 14):
        yield {**seed, key: value}
    for kind in rng.sample(SWAP_TYPES, 6):
        yield {**seed, "type": kind, "id": f"{kind}--{_uuid(70)}"}


def _combination(seed: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    obj = copy.deepcopy(seed)
    for _ in range(rng.choice([2, 2, 3, 4])):
        roll = rng.random()
        keys = [k for k in obj if k != "type"]
        if roll < 0.25 and keys:
            del obj[rng.choice(keys)]
        elif roll < 0.45:
            key, value = rng.choice(ADDED_PROPERTIES)
            obj[key] = copy.deepcopy(value)
        elif keys:
            key = rng.choice(keys)
            options = list(_nested_mutations(obj[key], rng)) or _values_for(key, obj, rng)
            obj[key] = copy.deepcopy(rng.choice(options))
    return obj


def build_corpus(combinations: int = COMBINATIONS, seed: int = 2026) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    corpus: list[dict[str, Any]] = []
    seen: set[str] = set()

    def add(obj: dict[str, Any]) -> None:
        text = json.dumps(obj, sort_keys=True, ensure_ascii=False)
        if text not in seen:
            seen.add(text)
            corpus.append(obj)

    for seed_obj in SEEDS:
        add(seed_obj)
        for mutated in _mutations(seed_obj, rng):
            add(mutated)
    for tricky in TRICKY:
        add(tricky)
        for mutated in _mutations(tricky, rng):
            if rng.random() < 0.3:
                add(mutated)
    for _ in range(combinations):
        add(_combination(rng.choice(SEEDS + TRICKY), rng))
    return corpus


# --- Tests --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def verdicts() -> list[tuple[dict[str, Any], bool, str | None]]:
    logging.disable(logging.WARNING)  # stix2-validator logs warnings for some language codes
    try:
        return [(obj, stock_accepts(obj), validate(obj)) for obj in build_corpus()]
    finally:
        logging.disable(logging.NOTSET)


def test_seeds_are_valid_for_both():
    for obj in SEEDS:
        assert stock_accepts(obj), obj
        assert validate(obj) is None, (obj, validate(obj))


def test_project_objects_need_no_exception():
    """x-cyberhub-signature, incident-core and TLP 2.0 are accepted by both validators."""
    wanted = {"x-cyberhub-signature", "incident", "marking-definition"}
    checked = [obj for obj in SEEDS if obj["type"] in wanted and "extensions" in obj]
    assert {obj["type"] for obj in checked} == wanted
    for obj in checked:
        assert stock_accepts(obj) and validate(obj) is None
        assert intended_difference(obj) is None


def test_corpus_agreement(verdicts):
    accepted = sum(1 for _, ours_ok, problem in verdicts if problem is None)
    rejected = len(verdicts) - accepted
    assert len(verdicts) > 5000 and accepted > 500 and rejected > 2500, (accepted, rejected)
    disagreements = []
    for obj, stock_ok, problem in verdicts:
        if stock_ok == (problem is None):
            continue
        if stock_ok and intended_difference(obj, problem):
            continue
        disagreements.append((obj, stock_ok, problem))
    assert not disagreements, json.dumps(disagreements[:5], indent=1, ensure_ascii=False,
                                         default=str)


def test_intended_differences_are_exercised(verdicts):
    seen = {intended_difference(obj, problem) for obj, stock_ok, problem in verdicts
            if stock_ok and problem is not None}
    assert seen == {difference[0] for difference in INTENDED_DIFFERENCES}, seen


def test_every_type_is_in_the_corpus(verdicts):
    types = {obj["type"] for obj, _, problem in verdicts if problem is None}
    assert set(enums.TYPES) - {"bundle"} <= types
    assert set(enums.OBSERVABLE_TYPES) <= types


def test_registries_match_stix2_validator():
    assert LANGUAGES == set(enums.LANG_CODES)
    assert SOFTWARE_LANGUAGES == set(enums.SOFTWARE_LANG_CODES)
    assert CHARACTER_SETS == set(enums.char_sets())
    assert MEDIA_TYPES == set(enums.media_types())


def test_messages_are_specific(verdicts):
    """Messages are one sentence that starts with the property (or a lowercase word)."""
    for _obj, _, problem in verdicts:
        if problem is not None:
            assert len(problem) < 400, problem
            assert problem[0] == "'" or problem[0].islower(), problem
            assert "cannot be checked" not in problem, problem


# --- Building blocks compared with what stix2-validator calls ------------------------------------

def _uri_candidates(rng: random.Random, count: int) -> list[str]:
    schemes = ["http", "https", "ftp", "mailto", "urn", "file", "h", "a+b.c-d", "1x", "", "ht tp",
               "HTTP", "ä"]
    hosts = ["example.org", "a.b", "", "1.2.3.4", "256.1.1.1", "[::1]", "[2001:db8::1]",
             "[v1.a:b]", "[::g]", "[1:2:3:4:5:6:7:8]", "[1:2:3:4:5:6:7:8:9]", "[::ffff:1.2.3.4]",
             "exa mple", "ex%41mple", "ex%4", "ä.de", "a_b~c!$&'()*+,;=", "[v.x]", "[fe80::1%25a]"]
    pieces = ["/", "/a", "/a/b", "//", "/%20", "/%zz", "/ä", "/a:b@c", "?q=1", "?a/b?c", "#f",
              "#f#g", "?", "#", " ", "\n", "\\", "/{x}", "/a|b", "/[x]", "'", "@"]
    out = []
    for _ in range(count):
        text = rng.choice(schemes) + rng.choice([":", ":", "", "::"])
        if rng.random() < 0.7:
            text += "//"
            if rng.random() < 0.2:
                text += rng.choice(["user", "u:p", "u%40", "u@x", ""]) + "@"
            text += rng.choice(hosts)
            if rng.random() < 0.3:
                text += rng.choice([":80", ":", ":x", ":65536"])
        for _ in range(rng.choice([0, 1, 2, 3])):
            text += rng.choice(pieces)
        out.append(text)
    return out


def test_uri_format_matches_jsonschema():
    import stix2validator.validator  # noqa: F401 - registers its "email" checker
    from jsonschema import Draft202012Validator
    checker = Draft202012Validator.FORMAT_CHECKER
    rng = random.Random(1)
    for text in _uri_candidates(rng, 6000):
        assert is_uri(text) == checker.conforms(text, "uri"), text
    for text in ["a@b.co", "a@b", "x.y+z@a-b.c-d", "a@b.co\n", "a@@b.co", "ä@b.de"]:
        assert (EMAIL.match(text) is not None) == checker.conforms(text, "email")
    for text in SCO_VALUES["domain-name"]:
        assert is_hostname(text) == checker.conforms(text, "idn-hostname"), text


def _cpe_candidates(rng: random.Random, count: int) -> list[str]:
    components = ["*", "-", "", "abc", "a*", "*a", "a*b", "?a", "a?", "??a", "a??", "a?b", "?",
                  "??", "\\:", "a\\*b", "\\?", "é", "a b", "a.b", "a_b", "a-b", "!", "a!", "\\!",
                  "de", "de-de", "*de", "?e", "d?", "de-*", "de-12", "123", "de-123", "*12",
                  "e*", "deu", "de-?", "de-??", "*d*", "?d?", "a\\", "A", "1.0", "x:y", "*1",
                  "d*", "de*", "?de", "??", "a?c?", "*-1", "\\-", "a%20", "~", "*?", "?*"]
    out = []
    for _ in range(count):
        head = rng.choice(["cpe:2.3:", "cpe:2.3:", "cpe:2.3:", "CPE:2.3:", "cpe:2x3:", "cpe:2.3"])
        part = rng.choice(["a", "o", "h", "*", "-", "x", "A"])
        rest = [rng.choice(components) for _ in range(rng.choice([10, 10, 10, 9, 11]))]
        if rng.random() < 0.5:
            rest = [rng.choice(["x", "1.0", "*", "-"]) for _ in rest]
            rest[rng.randrange(len(rest))] = rng.choice(components)
        out.append(head + part + ":" + ":".join(rest))
    return out


def test_cpe_formatted_strings_match_the_cpe_package():
    from cpe.cpe2_3_fs import CPE2_3_FS
    rng = random.Random(2)
    for text in _cpe_candidates(rng, 6000):
        try:
            CPE2_3_FS(text)
            expected = True
        except ValueError:
            expected = False
        assert cpe_formatted_string(text) == expected, text


def _timestamps(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        year = rng.choice(["0000", "0001", "1900", "2000", "2023", "2024", "2100", "9999"])
        month = rng.choice(["01", "02", "04", "06", "09", "11", "12"])
        day = rng.choice(["01", "28", "29", "30", "31"])
        hour = rng.choice(["00", "12", "23"])
        second = rng.choice(["00", "59", "60"])
        fraction = rng.choice(["", ".0", ".5", ".123", ".123456", ".1234567", ".000000000"])
        tail = rng.choice(["Z", "Z", "Z", "Z\n"])
        out.append(f"{year}-{month}-{day}T{hour}:30:{second}{fraction}{tail}")
    return out


def test_timestamp_checks_match_stix2_validator():
    from dateutil import parser
    from stix2validator.v21 import musts
    rng = random.Random(3)
    stamps = _timestamps(rng, 4000)
    for text in stamps:
        try:
            parser.parse(text)
            expected = True
        except ValueError:
            expected = False
        assert (_real_date(text, "t") is None) == expected, text
        assert _parsed_time(text) == musts.datetime_from_str(text), text
    for _ in range(4000):
        first, second = rng.choice(stamps), rng.choice(stamps + ["x", "2026", ""])
        for op, strictly in (("gt", True), ("ge", False)):
            assert _in_order(first, strictly, second) == musts.compare(
                first, op, second), (first, op, second)

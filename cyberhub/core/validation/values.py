"""Values as JSON Schema sees them, and the regular expressions from the STIX 2.1 schemas.

The type tests answer as JSON Schema does, not as Python does: an integral float is an integer,
a bool is neither an integer nor a number. The patterns are the schemas' own and are searched,
not matched, as JSON Schema does: a pattern is only anchored where it says so, and `$` also
matches before a final line break. Where a pattern is rewritten (to stop exponential
backtracking) it is the same language, and the comment says so. `is_uri` and `is_hostname` are
the "uri" and "idn-hostname" formats as jsonschema checks them.
"""

from __future__ import annotations

import re
from typing import Any

import idna

# --- Values as JSON Schema sees them ------------------------------------------------------------


def is_int(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def member(value: Any, values: frozenset[str]) -> bool:
    """`value in values` as Python's list membership answers it (no error for lists)."""
    return type(value) is str and value in values


def show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def a_value(value: Any) -> bool:
    """properties.json / dictionary.json: any JSON value except null and the empty list."""
    return value is not None and value != []


# --- Regular expressions from the schemas (searched, as JSON Schema does) ------------------------

# core.json / cyber-observable-core.json write this as ^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-?$ which
# backtracks exponentially on long non-matching names; this is the same language.
TYPE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?$")
UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}"
IDENTIFIER = re.compile(r"^[a-z][a-z0-9-]+[a-z0-9]--" + UUID + "$")
TIMESTAMP = re.compile(
    r"^[0-9]{4}-(0[1-9]|1[012])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):([0-5][0-9]):"
    r"([0-5][0-9]|60)(\.[0-9]+)?Z$"
)
MILLIS = re.compile(r"T\d{2}:\d{2}:\d{2}\.\d{3,}Z$")
SECONDS_ONLY = re.compile(r"T\d{2}:\d{2}:\d{2}Z$")
BINARY = re.compile(
    r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$")
HEX = re.compile(r"^([a-fA-F0-9]{2})+$")
# properties.json: the property names a STIX object may use and what they constrain.
BIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,245}_bin$")
HEX_NAME = re.compile(r"^[a-z][a-z0-9_]{0,245}_hex$")
PLAIN_NAME = re.compile(r"^([a-z][a-z0-9_]{2,249})|id$")
DICT_KEY = re.compile(r"^[a-zA-Z0-9_-]{0,250}$")
HASH_KEY = re.compile(r"^[a-zA-Z0-9_-]{3,250}$")
# Same language as the schemas' ^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-ext$ without the backtracking.
EXT_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\-ext$")
EXT_DEF_NAME = re.compile(r"^extension-definition--" + UUID + "$")
SELECTOR = re.compile(r"^([a-z0-9_-]{3,249}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$")
RESERVED = ("severity", "action", "username", "phone_numbers")
EXTENSION_TYPES = ("new-sdo", "new-sco", "new-sro", "property-extension",
                   "toplevel-property-extension")

# stix2-validator musts.py
PROPERTY_FORMAT = re.compile(r"^[a-z0-9_]{3,250}$")
EMAIL = re.compile(r"(^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$)")

# RFC 3986 "URI", as jsonschema checks format "uri" (with rfc3986-validator; `$` again admits a
# final line break).
_H16 = "[0-9A-Fa-f]{1,4}"
_DEC_OCTET = "(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)"
_IPV4 = rf"(?:{_DEC_OCTET}\.){{3}}{_DEC_OCTET}"
_LS32 = rf"(?:{_H16}:{_H16}|{_IPV4})"
_IPV6 = (
    rf"(?:(?:{_H16}:){{6}}{_LS32}"
    rf"|::(?:{_H16}:){{5}}{_LS32}"
    rf"|(?:{_H16})?::(?:{_H16}:){{4}}{_LS32}"
    rf"|(?:(?:{_H16}:)?{_H16})?::(?:{_H16}:){{3}}{_LS32}"
    rf"|(?:(?:{_H16}:){{,2}}{_H16})?::(?:{_H16}:){{2}}{_LS32}"
    rf"|(?:(?:{_H16}:){{,3}}{_H16})?::{_H16}:{_LS32}"
    rf"|(?:(?:{_H16}:){{,4}}{_H16})?::{_LS32}"
    rf"|(?:(?:{_H16}:){{,5}}{_H16})?::{_H16}"
    rf"|(?:(?:{_H16}:){{,6}}{_H16})?::)"
)
_UNRESERVED_SUB = r"a-zA-Z0-9_.~\-!$&'()*+,;="
_PCT = "%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED_SUB}:@]|{_PCT})"
_QUERY = rf"(?:[{_UNRESERVED_SUB}:@/?]|{_PCT})*"
_AUTHORITY = (
    rf"(?:(?:[{_UNRESERVED_SUB}:]|{_PCT})*@)?"
    rf"(?:\[(?:{_IPV6}|v[0-9A-Fa-f]+\.[{_UNRESERVED_SUB}:]+)\]|{_IPV4}|(?:[{_UNRESERVED_SUB}]|{_PCT})*)"
    r"(?::[0-9]*)?"
)
_URI = re.compile(
    rf"^[a-zA-Z][a-zA-Z0-9+.-]*:"
    rf"(?://{_AUTHORITY}(?:/{_PCHAR}*)*|/(?:{_PCHAR}+(?:/{_PCHAR}*)*)?|{_PCHAR}+(?:/{_PCHAR}*)*|)"
    rf"(?:\?{_QUERY})?(?:\#{_QUERY})?$"
)


def is_uri(value: str) -> bool:
    return _URI.match(value) is not None


def is_hostname(value: str) -> bool:
    """jsonschema's "idn-hostname": whatever idna.encode accepts."""
    try:
        idna.encode(value)
    except (idna.IDNAError, UnicodeError):
        return False
    return True

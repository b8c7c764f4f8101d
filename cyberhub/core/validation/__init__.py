"""STIX 2.1 object validation, fast enough for the ingest hot path.

`validate(obj)` returns the first problem as a sentence naming the property, or None. It rejects
exactly what stix2-validator 3.x reports as errors for the object on its own with
`ValidationOptions(version="2.1")`: the bundled STIX 2.1 JSON schemas, the "MUST" checks
(real calendar dates, timestamp order, granular-marking selectors, references inside
observed-data, IANA media types and character sets, language codes, CPE names, UUID versions)
and the STIX pattern of every indicator with pattern_type "stix" (`cyberhub.patterns`). The
"SHOULD" checks are warnings there and are not applied here. Custom objects and properties are
accepted as the validator accepts them by default.

The hub deliberately differs in four ways, always by refusing (tests/test_validation_equivalence.py
names them): bundles as objects; objects whose spec_version is not "2.1"; `cpe` values that are
not CPE 2.3 formatted strings (the validator also accepts the URI and WFN bindings); and STIX
patterns nested more than 100 parentheses deep (cyberhub.patterns.MAX_NESTING).

Where stix2-validator raises an exception instead of answering (it does on many malformed
objects, in its MUST and SHOULD code alike), the object is refused here too, with a message.

The checks follow the schemas literally, including their quirks (JSON Schema patterns are
searched, not anchored, so `$` also matches before a final line break), because the promise is
equivalence; comments mark the places where the quirk is the reason for the code.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable, Iterable

import idna

from cyberhub.core.patterns import pattern_problem
from cyberhub.core.validation.registries import (
    CHARACTER_SETS,
    LANGUAGES,
    MEDIA_TYPES,
    SOFTWARE_LANGUAGES,
)

Check = Callable[[Any, str], "str | None"]

# --- Values as JSON Schema sees them ------------------------------------------------------------


def _is_int(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def _is_number(value: Any) -> bool:
    kind = type(value)
    return kind is int or kind is float


def _member(value: Any, values: frozenset[str]) -> bool:
    """`value in values` as Python's list membership answers it (no error for lists)."""
    return type(value) is str and value in values


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _a_value(value: Any) -> bool:
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
_MILLIS = re.compile(r"T\d{2}:\d{2}:\d{2}\.\d{3,}Z$")
_SECONDS_ONLY = re.compile(r"T\d{2}:\d{2}:\d{2}Z$")
_BINARY = re.compile(
    r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)$")
_HEX = re.compile(r"^([a-fA-F0-9]{2})+$")
# properties.json: the property names a STIX object may use and what they constrain.
_BIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,245}_bin$")
_HEX_NAME = re.compile(r"^[a-z][a-z0-9_]{0,245}_hex$")
_PLAIN_NAME = re.compile(r"^([a-z][a-z0-9_]{2,249})|id$")
_DICT_KEY = re.compile(r"^[a-zA-Z0-9_-]{0,250}$")
_HASH_KEY = re.compile(r"^[a-zA-Z0-9_-]{3,250}$")
# Same language as the schemas' ^([a-z][a-z0-9]*)+(-[a-z0-9]+)*\-ext$ without the backtracking.
_EXT_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*\-ext$")
_EXT_DEF_NAME = re.compile(r"^extension-definition--" + UUID + "$")
_SELECTOR = re.compile(r"^([a-z0-9_-]{3,249}(\.(\[\d+\]|[a-z0-9_-]{1,250}))*|id)$")
_RESERVED = ("severity", "action", "username", "phone_numbers")
_EXTENSION_TYPES = ("new-sdo", "new-sco", "new-sro", "property-extension",
                    "toplevel-property-extension")

# stix2-validator musts.py
_PROPERTY_FORMAT = re.compile(r"^[a-z0-9_]{3,250}$")
_EMAIL = re.compile(r"(^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$)")

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


def _is_uri(value: str) -> bool:
    return _URI.match(value) is not None


def _is_hostname(value: str) -> bool:
    """jsonschema's "idn-hostname": whatever idna.encode accepts."""
    try:
        idna.encode(value)
    except (idna.IDNAError, UnicodeError):
        return False
    return True


# --- Checks: functions (value, name) -> problem or None -----------------------------------------


def _typed(test: Callable[[Any], bool], what: str) -> Check:
    def check(value: Any, name: str) -> str | None:
        return None if test(value) else f"'{name}' must be {what}, got {_show(value)}"
    return check


STRING = _typed(lambda v: type(v) is str, "a string")
BOOLEAN = _typed(lambda v: type(v) is bool, "true or false")
INTEGER = _typed(_is_int, "an integer")
NUMBER = _typed(_is_number, "a number")
OBJECT = _typed(lambda v: type(v) is dict, "a JSON object")


def _integer(low: int | None = None, high: int | None = None) -> Check:
    def check(value: Any, name: str) -> str | None:
        if not _is_int(value) or (low is not None and value < low) or (
            high is not None and value > high
        ):
            if high is None:
                return f"'{name}' must be an integer of at least {low}, got {_show(value)}"
            return f"'{name}' must be an integer from {low} to {high}, got {_show(value)}"
        return None
    return check


def _number(low: float, high: float) -> Check:
    def check(value: Any, name: str) -> str | None:
        if not _is_number(value) or not low <= value <= high:
            return f"'{name}' must be a number from {low} to {high}, got {_show(value)}"
        return None
    return check


def _matching(regex: re.Pattern[str], what: str) -> Check:
    def check(value: Any, name: str) -> str | None:
        if type(value) is not str or not regex.search(value):
            return f"'{name}' must be {what}, got {_show(value)}"
        return None
    return check


def _formatted(test: Callable[[str], bool], what: str) -> Check:
    def check(value: Any, name: str) -> str | None:
        if type(value) is not str:
            return f"'{name}' must be a string, got {_show(value)}"
        if not test(value):
            return f"'{name}' must be {what}, got {_show(value)}"
        return None
    return check


def _one_of(values: Iterable[str]) -> Check:
    allowed = tuple(values)

    def check(value: Any, name: str) -> str | None:
        if type(value) is not str or value not in allowed:
            return f"'{name}' must be one of {', '.join(allowed)}, got {_show(value)}"
        return None
    return check


def _all(*checks: Check) -> Check:
    def check(value: Any, name: str) -> str | None:
        for one in checks:
            problem = one(value, name)
            if problem:
                return problem
        return None
    return check


def _array(item: Check | None = None, min_items: int = 0) -> Check:
    def check(value: Any, name: str) -> str | None:
        if type(value) is not list:
            return f"'{name}' must be a list, got {_show(value)}"
        if len(value) < min_items:
            return f"'{name}' must not be an empty list"
        if item is not None:
            for index, element in enumerate(value):
                problem = item(element, f"{name}[{index}]")
                if problem:
                    return problem
        return None
    return check


TIMESTAMP_CHECK = _matching(TIMESTAMP, "a timestamp like 2026-01-31T12:00:00Z")
MILLIS_CHECK = _all(
    TIMESTAMP_CHECK,
    _matching(_MILLIS, "a timestamp with milliseconds like 2026-01-31T12:00:00.000Z"),
)
IDENTIFIER_CHECK = _matching(IDENTIFIER, "a STIX identifier like 'identity--' + UUID")
HEX_CHECK = _matching(_HEX, "hexadecimal with an even number of digits")
BINARY_CHECK = _matching(_BINARY, "base64-encoded")
STRINGS = _array(STRING, 1)
REFS = _array(IDENTIFIER_CHECK, 1)


def _ref_to(*types: str) -> Check:
    prefix = re.compile("^(" + "|".join(re.escape(t) for t in types) + ")--")
    what = " or ".join(types)

    def check(value: Any, name: str) -> str | None:
        problem = IDENTIFIER_CHECK(value, name)
        if problem:
            return problem
        if not prefix.search(value):
            return f"'{name}' must refer to {what}, not {_show(value)}"
        return None
    return check


def _ref_not_to(regex: str, what: str) -> Check:
    compiled = re.compile(regex)

    def check(value: Any, name: str) -> str | None:
        problem = IDENTIFIER_CHECK(value, name)
        if problem:
            return problem
        if compiled.search(value):
            return f"'{name}' must not refer to {what}, got {_show(value)}"
        return None
    return check


@lru_cache(maxsize=8192)
def _name_rules(key: str) -> tuple[bool, bool, bool]:
    """properties.json: (ends in _bin, ends in _hex, plain name) for a property name."""
    return (
        _BIN_NAME.search(key) is not None,
        _HEX_NAME.search(key) is not None,
        _PLAIN_NAME.search(key) is not None,
    )


def _property_rules(obj: dict[str, Any], where: str) -> str | None:
    """properties.json applied to every property of an object (or of an extension)."""
    for key, value in obj.items():
        is_bin, is_hex, is_plain = _name_rules(key)
        if not (is_bin or is_hex or is_plain):
            return (
                f"property name {where}{key!r} is not allowed: use 3 to 250 lowercase letters, "
                "digits and underscores, starting with a letter"
            )
        if is_plain and not _a_value(value):
            return f"'{where}{key}' must not be null or an empty list"
        if is_bin:
            problem = BINARY_CHECK(value, where + key)
            if problem:
                return problem + " (property names ending in _bin hold base64)"
        if is_hex:
            problem = HEX_CHECK(value, where + key)
            if problem:
                return problem + " (property names ending in _hex hold hex)"
    return None


def _dictionary(value: Any, name: str) -> str | None:
    """dictionary.json: a non-empty object with simple keys and non-null values."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {_show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    for key, item in value.items():
        if not _DICT_KEY.search(key):
            return (f"key {key!r} in '{name}' is not allowed: use up to 250 letters, digits, "
                    "'_' and '-'")
        if not _a_value(item):
            return f"'{name}.{key}' must not be null or an empty list"
    return None


def _dictionary_of(rules: list[tuple[re.Pattern[str], Check]], closed: bool) -> Check:
    """dictionary.json plus patternProperties (and additionalProperties false if closed)."""
    def check(value: Any, name: str) -> str | None:
        problem = _dictionary(value, name)
        if problem:
            return problem
        for key, item in value.items():
            matched = False
            for regex, rule in rules:
                if regex.search(key):
                    matched = True
                    problem = rule(item, f"{name}.{key}")
                    if problem:
                        return problem
            if closed and not matched:
                return f"key {key!r} is not allowed in '{name}'"
        return None
    return check


_HASH_VALUES = {
    "MD5": re.compile(r"^MD5$"), "SHA-1": re.compile(r"^SHA-1$"),
    "SHA-256": re.compile(r"^SHA-256$"), "SHA-512": re.compile(r"^SHA-512$"),
    "SHA3-256": re.compile(r"^SHA3-256$"), "SHA3-512": re.compile(r"^SHA3-512$"),
    "SSDEEP": re.compile(r"^SSDEEP$"), "TLSH": re.compile(r"^TLSH$"),
}
_HASH_FORMATS = {
    "MD5": (re.compile(r"^[a-fA-F0-9]{32}$"), "32 hex digits"),
    "SHA-1": (re.compile(r"^[a-fA-F0-9]{40}$"), "40 hex digits"),
    "SHA-256": (re.compile(r"^[a-fA-F0-9]{64}$"), "64 hex digits"),
    "SHA-512": (re.compile(r"^[a-fA-F0-9]{128}$"), "128 hex digits"),
    "SHA3-256": (re.compile(r"^[a-fA-F0-9]{64}$"), "64 hex digits"),
    "SHA3-512": (re.compile(r"^[a-fA-F0-9]{128}$"), "128 hex digits"),
    "SSDEEP": (re.compile(r"^[a-zA-Z0-9/+:.]{1,128}$"), "an ssdeep digest"),
    "TLSH": (re.compile(r"^[a-zA-Z0-9]{70}$"), "70 letters and digits"),
}


def _hashes(value: Any, name: str) -> str | None:
    """hashes-type.json."""
    problem = _dictionary(value, name)
    if problem:
        return problem
    for key, digest in value.items():
        if not _HASH_KEY.search(key):
            return f"hash algorithm name {key!r} in '{name}' must be 3 to 250 letters or digits"
        if type(digest) is not str:
            return f"'{name}.{key}' must be a string, got {_show(digest)}"
        for algorithm, regex in _HASH_VALUES.items():
            if regex.search(key):
                shape, what = _HASH_FORMATS[algorithm]
                if not shape.search(digest):
                    return f"'{name}.{key}' must be {what}, got {_show(digest)}"
    return None


_EXTREF_HASH_NAME = re.compile(r"^MD5|SHA-1|SHA-256|SHA-512|SHA3-256|SHA3-512|SSDEEP|TLSH$")
_CVE_SOURCE = re.compile(r"^cve$")
_CAPEC_SOURCE = re.compile(r"^capec$")
_CVE_ID = re.compile(r"^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$")
_CAPEC_ID = re.compile(r"^CAPEC-\d+$")
_SPECIAL_SOURCE = re.compile(r"^((cve)|(capec))$")
_SPECIAL_ID = re.compile(r"^((CVE-\d{4}-(0\d{3}|[1-9]\d{3,}))|(CAPEC-\d+))$")


def _external_reference(value: Any, name: str) -> str | None:
    """external-reference.json."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {_show(value)}"
    problem = None
    if "description" in value:
        problem = STRING(value["description"], name + ".description")
    if not problem and "url" in value:
        problem = URI_CHECK(value["url"], name + ".url")
    if not problem and "hashes" in value:
        hashes = value["hashes"]
        problem = _hashes(hashes, name + ".hashes")
        if not problem and type(hashes) is dict:
            for key in hashes:
                if not _EXTREF_HASH_NAME.search(key):
                    problem = (f"'{name}.hashes' may only use MD5, SHA-1, SHA-256, SHA-512, "
                               f"SHA3-256, SHA3-512, SSDEEP and TLSH, not {key!r}")
                    break
    if problem:
        return problem
    if "source_name" not in value:
        return f"'{name}.source_name' is required"
    source = value["source_name"]
    if type(source) is not str:
        return f"'{name}.source_name' must be a string, got {_show(source)}"
    has_id = "external_id" in value
    external_id = value.get("external_id")
    if has_id and type(external_id) is not str:
        return f"'{name}.external_id' must be a string, got {_show(external_id)}"
    for source_rx, id_rx, label, example in (
        (_CVE_SOURCE, _CVE_ID, "cve", "CVE-2024-12345"),
        (_CAPEC_SOURCE, _CAPEC_ID, "capec", "CAPEC-123"),
    ):
        if source_rx.search(source):
            if not has_id:
                return f"'{name}.external_id' is required when source_name is '{label}'"
            if not id_rx.search(external_id):
                return (f"'{name}.external_id' must look like {example} when source_name is "
                        f"'{label}', got {_show(external_id)}")
            return None
    if _SPECIAL_SOURCE.search(source):
        return f"'{name}.source_name' must be exactly 'cve' or 'capec', got {_show(source)}"
    if has_id and _SPECIAL_ID.search(external_id):
        return (f"'{name}.external_id' {_show(external_id)} needs source_name 'cve' or 'capec', "
                f"not {_show(source)}")
    if not (has_id or "description" in value or "url" in value):
        return f"'{name}' needs 'external_id', 'description' or 'url' besides 'source_name'"
    return None


def _granular_marking(value: Any, name: str) -> str | None:
    """granular-marking.json."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {_show(value)}"
    for required in ("selectors", "marking_ref"):
        if required not in value:
            return f"'{name}.{required}' is required"
    problem = _array(_matching(_SELECTOR, "a selector like 'description' or 'labels.[0]'"), 1)(
        value["selectors"], name + ".selectors"
    )
    if not problem and "lang" in value:
        problem = STRING(value["lang"], name + ".lang")
    return problem or _ref_to("marking-definition")(value["marking_ref"], name + ".marking_ref")


def _kill_chain_phase(value: Any, name: str) -> str | None:
    """kill-chain-phase.json."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {_show(value)}"
    for required in ("kill_chain_name", "phase_name"):
        if required not in value:
            return f"'{name}.{required}' is required"
        problem = STRING(value[required], f"{name}.{required}")
        if problem:
            return problem
    return None


URI_CHECK = _formatted(_is_uri, "an absolute URI like https://example.org/path")
KILL_CHAIN_PHASES = _array(_kill_chain_phase, 1)


def _extension(value: Any, name: str) -> str | None:
    """extension.json: the value of an extension-definition--... extension."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {_show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    if "extension_type" not in value:
        return f"'{name}.extension_type' is required"
    problem = _one_of(_EXTENSION_TYPES)(value["extension_type"], name + ".extension_type")
    return problem or _property_rules(value, name + ".")


def _extensions(value: Any, name: str) -> str | None:
    """core.json / cyber-observable-core.json: the 'extensions' property."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {_show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    for key, extension in value.items():
        where = f"{name}.{key}"
        if _EXT_DEF_NAME.search(key):
            problem = _extension(extension, where)
        elif _EXT_NAME.search(key):
            if type(extension) is not dict:
                return f"'{where}' must be a JSON object, got {_show(extension)}"
            if not extension:
                return f"'{where}' must not be empty"
            problem = _property_rules(extension, where + ".")
        else:
            return (f"extension name {key!r} is not allowed: use 'extension-definition--' and a "
                    "UUID, or a name ending in '-ext'")
        if problem:
            return problem
    return None


def _marking_extensions(value: Any, name: str) -> str | None:
    """marking-definition.json: only extension-definition--... extensions."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {_show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    for key, extension in value.items():
        if not _EXT_DEF_NAME.search(key):
            return (f"extension name {key!r} is not allowed on a marking-definition: use "
                    "'extension-definition--' and a UUID")
        problem = _extension(extension, f"{name}.{key}")
        if problem:
            return problem
    return None


# --- Object schemas -----------------------------------------------------------------------------


class _Spec:
    """One object schema: property checks, required properties, and a check of the whole."""

    __slots__ = ("properties", "required", "whole", "core")

    def __init__(self, core: str, properties: dict[str, Check], required: tuple[str, ...] = (),
                 whole: Callable[[dict[str, Any]], str | None] | None = None) -> None:
        self.core = core
        self.properties = properties
        self.required = required
        self.whole = whole


def _id_of(kind: str) -> Check:
    prefix = re.compile("^" + re.escape(kind) + "--")

    def check(value: Any, name: str) -> str | None:
        problem = IDENTIFIER_CHECK(value, name)
        if problem:
            return problem
        if not prefix.search(value):
            return f"'id' must start with '{kind}--', got {_show(value)}"
        return None
    return check


_CORE_PROPERTIES: dict[str, Check] = {
    "spec_version": _one_of(("2.0", "2.1")),
    "id": IDENTIFIER_CHECK,
    "created_by_ref": IDENTIFIER_CHECK,
    "labels": STRINGS,
    "created": MILLIS_CHECK,
    "modified": MILLIS_CHECK,
    "revoked": BOOLEAN,
    "confidence": _integer(0, 100),
    "lang": STRING,
    "external_references": _array(_external_reference, 1),
    "object_marking_refs": REFS,
    "granular_markings": _array(_granular_marking, 1),
    "extensions": _extensions,
}
_CORE_REQUIRED = ("spec_version", "id", "created", "modified")
_SCO_PROPERTIES: dict[str, Check] = {
    "spec_version": _one_of(("2.0", "2.1")),
    "object_marking_refs": REFS,
    "granular_markings": _array(_granular_marking, 1),
    "defanged": BOOLEAN,
    "id": IDENTIFIER_CHECK,
    "extensions": _extensions,
}


def _any_of(names: tuple[str, ...], message: str) -> Callable[[dict[str, Any]], str | None]:
    def check(obj: dict[str, Any]) -> str | None:
        for name in names:
            if name in obj:
                return None
        return message
    return check


def _location(obj: dict[str, Any]) -> str | None:
    has_lat, has_long = "latitude" in obj, "longitude" in obj
    if not ("region" in obj or "country" in obj or (has_lat and has_long)):
        return "a location needs 'region', 'country', or 'latitude' and 'longitude'"
    if has_lat != has_long:
        return "a location needs both 'latitude' and 'longitude', or neither"
    if "precision" in obj and not has_lat:
        return "'precision' needs 'latitude' and 'longitude'"
    return None


def _malware(obj: dict[str, Any]) -> str | None:
    family = obj["is_family"]
    if family is True:
        return None if "name" in obj else "a malware family (is_family true) needs a 'name'"
    if family is False:
        return None
    return f"'is_family' must be true or false, got {_show(family)}"


def _malware_analysis(obj: dict[str, Any]) -> str | None:
    if "result" not in obj and "analysis_sco_refs" not in obj:
        return "a malware-analysis needs 'result' or 'analysis_sco_refs'"
    return None


_NOT_IN_OBSERVED_REFS = re.compile(
    "^(attack-pattern|campaign|course-of-action|grouping|identity|incident|indicator|"
    "infrastructure|intrusion-set|location|malware-analysis|malware|note|observed-data|opinion|"
    "report|threat-actor|tool|vulnerability)"
)
_OBSERVED_REF_TYPES = re.compile(
    "^(autonomous-system--|directory--|domain-name--|email-addr--|email-message--|file--|"
    "ipv4-addr--|ipv6-addr--|mac-addr--|mutex--|network-traffic--|process--|software--|url--|"
    "user-account--|windows-registry-key--|x509-certificate--|relationship--|sighting--)"
)


def _observed_ref(value: Any, name: str) -> str | None:
    if type(value) is not str:
        return f"'{name}' must be a string, got {_show(value)}"
    if IDENTIFIER.search(value) and not _NOT_IN_OBSERVED_REFS.search(value):
        return None
    if _OBSERVED_REF_TYPES.search(value):
        return None
    return f"'{name}' must refer to an SCO, relationship or sighting, not {_show(value)}"


# observed-data.json: an embedded object that is not one of the STIX SCOs is only accepted
# ("custom") if its type does not match this (unanchored) alternation.
_SCO_TYPE_ALTERNATION = re.compile(
    "^artifact|directory|file|mutex|process|software|user-account|windows-registry-key|"
    "x509-certificate|autonomous-system|domain-name|email-addr|email-message|ipv4-addr|ipv6-addr|"
    "mac-addr|network-traffic|url$"
)
_ANY_KEY = re.compile("^.*$")


def _observed_objects(value: Any, name: str) -> str | None:
    """The deprecated 'objects' of observed-data: a dictionary of complete SCOs."""
    if type(value) is not dict:
        return "'objects' must be a JSON object of cyber observables"
    if not value:
        return "'objects' must not be empty"
    for key, observable in value.items():
        where = f"objects.{key}"
        if type(observable) is not dict:
            return f"'{where}' must be a JSON object, got {_show(observable)}"
        if "type" not in observable:
            return f"'{where}.type' is required"
        kind = observable["type"]
        problem = _type_problem(kind)
        if problem:
            return f"in '{where}': {problem}"
        if kind == "bundle":
            return f"'{where}' cannot be a bundle"
        # The schema's oneOf: one of the STIX SCOs, or a custom observable whose type does
        # not look like one (checked against the observable core schema).
        if _ANY_KEY.search(key) and kind not in _SCO_SPECS:
            if type(kind) is str and _SCO_TYPE_ALTERNATION.search(kind):
                return (f"'{where}.type' {kind!r} is neither a STIX cyber observable type nor "
                        "a usable custom one")
            problem = _type_problem(kind) or _spec_problem(observable, kind, _CUSTOM_SCO)
            if problem:
                return f"in '{where}': {problem}"
        # Then each observable is checked against the schema for its type.
        problem = _schema_problem(observable, sco_default=True)
        if problem:
            return f"in '{where}': {problem}"
    return None


def _observed_data(obj: dict[str, Any]) -> str | None:
    if ("objects" in obj) == ("object_refs" in obj):
        return "observed-data needs exactly one of 'object_refs' and 'objects'"
    return None


def _extension_definition(obj: dict[str, Any]) -> str | None:
    types = obj["extension_types"]
    if "extension_properties" in obj and not (
        type(types) is list and "toplevel-property-extension" in types
    ):
        return ("'extension_properties' is only allowed when 'extension_types' contains "
                "'toplevel-property-extension'")
    return None


# The schemas that define 'description' (as a string); for the others it is a custom property.
_DESCRIBED = frozenset({
    "attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
    "indicator", "infrastructure", "intrusion-set", "location", "malware", "report",
    "threat-actor", "tool", "vulnerability", "relationship", "sighting", "extension-definition",
})


def _sdo(kind: str, properties: dict[str, Check], required: tuple[str, ...] = (),
         whole: Callable[[dict[str, Any]], str | None] | None = None) -> _Spec:
    merged = dict(_CORE_PROPERTIES)
    merged["id"] = _id_of(kind)
    if kind in _DESCRIBED:
        merged["description"] = STRING
    merged.update(properties)
    return _Spec("core", merged, _CORE_REQUIRED + required, whole)


_ALIASES = STRINGS
_SDO_SPECS: dict[str, _Spec] = {
    "attack-pattern": _sdo("attack-pattern", {
        "aliases": _array(STRING), "name": STRING, "kill_chain_phases": KILL_CHAIN_PHASES,
    }, ("name",)),
    "campaign": _sdo("campaign", {
        "name": STRING, "aliases": _ALIASES, "first_seen": TIMESTAMP_CHECK,
        "last_seen": TIMESTAMP_CHECK, "objective": STRING,
    }, ("name",)),
    "course-of-action": _sdo("course-of-action", {"name": STRING}, ("name",)),
    "grouping": _sdo("grouping", {
        "name": STRING, "context": STRING, "object_refs": REFS,
    }, ("context", "object_refs")),
    "identity": _sdo("identity", {
        "roles": STRINGS, "name": STRING, "identity_class": STRING, "sectors": STRINGS,
        "contact_information": STRING,
    }, ("name",)),
    "incident": _sdo("incident", {"name": STRING}, ("name",)),
    "indicator": _sdo("indicator", {
        "indicator_types": STRINGS, "name": STRING, "pattern": STRING, "pattern_type": STRING,
        "pattern_version": STRING, "valid_from": TIMESTAMP_CHECK, "valid_until": TIMESTAMP_CHECK,
        "kill_chain_phases": KILL_CHAIN_PHASES,
    }, ("pattern", "pattern_type", "valid_from")),
    "infrastructure": _sdo("infrastructure", {
        "name": STRING, "infrastructure_types": STRINGS, "aliases": _ALIASES,
        "kill_chain_phases": KILL_CHAIN_PHASES, "first_seen": TIMESTAMP_CHECK,
        "last_seen": TIMESTAMP_CHECK,
    }, ("name",)),
    "intrusion-set": _sdo("intrusion-set", {
        "name": STRING, "aliases": _ALIASES, "first_seen": TIMESTAMP_CHECK,
        "last_seen": TIMESTAMP_CHECK, "goals": STRINGS, "resource_level": STRING,
        "primary_motivation": STRING, "secondary_motivations": STRINGS,
    }, ("name",)),
    "location": _sdo("location", {
        "name": STRING, "latitude": _number(-90, 90), "longitude": _number(-180, 180),
        "precision": NUMBER, "region": STRING, "country": STRING,
        "administrative_area": STRING, "city": STRING, "street_address": STRING,
        "postal_code": STRING,
    }, (), _location),
    "malware-analysis": _sdo("malware-analysis", {
        "product": STRING, "version": STRING, "configuration_version": STRING,
        "modules": STRINGS, "analysis_engine_version": STRING,
        "analysis_definition_version": STRING, "submitted": TIMESTAMP_CHECK,
        "analysis_started": TIMESTAMP_CHECK, "analysis_ended": TIMESTAMP_CHECK,
        "result_name": STRING, "result": STRING, "host_vm_ref": _ref_to("software"),
        "operating_system_ref": _ref_to("software"),
        "installed_software_refs": _array(_ref_to("software"), 1),
        "analysis_sco_refs": REFS,
        "sample_ref": _ref_to("artifact", "file", "network-traffic"),
    }, ("product",), _malware_analysis),
    "malware": _sdo("malware", {
        "aliases": _ALIASES, "first_seen": TIMESTAMP_CHECK, "last_seen": TIMESTAMP_CHECK,
        "operating_system_refs": _array(_ref_to("software"), 1),
        "architecture_execution_envs": STRINGS, "implementation_languages": STRINGS,
        "capabilities": STRINGS, "sample_refs": STRINGS, "malware_types": STRINGS,
        "name": STRING, "kill_chain_phases": KILL_CHAIN_PHASES,
    }, ("is_family",), _malware),
    "note": _sdo("note", {
        "abstract": STRING, "content": STRING, "authors": STRINGS, "object_refs": REFS,
    }, ("content", "object_refs")),
    "observed-data": _sdo("observed-data", {
        "first_observed": TIMESTAMP_CHECK, "last_observed": TIMESTAMP_CHECK,
        "number_observed": _integer(1, 999_999_999), "objects": _observed_objects,
        "object_refs": _array(_observed_ref, 1),
    }, ("first_observed", "last_observed", "number_observed"), _observed_data),
    "opinion": _sdo("opinion", {
        "explanation": STRING, "authors": STRINGS, "object_refs": REFS,
        "opinion": _one_of(("strongly-disagree", "disagree", "neutral", "agree",
                            "strongly-agree")),
    }, ("object_refs", "opinion")),
    "report": _sdo("report", {
        "report_types": STRINGS, "name": STRING, "published": TIMESTAMP_CHECK,
        "object_refs": REFS,
    }, ("name", "object_refs", "published")),
    "threat-actor": _sdo("threat-actor", {
        "threat_actor_types": STRINGS, "name": STRING, "aliases": _ALIASES, "roles": STRINGS,
        "goals": STRINGS, "first_seen": TIMESTAMP_CHECK, "last_seen": TIMESTAMP_CHECK,
        "sophistication": STRING, "resource_level": STRING, "primary_motivation": STRING,
        "secondary_motivations": STRINGS, "personal_motivations": STRINGS,
    }, ("name",)),
    "tool": _sdo("tool", {
        "aliases": _ALIASES, "tool_types": STRINGS, "name": STRING, "tool_version": STRING,
        "kill_chain_phases": KILL_CHAIN_PHASES,
    }, ("name",)),
    "vulnerability": _sdo("vulnerability", {"name": STRING}, ("name",)),
    "relationship": _sdo("relationship", {
        "relationship_type": _matching(
            re.compile(r"^[a-z0-9\-]+$"), "lowercase letters, digits and hyphens"),
        "source_ref": _ref_not_to(
            r"^(relationship|sighting|bundle|marking-definition|language-content)--.+$",
            "a relationship, sighting, bundle, marking-definition or language-content"),
        "target_ref": _ref_not_to(
            r"^(relationship|sighting|bundle|marking-definition|language-content)--.+$",
            "a relationship, sighting, bundle, marking-definition or language-content"),
        "start_time": TIMESTAMP_CHECK, "stop_time": TIMESTAMP_CHECK,
    }, ("relationship_type", "source_ref", "target_ref")),
    "sighting": _sdo("sighting", {
        "first_seen": TIMESTAMP_CHECK, "last_seen": TIMESTAMP_CHECK,
        "count": _integer(0, 999_999_999),
        "sighting_of_ref": _ref_not_to(
            r"^(sighting|relationship|bundle|marking-definition|language-content)--",
            "a sighting, relationship, bundle, marking-definition or language-content"),
        "observed_data_refs": _array(_ref_to("observed-data"), 1),
        "where_sighted_refs": _array(_ref_to("identity", "location"), 1),
        "summary": BOOLEAN,
    }, ("sighting_of_ref",)),
    "language-content": _sdo("language-content", {
        "object_ref": _ref_not_to(r"^(bundle|language-content)--.+$",
                                  "a bundle or language-content"),
        "object_modified": TIMESTAMP_CHECK, "contents": _dictionary,
    }, ("object_ref", "contents")),
    "extension-definition": _sdo("extension-definition", {
        "name": STRING, "schema": STRING, "version": STRING,
        "extension_types": _array(_one_of(_EXTENSION_TYPES), 1),
        "extension_properties": STRINGS,
    }, ("name", "schema", "version", "extension_types"), _extension_definition),
}


# --- Cyber observables --------------------------------------------------------------------------


def _object_with(properties: dict[str, Check], required: tuple[str, ...] = (),
                 any_of: tuple[str, ...] = (), closed: bool = False) -> Check:
    """A nested object: typed properties, required ones, at least one of `any_of`."""
    def check(value: Any, name: str) -> str | None:
        if type(value) is not dict:
            return f"'{name}' must be a JSON object, got {_show(value)}"
        for key in required:
            if key not in value:
                return f"'{name}.{key}' is required"
        for key, item in value.items():
            rule = properties.get(key)
            if rule is not None:
                problem = rule(item, f"{name}.{key}")
                if problem:
                    return problem
            elif closed:
                return f"'{name}' does not allow {key!r}"
        if any_of and not any(key in value for key in any_of):
            return f"'{name}' needs at least one of {', '.join(any_of)}"
        return None
    return check


def _items_with(properties: dict[str, Check], required: tuple[str, ...] = ()) -> Check:
    """An array item without "type": object: its rules only apply to objects."""
    inner = _object_with(properties, required)

    def check(value: Any, name: str) -> str | None:
        return inner(value, name) if type(value) is dict else None
    return check


def _extensions_of(known: dict[str, Check]) -> Check:
    """The predefined extensions of an SCO; any other extension must be a dictionary."""
    patterns = [(re.compile("^" + re.escape(key) + "$"), rule) for key, rule in known.items()]

    def check(value: Any, name: str) -> str | None:
        problem = _dictionary(value, name)
        if problem:
            return problem
        for key, extension in value.items():
            matched = False
            for regex, rule in patterns:
                if regex.search(key):
                    matched = True
                    problem = rule(extension, f"{name}.{key}")
                    if problem:
                        return problem
            if not matched:
                problem = _dictionary(extension, f"{name}.{key}")
                if problem:
                    return problem
        return None
    return check


_INT0 = _integer(0)
_HASHES = _hashes
_EXIF_TAGS = _dictionary_of([(re.compile(r"^[A-Z][a-zA-Z0-9_-]+$"), _typed(
    lambda v: type(v) is str or _is_int(v), "a string or an integer"))], closed=True)
_PE_OPTIONAL_HEADER = _all(_object_with({
    "magic_hex": HEX_CHECK, "major_linker_version": INTEGER, "minor_linker_version": INTEGER,
    "size_of_code": _INT0, "size_of_initialized_data": _INT0,
    "size_of_uninitialized_data": _INT0, "address_of_entry_point": INTEGER,
    "base_of_code": INTEGER, "base_of_data": INTEGER, "image_base": INTEGER,
    "section_alignment": INTEGER, "file_alignment": INTEGER, "major_os_version": INTEGER,
    "minor_os_version": INTEGER, "major_image_version": INTEGER,
    "minor_image_version": INTEGER, "major_subsystem_version": INTEGER,
    "minor_subsystem_version": INTEGER, "win32_version_value_hex": HEX_CHECK,
    "size_of_image": _INT0, "size_of_headers": _INT0, "checksum_hex": HEX_CHECK,
    "subsystem_hex": HEX_CHECK, "dll_characteristics_hex": HEX_CHECK,
    "size_of_stack_reserve": _INT0, "size_of_stack_commit": _INT0,
    "size_of_heap_reserve": _INT0, "size_of_heap_commit": _INT0, "loader_flags_hex": HEX_CHECK,
    "number_of_rva_and_sizes": INTEGER, "hashes": _HASHES,
}, closed=True), lambda v, n: None if v else f"'{n}' must not be empty")
_FILE_EXTENSIONS = _extensions_of({
    "ntfs-ext": _object_with({
        "sid": STRING,
        "alternate_data_streams": _array(_items_with(
            {"name": STRING, "hashes": _HASHES, "size": _INT0}, ("name",))),
    }, any_of=("sid", "alternate_data_streams")),
    "raster-image-ext": _object_with({
        "image_height": INTEGER, "image_width": INTEGER, "bits_per_pixel": INTEGER,
        "exif_tags": _EXIF_TAGS,
    }, any_of=("image_height", "image_width", "bits_per_pixel", "image_compression_algorithm",
               "exif_tags")),
    "pdf-ext": _object_with({
        "version": STRING, "is_optimized": BOOLEAN,
        "document_info_dict": _dictionary_of([(_DICT_KEY, STRING)], closed=False),
        "pdfid0": STRING, "pdfid1": STRING,
    }, any_of=("version", "is_optimized", "document_info_dict", "pdfid0", "pdfid1")),
    "archive-ext": _object_with({"contains_refs": STRINGS, "comment": STRING},
                                ("contains_refs",)),
    "windows-pebinary-ext": _object_with({
        "pe_type": STRING, "imphash": STRING, "machine_hex": HEX_CHECK,
        "number_of_sections": _INT0,
        "time_date_stamp": _all(TIMESTAMP_CHECK, _matching(
            _SECONDS_ONLY, "a timestamp without fractions like 2026-01-31T12:00:00Z")),
        "pointer_to_symbol_table_hex": HEX_CHECK, "number_of_symbols": _INT0,
        "size_of_optional_header": _INT0, "characteristics_hex": HEX_CHECK,
        "file_header_hashes": _HASHES, "optional_header": _PE_OPTIONAL_HEADER,
        "sections": _array(_object_with(
            {"name": STRING, "size": _INT0, "entropy": NUMBER, "hashes": _HASHES},
            ("name",)), 1),
    }, ("pe_type",), any_of=(
        "imphash", "machine_hex", "number_of_sections", "time_date_stamp",
        "pointer_to_symbol_table_hex", "number_of_symbols", "size_of_optional_header",
        "characteristics_hex", "file_header_hashes", "optional_header", "sections")),
})
_SOCKET_OPTIONS = _dictionary_of(
    [(re.compile(r"^(SO|ICMP|ICMP6|IP|IPV6|MCAST|TCP|IRLMP)(_[A-Z]+)+$"), INTEGER)], closed=True)
_TRAFFIC_EXTENSIONS = _extensions_of({
    "http-request-ext": _object_with({
        "request_method": STRING, "request_value": STRING, "request_version": STRING,
        "request_header": _dictionary_of([(re.compile(r"^.+$"), _array(STRING))], closed=True),
        "message_body_length": INTEGER, "message_body_data_ref": STRING,
    }, ("request_method", "request_value")),
    "icmp-ext": _object_with({"icmp_type_hex": HEX_CHECK, "icmp_code_hex": HEX_CHECK},
                             ("icmp_type_hex", "icmp_code_hex")),
    "socket-ext": _object_with({
        "address_family": _one_of(("AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK",
                                   "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH")),
        "is_blocking": BOOLEAN, "is_listening": BOOLEAN, "options": _SOCKET_OPTIONS,
        "socket_type": _one_of(("SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM",
                                "SOCK_SEQPACKET")),
        "socket_descriptor": _INT0, "socket_handle": INTEGER,
    }, ("address_family",)),
    "tcp-ext": _object_with({"src_flags_hex": HEX_CHECK, "dst_flags_hex": HEX_CHECK},
                            any_of=("src_flags_hex", "dst_flags_hex")),
})
_STARTUP_INFO = _dictionary_of([
    (re.compile(r"^lpDesktop|lpTitle|dwFillAttribute|dwFlags|wShowWindow|hStdInput|hStdOutput|"
                r"hStdError$"), STRING),
    (re.compile(r"^lpReserved|lpReserved2$"), _typed(lambda v: v is None, "null")),
    (re.compile(r"^cb|dwX|dwY|dwXSize|dwYSize|dwXCountChars|dwYCountChars$"), INTEGER),
    (re.compile(r"^cbReserved2$"), _integer(0, 0)),
], closed=True)
_PROCESS_EXTENSIONS = _extensions_of({
    "windows-process-ext": _object_with({
        "aslr_enabled": BOOLEAN, "dep_enabled": BOOLEAN, "priority": STRING,
        "owner_sid": STRING, "window_title": STRING, "startup_info": _STARTUP_INFO,
        "integrity_level": _one_of(("low", "medium", "high", "system")),
    }, any_of=("aslr_enabled", "dep_enabled", "priority", "owner_sid", "window_title",
               "startup_info")),
    "windows-service-ext": _object_with({
        "service_name": STRING, "descriptions": STRINGS, "display_name": STRING,
        "group_name": STRING,
        "start_type": _one_of(("SERVICE_AUTO_START", "SERVICE_BOOT_START",
                               "SERVICE_DEMAND_START", "SERVICE_DISABLED",
                               "SERVICE_SYSTEM_ALERT")),
        "service_dll_refs": STRINGS,
        "service_type": _one_of(("SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER",
                                 "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS")),
        "service_status": _one_of(("SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING",
                                   "SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING",
                                   "SERVICE_STOP_PENDING", "SERVICE_STOPPED")),
    }, any_of=("service_name", "descriptions", "display_name", "group_name", "start_type",
               "service_dll_refs", "service_type", "service_status")),
})
_ACCOUNT_EXTENSIONS = _extensions_of({
    "unix-account-ext": _object_with({
        "gid": NUMBER, "groups": STRINGS, "home_dir": STRING, "shell": STRING,
    }, any_of=("gid", "groups", "home_dir", "shell")),
})

_IPV4_VALUE = re.compile(
    r"^(([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])\.){3}"
    r"([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])(\/(3[0-2]|[1-2][0-9]|[0-9]))?$"
)
# ipv6-addr.json, verbatim: it writes "d" where it means a digit and "." for any character,
# so its embedded-IPv4 forms are not what they seem; the plain hex forms work as expected.
_IPV6_VALUE = re.compile(
    r"^s*((([0-9A-Fa-f]{1,4}:){7}([0-9A-Fa-f]{1,4}|:))|(([0-9A-Fa-f]{1,4}:){6}(:[0-9A-Fa-f]{1,4}"
    r"|((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3})|:))|(([0-9A-Fa-f]{1,4}"
    r":){5}(((:[0-9A-Fa-f]{1,4}){1,2})|:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|"
    r"[1-9]?d)){3})|:))|(([0-9A-Fa-f]{1,4}:){4}(((:[0-9A-Fa-f]{1,4}){1,3})|((:[0-9A-Fa-f]{1,4})"
    r"?:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]"
    r"{1,4}:){3}(((:[0-9A-Fa-f]{1,4}){1,4})|((:[0-9A-Fa-f]{1,4}){0,2}:((25[0-5]|2[0-4]d|1dd|"
    r"[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){2}(((:[0-9A-Fa-f]"
    r"{1,4}){1,5})|((:[0-9A-Fa-f]{1,4}){0,3}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|"
    r"1dd|[1-9]?d)){3}))|:))|(([0-9A-Fa-f]{1,4}:){1}(((:[0-9A-Fa-f]{1,4}){1,6})|((:[0-9A-Fa-f]"
    r"{1,4}){0,4}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]|2[0-4]d|1dd|[1-9]?d)){3}))|:))|(:((("
    r":[0-9A-Fa-f]{1,4}){1,7})|((:[0-9A-Fa-f]{1,4}){0,5}:((25[0-5]|2[0-4]d|1dd|[1-9]?d)(.(25[0-5]"
    r"|2[0-4]d|1dd|[1-9]?d)){3}))|:)))(%.+)?s*(\/(12[0-8]|1[0-1][0-9]|[1-9][0-9]|[0-9]))?$"
)
_MAC_VALUE = re.compile(r"^([0-9a-f]{2}[:]){5}([0-9a-f]{2})$")
_ENCODING = re.compile(r"^[a-zA-Z0-9/\.+_:-]{2,250}$")
_MIME = re.compile(r"^(application|audio|font|image|message|model|multipart|text|video)/"
                   r"[a-zA-Z0-9.+_-]+")
_CPE_SHAPE = re.compile(
    r"cpe:2\.3:[aho\*\-](:(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!\"#$$%&'\(\)\+,/:;<=>@\[\]\^"
    r"`\{\|}~]))+(\?*|\*?))|[\*\-])){5}(:(([a-zA-Z]{2,3}(-([a-zA-Z]{2}|[0-9]{3}))?)|[\*\-]))(:"
    r"(((\?*|\*?)([a-zA-Z0-9\-\._]|(\\[\\\*\?!\"#$$%&'\(\)\+,/:;<=>@\[\]\^`\{\|}~]))+(\?*|\*?))|"
    r"[\*\-])){4}"
)
_LANGUAGE_TAG = re.compile(
    r"^([a-z]{2}(-[A-Z]{2})?(-[a-z]{4})?(-[A-Z]{2}|[0-9]{3})?(-[a-z0-9]{5,8}|[0-9][a-z0-9]{3})*"
    r"(-[a-z0-9]{1,8})*|[a-z]{3})$"
)
_REGISTRY_ROOT = re.compile(r"^HKLM|HKCC|HKCR|HKCU|HKU|hklm|hkcc|hkcr|hkcu|hku")


def _registry_key(value: Any, name: str) -> str | None:
    if type(value) is not str:
        return f"'{name}' must be a string, got {_show(value)}"
    if _REGISTRY_ROOT.search(value):
        return (f"'{name}' must spell out the root key (HKEY_LOCAL_MACHINE, not HKLM), "
                f"got {_show(value)}")
    return None


def _artifact(obj: dict[str, Any]) -> str | None:
    has_payload, has_url = "payload_bin" in obj, "url" in obj
    if has_payload == has_url:
        return "an artifact needs exactly one of 'payload_bin' and 'url'"
    if has_url and "hashes" not in obj:
        return "an artifact with 'url' needs 'hashes'"
    if "decryption_key" in obj and "encryption_algorithm" not in obj:
        return "'decryption_key' needs 'encryption_algorithm'"
    return None


_ADDITIONAL_HEADER_NAME = re.compile(
    r"^date|received_lines|content_type|from_ref|sender_ref|to_refs|cc_refs|bcc_refs|subject$"
)


def _header_field(value: Any, name: str) -> str | None:
    if type(value) is str:
        return None
    if type(value) is list and len(value) >= 2 and all(type(v) is str for v in value):
        return None
    return f"'{name}' must be a string or a list of at least two strings, got {_show(value)}"


def _additional_header_fields(value: Any, name: str) -> str | None:
    problem = _dictionary_of([(_DICT_KEY, _header_field)], closed=False)(value, name)
    if problem:
        return problem
    if all(_ADDITIONAL_HEADER_NAME.search(key) for key in value):
        return (f"'{name}' must not hold only headers that email-message has properties for "
                f"(date, subject, ...), got {', '.join(map(repr, value))}")
    return None


def _mime_part(value: Any, name: str) -> str | None:
    problem = _object_with({"body": STRING, "body_raw_ref": STRING, "content_type": STRING,
                            "content_disposition": STRING})(value, name)
    if problem:
        return problem
    if ("body" in value) == ("body_raw_ref" in value):
        return f"'{name}' needs exactly one of 'body' and 'body_raw_ref'"
    return None


def _email_message(obj: dict[str, Any]) -> str | None:
    if "is_multipart" not in obj:
        return "'is_multipart' is required for email-message"
    multipart = obj["is_multipart"]
    if multipart is False:
        if "body_multipart" in obj:
            return "'body_multipart' needs 'is_multipart' true"
        if "body" in obj:
            return STRING(obj["body"], "body")
        return None
    if multipart is True:
        if "body" in obj:
            return "'body' needs 'is_multipart' false (use 'body_multipart')"
        if "body_multipart" in obj:
            return _array(_mime_part)(obj["body_multipart"], "body_multipart")
        return None
    return f"'is_multipart' must be true or false, got {_show(multipart)}"


def _network_traffic(obj: dict[str, Any]) -> str | None:
    if "src_ref" not in obj and "dst_ref" not in obj:
        return "network-traffic needs 'src_ref' or 'dst_ref'"
    if "is_active" in obj:
        active = obj["is_active"]
        if active is True:
            if "end" in obj:
                return "network-traffic that is still active ('is_active' true) has no 'end'"
        elif active is not False:
            return f"'is_active' must be true or false, got {_show(active)}"
    return None


def _sco(kind: str, properties: dict[str, Check], required: tuple[str, ...] = (),
         whole: Callable[[dict[str, Any]], str | None] | None = None) -> _Spec:
    merged = dict(_SCO_PROPERTIES)
    merged["id"] = _id_of(kind)
    for key, rule in properties.items():
        merged[key] = _all(merged[key], rule) if key in merged else rule
    return _Spec("sco", merged, ("id",) + required, whole)


_SCO_SPECS: dict[str, _Spec] = {
    "artifact": _sco("artifact", {
        "mime_type": _matching(_MIME, "a media type like application/zip"),
        "payload_bin": BINARY_CHECK, "url": URI_CHECK, "hashes": _HASHES,
        "encryption_algorithm": _one_of(("AES-256-GCM", "ChaCha20-Poly1305",
                                         "mime-type-indicated")),
        "decryption_key": STRING,
    }, (), _artifact),
    "autonomous-system": _sco("autonomous-system", {
        "number": INTEGER, "name": STRING, "rir": STRING}, ("number",)),
    "directory": _sco("directory", {
        "path": STRING, "path_enc": _matching(_ENCODING, "a character set name"),
        "ctime": TIMESTAMP_CHECK, "mtime": TIMESTAMP_CHECK, "atime": TIMESTAMP_CHECK,
        "contains_refs": STRINGS,
    }, ("path",)),
    "domain-name": _sco("domain-name", {
        "value": _formatted(_is_hostname, "a valid domain name"),
        "resolves_to_refs": STRINGS,
    }, ("value",)),
    "email-addr": _sco("email-addr", {
        "value": _formatted(lambda v: _EMAIL.match(v) is not None,
                            "an email address like name@example.org"),
        "display_name": STRING, "belongs_to_ref": STRING,
    }, ("value",)),
    "email-message": _sco("email-message", {
        "date": TIMESTAMP_CHECK, "content_type": STRING, "from_ref": STRING,
        "sender_ref": STRING, "to_refs": STRINGS, "cc_refs": STRINGS, "bcc_refs": STRINGS,
        "message_id": STRING, "subject": STRING, "received_lines": _array(STRING),
        "additional_header_fields": _additional_header_fields, "raw_email_ref": STRING,
    }, (), _email_message),
    "file": _sco("file", {
        "extensions": _FILE_EXTENSIONS, "hashes": _HASHES, "size": _INT0, "name": STRING,
        "name_enc": _matching(_ENCODING, "a character set name"),
        "magic_number_hex": HEX_CHECK, "mime_type": STRING, "ctime": TIMESTAMP_CHECK,
        "mtime": TIMESTAMP_CHECK, "atime": TIMESTAMP_CHECK, "parent_directory_ref": STRING,
        "contains_refs": STRINGS, "content_ref": STRING,
    }, (), _any_of(("hashes", "name"), "a file needs 'hashes' or 'name'")),
    "ipv4-addr": _sco("ipv4-addr", {
        "value": _matching(_IPV4_VALUE, "an IPv4 address, optionally with /prefix"),
        "resolves_to_refs": STRINGS, "belongs_to_refs": STRINGS,
    }, ("value",)),
    "ipv6-addr": _sco("ipv6-addr", {
        "value": _matching(_IPV6_VALUE, "an IPv6 address, optionally with /prefix"),
        "resolves_to_refs": STRINGS, "belongs_to_refs": STRINGS,
    }, ("value",)),
    "mac-addr": _sco("mac-addr", {
        "value": _matching(_MAC_VALUE, "a MAC address like 00:00:5e:00:53:af (lowercase)"),
    }, ("value",)),
    "mutex": _sco("mutex", {"name": STRING}, ("name",)),
    "network-traffic": _sco("network-traffic", {
        "extensions": _TRAFFIC_EXTENSIONS, "start": TIMESTAMP_CHECK, "end": TIMESTAMP_CHECK,
        "src_ref": STRING, "dst_ref": STRING, "src_port": _integer(0, 65535),
        "dst_port": _integer(0, 65535), "protocols": STRINGS, "src_byte_count": INTEGER,
        "dst_byte_count": INTEGER, "src_packets": INTEGER, "dst_packets": INTEGER,
        "ipfix": _dictionary_of([(_DICT_KEY, _typed(
            lambda v: type(v) is str or _is_int(v), "a string or an integer"))], closed=False),
        "src_payload_ref": STRING, "dst_payload_ref": STRING, "encapsulates_refs": STRINGS,
        "encapsulated_by_ref": STRING,
    }, ("protocols",), _network_traffic),
    "process": _sco("process", {
        "extensions": _PROCESS_EXTENSIONS, "is_hidden": BOOLEAN, "pid": INTEGER,
        "created_time": TIMESTAMP_CHECK, "cwd": STRING, "command_line": STRING,
        "environment_variables": _dictionary, "opened_connection_refs": STRINGS,
        "creator_user_ref": STRING, "image_ref": STRING, "parent_ref": STRING,
        "child_refs": STRINGS,
    }, (), _any_of(("extensions", "is_hidden", "pid", "name", "created", "cwd", "arguments",
                    "command_line", "environment_variables", "opened_connection_refs",
                    "creator_user_ref", "image_ref", "parent_ref", "child_refs"),
                   "a process needs at least one property of its own (pid, command_line, ...)")),
    "software": _sco("software", {
        "name": STRING,
        "cpe": _matching(_CPE_SHAPE,
                         "a CPE 2.3 name like cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*"),
        "swid": STRING,
        "languages": _array(_matching(_LANGUAGE_TAG, "a language tag like 'de'"), 1),
        "vendor": STRING, "version": STRING,
    }, ("name",)),
    "url": _sco("url", {"value": URI_CHECK}, ("value",)),
    "user-account": _sco("user-account", {
        "extensions": _ACCOUNT_EXTENSIONS, "user_id": STRING, "credential": STRING,
        "account_login": STRING, "account_type": STRING, "display_name": STRING,
        "is_service_account": BOOLEAN, "is_privileged": BOOLEAN, "can_escalate_privs": BOOLEAN,
        "is_disabled": BOOLEAN, "account_created": TIMESTAMP_CHECK,
        "account_expires": TIMESTAMP_CHECK, "credential_last_changed": TIMESTAMP_CHECK,
        "account_first_login": TIMESTAMP_CHECK, "account_last_login": TIMESTAMP_CHECK,
    }, (), _any_of(("extensions", "user_id", "credential", "account_login", "account_type",
                    "display_name", "is_service_account", "is_privileged", "can_escalate_privs",
                    "is_disabled", "account_created", "account_expires",
                    "credential_last_changed", "account_first_login", "account_last_login"),
                   "a user-account needs at least one property of its own (user_id, ...)")),
    "windows-registry-key": _sco("windows-registry-key", {
        "key": _registry_key,
        "values": _array(_all(_object_with({
            "name": STRING, "data": STRING,
            "data_type": _one_of((
                "REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
                "REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ",
                "REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION",
                "REG_RESOURCE_REQUIREMENTS_LIST", "REG_QWORD", "REG_INVALID_TYPE")),
        }, any_of=("name", "data", "data_type")))),
        "modified_time": TIMESTAMP_CHECK, "creator_user_ref": STRING,
        "number_of_subkeys": INTEGER,
    }, (), _any_of(("key", "values", "modified", "creator_user_ref", "number_of_subkeys"),
                   "a windows-registry-key needs 'key', 'values', 'creator_user_ref' or "
                   "'number_of_subkeys'")),
    "x509-certificate": _sco("x509-certificate", {
        "is_self_signed": BOOLEAN, "hashes": _HASHES, "version": STRING,
        "serial_number": STRING, "signature_algorithm": STRING, "issuer": STRING,
        "validity_not_before": TIMESTAMP_CHECK, "validity_not_after": TIMESTAMP_CHECK,
        "subject": STRING, "subject_public_key_algorithm": STRING,
        "subject_public_key_modulus": STRING, "subject_public_key_exponent": INTEGER,
        "x509_v3_extensions": _object_with({
            **{key: STRING for key in (
                "basic_constraints", "name_constraints", "policy_constraints", "key_usage",
                "extended_key_usage", "subject_key_identifier", "authority_key_identifier",
                "subject_alternative_name", "issuer_alternative_name",
                "subject_directory_attributes", "crl_distribution_points",
                "inhibit_any_policy", "certificate_policies", "policy_mappings")},
            "private_key_usage_period_not_before": TIMESTAMP_CHECK,
            "private_key_usage_period_not_after": TIMESTAMP_CHECK,
        }, any_of=(
            "basic_constraints", "name_constraints", "policy_constraints", "key_usage",
            "extended_key_usage", "subject_key_identifier", "authority_key_identifier",
            "subject_alternative_name", "issuer_alternative_name",
            "subject_directory_attributes", "crl_distribution_points", "inhibit_any_policy",
            "private_key_usage_period_not_before", "private_key_usage_period_not_after",
            "certificate_policies", "policy_mappings")),
    }, (), _any_of(("is_self_signed", "hashes", "version", "serial_number",
                    "signature_algorithm", "issuer", "validity_not_before",
                    "validity_not_after", "subject", "subject_public_key_algorithm",
                    "subject_public_key_modulus", "subject_public_key_exponent",
                    "x509_v3_extensions"),
                   "an x509-certificate needs at least one property of its own")),
}
_CUSTOM_CORE = _Spec("core", _CORE_PROPERTIES, _CORE_REQUIRED)
_CUSTOM_SCO = _Spec("sco", _SCO_PROPERTIES, ("id",))


# --- Marking definitions ------------------------------------------------------------------------

_TLP_1 = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": ("TLP:WHITE", "white"),
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": ("TLP:GREEN", "green"),
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": ("TLP:AMBER", "amber"),
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": ("TLP:RED", "red"),
}
_TLP_1_PROPERTIES = frozenset({"type", "id", "spec_version", "name", "created", "definition",
                               "definition_type"})
_MARKING_PROPERTIES: dict[str, Check] = {
    "spec_version": _one_of(("2.0", "2.1")),
    "name": STRING,
    "created_by_ref": IDENTIFIER_CHECK,
    "created": TIMESTAMP_CHECK,
    "external_references": _array(_external_reference, 1),
    "object_marking_refs": _array(_ref_to("marking-definition"), 1),
    "granular_markings": _array(_granular_marking, 1),
    "extensions": _marking_extensions,
}
_STATEMENT_TYPE = re.compile(r"^statement$")
_RESERVED_DEFINITION_TYPE = re.compile(r"^(statement)|(tlp)$")


def _tlp_1(obj: dict[str, Any]) -> bool:
    """marking-definition.json's second branch: one of the four TLP 1.0 markings, verbatim."""
    if not _TLP_1_PROPERTIES.issuperset(obj) or len(obj) != len(_TLP_1_PROPERTIES):
        return False
    expected = _TLP_1.get(obj["id"]) if type(obj["id"]) is str else None
    definition = obj["definition"]
    return (
        expected is not None and obj["spec_version"] == "2.1" and obj["name"] == expected[0]
        and obj["created"] == "2017-01-20T00:00:00.000Z" and obj["definition_type"] == "tlp"
        and type(definition) is dict
        and ("tlp" not in definition or definition["tlp"] == expected[1])
    )


def _marking_definition(obj: dict[str, Any]) -> str | None:
    for key, rule in _MARKING_PROPERTIES.items():
        if key in obj:
            problem = rule(obj[key], key)
            if problem:
                return problem
    if obj.get("definition_type") == "tlp" and _tlp_1(obj):
        return None
    for required in ("spec_version", "created"):
        if required not in obj:
            return f"'{required}' is required for marking-definition"
    problem = _ref_to("marking-definition")(obj["id"], "id")
    if problem:
        return problem
    has_type, has_definition = "definition_type" in obj, "definition" in obj
    if "extensions" not in obj and not (has_type and has_definition):
        return "a marking-definition needs 'definition_type' and 'definition', or 'extensions'"
    if not has_type:
        if has_definition and type(obj["definition"]) is not dict:
            return f"'definition' must be a JSON object, got {_show(obj['definition'])}"
        return None
    definition_type = obj["definition_type"]
    if type(definition_type) is not str:
        return f"'definition_type' must be a string, got {_show(definition_type)}"
    if _STATEMENT_TYPE.search(definition_type):
        if not has_definition:
            return "a statement marking needs 'definition'"
        definition = obj["definition"]
        if type(definition) is not dict or "statement" not in definition:
            return "a statement marking's 'definition' must be an object with a 'statement'"
        return STRING(definition["statement"], "definition.statement")
    if _RESERVED_DEFINITION_TYPE.search(definition_type):
        if definition_type == "tlp":
            return ("a TLP 1.0 marking must be one of the four STIX 2.1 TLP markings exactly, "
                    "with no other properties (use TLP 2.0 extensions for anything else)")
        return f"'definition_type' {definition_type!r} is reserved (use 'statement' or 'tlp')"
    if has_definition and type(obj["definition"]) is not dict:
        return f"'definition' must be a JSON object, got {_show(obj['definition'])}"
    return None


# --- Schema dispatch ----------------------------------------------------------------------------

# stix2-validator looks a type's schema up by file name, so these type names select a schema that
# is not an object schema at all.
_STRING_SCHEMAS = frozenset({"binary", "hex", "identifier", "timestamp", "url-regex"})


def _schema_problem(obj: dict[str, Any], sco_default: bool = False) -> str | None:
    kind = obj["type"]
    problem = _type_problem(kind)
    if problem:
        return problem
    if kind in _SDO_SPECS:
        spec = _SDO_SPECS[kind]
    elif kind in _SCO_SPECS:
        spec = _SCO_SPECS[kind]
    elif kind == "marking-definition":
        return _marking_definition(obj)
    elif kind in _STRING_SCHEMAS:
        return f"'type' {kind!r} is reserved by the STIX schemas"
    elif kind in _ODD_SCHEMAS:
        return _ODD_SCHEMAS[kind](obj, kind)
    elif not sco_default and ("created" in obj or "modified" in obj):
        spec = _CUSTOM_CORE
    else:
        spec = _CUSTOM_SCO
    return _spec_problem(obj, kind, spec)


def _type_problem(kind: Any) -> str | None:
    if type(kind) is not str:
        return f"'type' must be a string, got {_show(kind)}"
    if not 3 <= len(kind) <= 250 or not TYPE_NAME.search(kind):
        return (f"'type' must be 3 to 250 lowercase letters, digits and single hyphens, "
                f"got {_show(kind)}")
    if kind == "action":
        return "'type' 'action' is reserved"
    return None


def _spec_problem(obj: dict[str, Any], kind: str, spec: _Spec) -> str | None:
    for name in spec.required:
        if name not in obj:
            return f"'{name}' is required for {kind}"
    properties = spec.properties
    for key, value in obj.items():
        rule = properties.get(key)
        if rule is not None:
            problem = rule(value, key)
            if problem:
                return problem
        if key in _RESERVED:
            return f"'{key}' is a reserved property name"
    problem = _property_rules(obj, "")
    if problem:
        return problem
    return spec.whole(obj) if spec.whole is not None else None


def _as_schema(check: Check) -> Callable[[dict[str, Any], str], str | None]:
    def schema(obj: dict[str, Any], kind: str) -> str | None:
        problem = check(obj, kind)
        return f"an object of type {kind!r} is checked against that STIX schema: {problem}" if (
            problem) else None
    return schema


def _core_schema(obj: dict[str, Any], kind: str) -> str | None:
    return _spec_problem(obj, kind, _CUSTOM_CORE)


def _sco_core_schema(obj: dict[str, Any], kind: str) -> str | None:
    return _spec_problem(obj, kind, _CUSTOM_SCO)


def _properties_schema(obj: dict[str, Any], kind: str) -> str | None:
    return _property_rules(obj, "")


_ODD_SCHEMAS: dict[str, Callable[[dict[str, Any], str], str | None]] = {
    "core": _core_schema,
    "cyber-observable-core": _sco_core_schema,
    "properties": _properties_schema,
    "dictionary": _as_schema(_dictionary),
    "extension": _as_schema(_extension),
    "external-reference": _as_schema(_external_reference),
    "granular-marking": _as_schema(_granular_marking),
    "kill-chain-phase": _as_schema(_kill_chain_phase),
    "hashes-type": _as_schema(_hashes),
}


# --- The "MUST" checks of stix2-validator (musts.py) --------------------------------------------

_TIMESTAMP_PROPERTIES: dict[str, tuple[str, ...]] = {
    "campaign": ("first_seen", "last_seen"),
    "indicator": ("valid_from", "valid_until"),
    "infrastructure": ("first_seen", "last_seen"),
    "intrusion-set": ("first_seen", "last_seen"),
    "language-content": ("object_modified",),
    "malware": ("first_seen", "last_seen"),
    "malware-analysis": ("submitted", "analysis_started", "analysis_ended"),
    "observed-data": ("first_observed", "last_observed"),
    "report": ("published",),
    "relationship": ("start_time", "stop_time"),
    "sighting": ("first_seen", "last_seen"),
    "threat-actor": ("first_seen", "last_seen"),
}
_OBSERVABLE_TIMESTAMPS: dict[str, tuple[str, ...]] = {
    "directory": ("ctime", "mtime", "atime"),
    "email-message": ("date",),
    "file": ("ctime", "mtime", "atime"),
    "network-traffic": ("start", "end"),
    "process": ("created_time",),
    "user-account": ("account_created", "account_expires", "credential_last_changed",
                     "account_first_login", "account_last_login"),
    "windows-registry-key": ("modified_time",),
    "x509-certificate": ("validity_not_before", "validity_not_after"),
}
_TIMESTAMP_ORDER: dict[str, tuple[tuple[str, bool, str], ...]] = {
    # (later, strictly, earlier)
    "campaign": (("last_seen", False, "first_seen"),),
    "indicator": (("valid_until", True, "valid_from"),),
    "infrastructure": (("last_seen", False, "first_seen"),),
    "intrusion-set": (("last_seen", False, "first_seen"),),
    "malware": (("last_seen", False, "first_seen"),),
    "observed-data": (("last_observed", False, "first_observed"),),
    "relationship": (("stop_time", True, "start_time"),),
    "sighting": (("last_seen", False, "first_seen"),),
    "threat-actor": (("last_seen", False, "first_seen"),),
}
_MODIFIED_ORDER = (("modified", False, "created"),)
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_OBSERVABLE_REFS: dict[str, dict[str, Any]] = {
    "directory": {"contains_refs": ("file", "directory")},
    "domain-name": {"resolves_to_refs": ("ipv4-addr", "ipv6-addr", "domain-name")},
    "email-addr": {"belongs_to_ref": ("user-account",)},
    "email-message": {
        "from_ref": ("email-addr",), "sender_ref": ("email-addr",), "to_refs": ("email-addr",),
        "cc_refs": ("email-addr",), "bcc_refs": ("email-addr",), "raw_email_ref": ("artifact",),
        "body_multipart": {"body_raw_ref": ("artifact", "file")},
    },
    "file": {
        "parent_directory_ref": ("directory",), "content_ref": ("artifact",),
        "extensions": {"archive-ext": {"contains_refs": ("file",)}},
    },
    "ipv4-addr": {"resolves_to_refs": ("mac-addr",), "belongs_to_refs": ("autonomous-system",)},
    "ipv6-addr": {"resolves_to_refs": ("mac-addr",), "belongs_to_refs": ("autonomous-system",)},
    "network-traffic": {
        "src_ref": ("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"),
        "dst_ref": ("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"),
        "src_payload_ref": ("artifact",), "dst_payload_ref": ("artifact",),
        "encapsulates_refs": ("network-traffic",), "encapsulated_by_ref": ("network-traffic",),
        "extensions": {"http-request-ext": {"message_body_data_ref": ("artifact",)}},
    },
    "process": {
        "opened_connection_refs": ("network-traffic",), "creator_user_ref": ("user-account",),
        "image_ref": ("file",), "parent_ref": ("process",), "child_refs": ("process",),
        "extensions": {"windows-service-ext": {"service_dll_refs": ("file",)}},
    },
    "windows-registry-key": {"creator_user_ref": ("user-account",)},
}
_CONTRIBUTING = {
    "artifact": ("hashes", "payload_bin"),
    "email-message": ("from_ref", "subject", "body"),
    "user-account": ("account_type", "user_id", "account_login"),
    "windows-registry-key": ("key", "values"),
    "x509-certificate": ("hashes", "serial_number"),
}
_INDEX_SEGMENT = re.compile(r"\[(\d+)\]")


class _Crash(Exception):
    """Where stix2-validator raises instead of reporting: the object is not accepted either."""


def _real_date(value: Any, name: str) -> str | None:
    """A timestamp that matches the format must also be a date (dateutil parses it)."""
    if type(value) is not str:
        raise _Crash(f"'{name}' must be a timestamp string, got {_show(value)}")
    if not TIMESTAMP.match(value):
        return None
    year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = 29 if month == 2 and leap else _DAYS[month - 1]
    if year == 0 or day > days or value[17:19] == "60":
        return f"'{name}' is not a real point in time: {_show(value)}"
    return None


def _parsed_time(value: str) -> datetime | str:
    """stix2-validator's datetime_from_str for a value that matches the timestamp format."""
    if value.endswith("\n"):
        return value
    fraction = value[20:-1] if value[19] == "." else ""
    if len(fraction) > 6:
        return value
    try:
        return datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]),
                        int(value[14:16]), int(value[17:19]),
                        int(fraction.ljust(6, "0")) if fraction else 0)
    except ValueError:
        return value


def _in_order(later: Any, strictly: bool, earlier: Any) -> bool:
    """stix2-validator's compare(): as times when both parse, else as strings."""
    if type(later) is not str:
        raise _Crash("timestamps must be strings")
    if TIMESTAMP.match(later):
        if type(earlier) is not str:
            raise _Crash("timestamps must be strings")
        if TIMESTAMP.match(earlier):
            first, second = _parsed_time(later), _parsed_time(earlier)
            if type(first) is datetime and type(second) is datetime:
                return first > second if strictly else first >= second
    if type(earlier) is not str:
        raise _Crash("timestamps must be strings")
    return later > earlier if strictly else later >= earlier


def _order_problem(obj: dict[str, Any],
                   rules: tuple[tuple[str, bool, str], ...]) -> str | None:
    for later, strictly, earlier in rules:
        if later in obj and earlier in obj and not _in_order(obj[later], strictly, obj[earlier]):
            relation = "later than" if strictly else "the same as or later than"
            return f"'{later}' must be {relation} '{earlier}'"
    return None


def _observable_musts(obj: Any) -> str | None:
    """The must checks that stix2-validator applies to each cyber observable."""
    if type(obj) is not dict:
        raise _Crash("cyber observables must be objects")
    kind = obj.get("type")
    if type(kind) in (list, dict):
        raise _Crash("'type' must be a string")
    if kind == "network-traffic":
        problem = _order_problem(obj, (("end", False, "start"),))
        if problem:
            return problem
    elif kind == "artifact" and "mime_type" in obj and not _member(obj["mime_type"], MEDIA_TYPES):
        return (f"'mime_type' must be a media type registered with IANA, "
                f"got {_show(obj['mime_type'])}")
    if "id" not in obj:
        raise _Crash("cyber observables need an 'id'")
    if kind == "directory" and "path_enc" in obj and not _member(obj["path_enc"], CHARACTER_SETS):
        return (f"'path_enc' must be a character set registered with IANA, "
                f"got {_show(obj['path_enc'])}")
    if kind == "file" and "name_enc" in obj and not _member(obj["name_enc"], CHARACTER_SETS):
        return (f"'name_enc' must be a character set registered with IANA, "
                f"got {_show(obj['name_enc'])}")
    if kind == "software" and "languages" in obj:
        languages = obj["languages"]
        if not isinstance(languages, (list, str, dict)):
            raise _Crash("'languages' must be a list")
        for language in languages:
            if not _member(language, LANGUAGES) and not _member(language, SOFTWARE_LANGUAGES):
                return f"'languages' contains an unknown language code {_show(language)}"
    return None


def _observables_of(obj: dict[str, Any]) -> list[Any] | None:
    """What stix2-validator's cyber_observable_check decorator hands to a check."""
    kind = obj["type"]
    if kind == "observed-data" and type(obj.get("objects")) is dict:
        return list(obj["objects"].values())
    if kind in _SCO_SPECS:
        if "objects" in obj:
            objects = obj["objects"]
            if type(objects) is not dict:
                raise _Crash("'objects' must be a JSON object")
            return list(objects.values())
        return [obj]
    return None


def _refs_resolve(refs: Any, allowed: tuple[str, ...], objects: dict[str, Any], name: str,
                  key: str) -> str | None:
    for ref in refs if type(refs) is list else [refs]:
        if type(ref) in (dict, list):
            raise _Crash("references must be strings")
        if ref not in objects:
            return f"'objects.{key}.{name}' refers to {_show(ref)}, which is not in 'objects'"
        target = objects[ref]
        if type(target) is not dict:
            if "type" in target:
                raise _Crash("cyber observables must be objects")
            continue
        if "type" in target and target["type"] not in allowed:
            return (f"'objects.{key}.{name}' must refer to {' or '.join(allowed)}, "
                    f"not {_show(target['type'])}")
    return None


def _observed_references(obj: dict[str, Any]) -> str | None:
    """observed-data 'objects': references between the embedded objects resolve and fit."""
    objects = obj["objects"]
    for key, observable in objects.items():
        if "type" not in observable:
            continue
        table = _OBSERVABLE_REFS.get(observable["type"])
        if not table:
            continue
        for prop, allowed in table.items():
            if prop not in observable:
                continue
            value = observable[prop]
            if type(allowed) is tuple:
                problem = _refs_resolve(value, allowed, objects, prop, key)
                if problem:
                    return problem
                continue
            for embedded, rules in allowed.items():
                if type(value) is dict:
                    if embedded not in value:
                        continue
                    inner = value[embedded]
                    for inner_key in inner:
                        if inner_key not in rules:
                            continue
                        problem = _refs_resolve(inner[inner_key], rules[inner_key], objects,
                                                f"{prop}.{embedded}.{inner_key}", key)
                        if problem:
                            return problem
                elif type(value) is list:
                    for part in value:
                        if embedded not in part:
                            continue
                        problem = _refs_resolve(part[embedded], rules, objects,
                                                f"{prop}.{embedded}", key)
                        if problem:
                            return problem
    return None


def _selector_resolves(obj: dict[str, Any], selector: str) -> bool:
    current: Any = obj
    for segment in selector.split("."):
        index = _INDEX_SEGMENT.match(segment)
        if index:
            position = int(index.group(1))
            if type(current) in (list, str):
                if position >= len(current):
                    return False
                current = current[position]
            elif type(current) is dict:
                return False
            else:
                raise _Crash("selector indexes into a value that is not a list")
        elif type(current) is dict:
            if segment not in current:
                return False
            current = current[segment]
        else:
            return False
    return True


def _selector_problem(obj: dict[str, Any]) -> str | None:
    markings = obj["granular_markings"]
    if not isinstance(markings, (list, dict, str)):
        raise _Crash("'granular_markings' must be a list")
    for marking in markings:
        if type(marking) is not dict:
            if type(marking) is str and "selectors" not in marking:
                continue
            raise _Crash("granular markings must be objects")
        if "selectors" not in marking:
            continue
        selectors = marking["selectors"]
        if not isinstance(selectors, (list, dict, str)):
            raise _Crash("'selectors' must be a list")
        for selector in selectors:
            if type(selector) is not str:
                raise _Crash("selectors must be strings")
            if not _selector_resolves(obj, selector):
                return (f"granular marking selector {selector!r} does not point to a property "
                        "of this object")
    return None


def _uuid_version(identifier: Any) -> int:
    try:
        return uuid.UUID(identifier.split("--")[-1]).version or 0
    except (AttributeError, ValueError) as error:
        raise _Crash(str(error)) from None


def _cpe_problem(value: Any) -> str | None:
    if type(value) is not str:
        raise _Crash("'cpe' must be a string")
    if not _cpe_formatted_string(value):
        return (f"'cpe' must be a CPE 2.3 formatted string like "
                f"cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*, got {_show(value)}")
    return None


def _indicator_problem(obj: dict[str, Any]) -> str | None:
    if obj.get("pattern_type", "") != "stix" or type(obj.get("pattern")) is not str:
        return None
    if "pattern_version" in obj:
        version = obj["pattern_version"]
    elif "spec_version" in obj:
        version = obj["spec_version"]
    else:
        version = "2.1"
    problem = pattern_problem(obj["pattern"], version if type(version) is str else "")
    return f"'pattern' is not a valid STIX pattern: {problem}" if problem else None


def _musts(obj: dict[str, Any]) -> str | None:
    """stix2-validator's MUST checks (v21/musts.py), in its order, on one object."""
    kind = obj["type"]
    if type(kind) in (list, dict):
        raise _Crash("'type' must be a string")
    _shoulds_crash(obj)
    for name in ("created", "modified") + _TIMESTAMP_PROPERTIES.get(kind, ()):
        if name in obj:
            problem = _real_date(obj[name], name)
            if problem:
                return problem
    if kind in _OBSERVABLE_TIMESTAMPS:
        for name in _OBSERVABLE_TIMESTAMPS[kind]:
            if name in obj:
                problem = _real_date(obj[name], name)
                if problem:
                    return problem
        if kind == "file" and type(obj.get("extensions")) is dict:
            for extension_name, extension in obj["extensions"].items():
                if type(extension) in (int, float, bool) or extension is None:
                    raise _Crash("extensions must be objects")
                if "time_date_stamp" in extension:
                    if type(extension) is not dict:
                        raise _Crash("extensions must be objects")
                    problem = _real_date(extension["time_date_stamp"],
                                         f"extensions.{extension_name}.time_date_stamp")
                    if problem:
                        return problem
        if kind == "x509-certificate" and type(obj.get("x509_v3_extensions")) is dict:
            extensions = obj["x509_v3_extensions"]
            for name in ("private_key_usage_period_not_before",
                         "private_key_usage_period_not_after"):
                if name in extensions:
                    problem = _real_date(extensions[name], f"x509_v3_extensions.{name}")
                    if problem:
                        return problem
    problem = _order_problem(obj, _MODIFIED_ORDER + _TIMESTAMP_ORDER.get(kind, ()))
    if problem:
        return problem
    observables = _observables_of(obj)
    if observables:
        for observable in observables:
            problem = _observable_musts(observable)
            if problem:
                return problem
    if kind == "marking-definition":
        identifier = obj["id"]
        if "object_marking_refs" in obj:
            refs = obj["object_marking_refs"]
            if not isinstance(refs, (list, dict, str)):
                raise _Crash("'object_marking_refs' must be a list")
            for ref in refs:
                if ref == identifier:
                    return "a marking-definition must not mark itself in 'object_marking_refs'"
        if "granular_markings" in obj:
            markings = obj["granular_markings"]
            if not isinstance(markings, (list, dict, str)):
                raise _Crash("'granular_markings' must be a list")
            for marking in markings:
                if type(marking) is not dict:
                    raise _Crash("granular markings must be objects")
                if "marking_ref" in marking and marking["marking_ref"] == identifier:
                    return "a marking-definition must not mark itself in 'granular_markings'"
    if "granular_markings" in obj:
        problem = _selector_problem(obj)
        if problem:
            return problem
    if kind == "observed-data" and type(obj.get("objects")) is dict:
        problem = _observed_references(obj)
        if problem:
            return problem
    if "lang" in obj and not _member(obj["lang"], LANGUAGES):
        return f"'lang' must be a language code like 'de' or 'en', got {_show(obj['lang'])}"
    if kind == "indicator":
        problem = _indicator_problem(obj)
        if problem:
            return problem
    if "cpe" in obj:
        problem = _cpe_problem(obj["cpe"])
        if problem:
            return problem
    if kind == "language-content" and "contents" in obj:
        contents = obj["contents"]
        if type(contents) is not dict:
            raise _Crash("'contents' must be an object")
        for language, translations in contents.items():
            if language not in LANGUAGES:
                return f"'contents' key {language!r} must be a language code like 'de'"
            if type(translations) is not dict:
                raise _Crash("the values of 'contents' must be objects of translated properties")
            for key in translations:
                if not _PROPERTY_FORMAT.match(key):
                    return f"'contents.{language}' has an invalid property name {key!r}"
    if kind in _CONTRIBUTING and "id" in obj:
        version = _uuid_version(obj["id"])
        if not any(name in obj for name in _CONTRIBUTING[kind]) and version != 4:
            return (f"a {kind} without {', '.join(_CONTRIBUTING[kind])} must have a "
                    "random (version 4) UUID in its 'id'")
    if kind == "process" and _uuid_version(obj["id"]) != 4:
        return "a process must have a random (version 4) UUID in its 'id'"
    # The validator runs the same checks on STIX objects nested in list properties.
    for value in obj.values():
        if type(value) is list:
            for item in value:
                if type(item) is dict and "id" in item and "type" in item:
                    problem = _musts(item)
                    if problem:
                        return problem
    return None


# --- Where stix2-validator's "SHOULD" checks raise (v21/shoulds.py) ----------------------------
#
# Its recommendations are only warnings, but they run on every object and some of them raise on
# input the schemas allow (an integer in a list the schema leaves untyped, say). The validator then
# reports no result at all, so the object is not accepted; these are the same conditions.

_VOCAB_PROPERTIES: dict[str, tuple[str, ...]] = {
    "artifact": ("hashes",), "file": ("hashes",), "identity": ("identity_class", "sectors"),
    "indicator": ("indicator_types",), "infrastructure": ("infrastructure_types",),
    "intrusion-set": ("resource_level", "primary_motivation", "secondary_motivations"),
    "location": ("region",),
    "malware": ("malware_types", "architecture_execution_envs", "implementation_languages",
                "capabilities"),
    "malware-analysis": ("result",), "report": ("report_types",),
    "threat-actor": ("threat_actor_types", "roles", "sophistication", "resource_level",
                     "primary_motivation", "secondary_motivations", "personal_motivations"),
    "tool": ("tool_types",), "marking-definition": ("definition_type",),
    "x509-certificate": ("hashes",),
}
_VOCAB_USES: dict[str, tuple[str, ...]] = {
    "user-account": ("account_type",), "grouping": ("context",),
    "identity": ("identity_class", "sectors"), "indicator": ("pattern_type", "indicator_types"),
    "infrastructure": ("infrastructure_types",),
    "intrusion-set": ("primary_motivation", "secondary_motivations", "resource_level"),
    "location": ("region",),
    "malware": ("implementation_languages", "capabilities", "malware_types",
                "architecture_execution_envs"),
    "malware-analysis": ("result",), "report": ("report_types",),
    "threat-actor": ("primary_motivation", "secondary_motivations", "personal_motivations",
                     "resource_level", "roles", "sophistication", "threat_actor_types"),
    "tool": ("tool_types",),
}
_KILL_CHAIN_USERS = frozenset({"attack-pattern", "indicator", "infrastructure", "malware", "tool"})
_EMBEDDED_PROPERTIES = {"email-message": "body_multipart", "windows-registry-key": "values",
                        "x509-certificate": "x509_v3_extensions"}
_KNOWN_EXTENSIONS = {
    "file": ("archive-ext", "ntfs-ext", "pdf-ext", "raster-image-ext", "windows-pebinary-ext"),
    "network-traffic": ("http-request-ext", "icmp-ext", "socket-ext", "tcp-ext"),
    "process": ("windows-process-ext", "windows-service-ext"),
    "user-account": ("unix-account-ext",),
}
_EXTENSION_LISTS = {"ntfs-ext": ("alternate_data_streams",),
                    "windows-pebinary-ext": ("optional_header", "sections")}
_STIX_TYPES = frozenset(_SDO_SPECS) | {"bundle", "marking-definition"}
_RELATIONSHIP_SOURCES = frozenset({
    "attack-pattern", "campaign", "course-of-action", "domain-name", "identity", "indicator",
    "infrastructure", "intrusion-set", "ipv4-addr", "ipv6-addr", "malware", "malware-analysis",
    "threat-actor", "tool", "vulnerability",
})
_NOT_SDOS = frozenset({"bundle", "language-content", "marking-definition", "sighting",
                       "relationship", "extension-definition"})
_CONTAINERS = (str, list, dict)


def _iterable(value: Any) -> bool:
    return isinstance(value, _CONTAINERS)


def _hashable(value: Any) -> bool:
    return not isinstance(value, (list, dict))


def _contains(container: Any, key: str, name: str) -> bool:
    """`key in container` as Python evaluates it; raises _Crash where Python raises."""
    if not isinstance(container, _CONTAINERS):
        raise _Crash(f"the entries of '{name}' must be objects, got {_show(container)}")
    return key in container


def _extension_declared(obj: dict[str, Any], kinds: tuple[str, ...]) -> bool:
    """shoulds._uses_extension."""
    extensions = obj.get("extensions", {})
    if type(extensions) is not dict:
        raise _Crash("'extensions' must be an object")
    for extension in extensions.values():
        if type(extension) is not dict:
            raise _Crash("extensions must be objects")
        if extension.get("extension_type", "") in kinds:
            return True
    return False


def _hash_names_ok(hashes: Any) -> None:
    """shoulds.valid_hash_value over a 'hashes' value (re.match on each name)."""
    if not _iterable(hashes):
        raise _Crash("'hashes' must be an object")
    for name in hashes:
        if type(name) is not str:
            raise _Crash("hash names must be strings")


def _observable_shoulds(obj: Any) -> None:
    """The SHOULD checks stix2-validator runs on every cyber observable."""
    if type(obj) is not dict or "id" not in obj or "type" not in obj:
        raise _Crash("cyber observables must be objects with 'id' and 'type'")
    kind = obj["type"]
    if not _hashable(kind):
        raise _Crash("'type' must be a string")
    embedded = _EMBEDDED_PROPERTIES.get(kind)
    if embedded and embedded in obj and not _iterable(obj[embedded]):
        raise _Crash(f"'{embedded}' must be a list")
    extensions = obj.get("extensions")
    if kind in _KNOWN_EXTENSIONS and "extensions" in obj:
        if not _iterable(extensions):
            raise _Crash("'extensions' must be an object")
        for name in extensions:
            if _hashable(name) and name in _KNOWN_EXTENSIONS[kind]:
                if type(extensions) is not dict:
                    raise _Crash("'extensions' must be an object")
                extension = extensions[name]
                if not _iterable(extension):
                    raise _Crash("extensions must be objects")
                for key in extension:
                    if key in _EXTENSION_LISTS.get(name, ()):
                        if type(extension) is not dict:
                            raise _Crash("extensions must be objects")
                        if not _iterable(extension[key]):
                            raise _Crash(f"'{key}' must be a list or an object")
                    elif not _hashable(key) and name in _EXTENSION_LISTS:
                        raise _Crash("unexpected value in an extension")
        if type(extensions) is dict:
            for name in extensions:
                if name not in _KNOWN_EXTENSIONS[kind]:
                    _extension_declared(obj, ("property-extension",))
                    break
    if kind in ("file", "artifact", "x509-certificate") and "hashes" in obj:
        _hash_names_ok(obj["hashes"])
    if kind == "file" and "extensions" in obj:
        streams = _dig(extensions, "ntfs-ext", "alternate_data_streams")
        if streams is not _MISSING:
            if not _iterable(streams):
                raise _Crash("'alternate_data_streams' must be a list")
            for stream in streams:
                if _contains(stream, "hashes", "alternate_data_streams"):
                    if type(stream) is not dict:
                        raise _Crash("the entries of 'alternate_data_streams' must be objects")
                    _hash_names_ok(stream["hashes"])
        for path in (("windows-pebinary-ext", "file_header_hashes"),
                     ("windows-pebinary-ext", "optional_header", "hashes")):
            found = _dig(extensions, *path)
            if found is not _MISSING:
                _hash_names_ok(found)
        sections = _dig(extensions, "windows-pebinary-ext", "sections")
        if sections is not _MISSING:
            if not _iterable(sections):
                raise _Crash("'sections' must be a list")
            for section in sections:
                if _contains(section, "hashes", "sections"):
                    if type(section) is not dict:
                        raise _Crash("the entries of 'sections' must be objects")
                    _hash_names_ok(section["hashes"])
    if kind == "network-traffic":
        for name in ("protocols", "ipfix"):
            if name in obj and not _iterable(obj[name]):
                raise _Crash(f"'{name}' must be a list or an object")
        for path in (("http-request-ext", "request_header"), ("socket-ext", "options")):
            found = _dig(extensions, *path) if "extensions" in obj else _MISSING
            if found is not _MISSING and not _iterable(found):
                raise _Crash("extension values must be objects")
    if kind == "file" and "extensions" in obj:
        found = _dig(extensions, "pdf-ext", "document_info_dict")
        if found is not _MISSING and not _iterable(found):
            raise _Crash("'document_info_dict' must be an object")
    if kind == "process" and "extensions" in obj:
        priority = _dig(extensions, "windows-process-ext", "priority")
        if priority is not _MISSING and type(priority) is not str:
            raise _Crash("'priority' must be a string")


_MISSING = object()


def _dig(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]... with the validator's `except (KeyError, TypeError)`."""
    for key in path:
        if type(value) is not dict or key not in value:
            return _MISSING  # indexing anything but an object with a string: TypeError, caught
        value = value[key]
    return value


def _shoulds_crash(obj: dict[str, Any]) -> None:
    """Raise _Crash where stix2-validator's SHOULD checks raise on this object."""
    identifier, kind = obj["id"], obj["type"]
    if type(identifier) is not str:
        raise _Crash("'id' must be a string")
    if not _hashable(kind):
        raise _Crash("'type' must be a string")
    for name in _VOCAB_PROPERTIES.get(kind, ()):
        if name in obj:
            value = obj[name]
            if type(value) is dict:
                break
            for item in value if type(value) is list else [value]:
                if type(item) is not str:
                    raise _Crash(f"'{name}' must be a string or a list of strings")
    if kind in _KILL_CHAIN_USERS and "kill_chain_phases" in obj:
        phases = obj["kill_chain_phases"]
        if not _iterable(phases):
            raise _Crash("'kill_chain_phases' must be a list")
        for phase in phases:
            if not _contains(phase, "kill_chain_name", "kill_chain_phases"):
                break
            if type(phase) is not dict or type(phase["kill_chain_name"]) is not str:
                raise _Crash("kill chain phases must name the chain")
            if type(phase.get("phase_name")) is not str:
                raise _Crash("kill chain phases need a 'phase_name' string")
    for name in _VOCAB_USES.get(kind, ()):
        value = obj.get(name)
        if type(value) is list and not all(_hashable(item) for item in value):
            raise _Crash(f"'{name}' must be a string or a list of strings")
    if kind == "malware-analysis" and "product" in obj and type(obj["product"]) is not str:
        raise _Crash("'product' must be a string")
    if kind == "location" and "country" in obj and type(obj["country"]) is not str:
        raise _Crash("'country' must be a string")
    if kind == "extension-definition" and not _iterable(obj.get("extension_types", [])):
        raise _Crash("'extension_types' must be a list")
    if kind == "relationship" and all(k in obj for k in ("relationship_type", "source_ref",
                                                            "target_ref")):
        source, target = obj["source_ref"], obj["target_ref"]
        if type(source) is str and type(target) is str and "--" in source[1:] and (
                "--" in target[1:]):
            source_type = source[:source.rindex("--")]
            target_type = target[:target.rindex("--")]
            relation = obj["relationship_type"]
            common = relation in ("derived-from", "duplicate-of", "related-to")
            if (not common and source_type not in _NOT_SDOS and target_type not in _NOT_SDOS
                    and source_type in _RELATIONSHIP_SOURCES and not _hashable(relation)):
                raise _Crash("'relationship_type' must be a string")
    if "external_references" in obj:
        references = obj["external_references"]
        if not _iterable(references):
            raise _Crash("'external_references' must be a list")
        for reference in references:
            if _contains(reference, "url", "external_references") and not _contains(
                    reference, "hashes", "external_references"):
                if type(reference) is not dict and "source_name" in reference:
                    raise _Crash("the entries of 'external_references' must be objects")
                break
    if kind not in _STIX_TYPES and kind not in _SCO_SPECS and kind != "action":
        _extension_declared(obj, ("new-sdo", "new-sco", "new-sro"))
    elif "extensions" in obj and (type(obj["extensions"]) is not dict or not all(
            type(extension) is dict for extension in obj["extensions"].values())):
        # Checked when the object has a property the specification does not define.
        _extension_declared(obj, ("toplevel-property-extension",))
    observables = _observables_of(obj)
    for observable in observables or ():
        _observable_shoulds(observable)


# --- CPE 2.3 formatted strings (as the `cpe` package parses them) -------------------------------

_CPE_ATTRIBUTES = ("part", "vendor", "product", "version", "update", "edition", "language",
                   "sw_edition", "target_sw", "target_hw", "other")
_CPE_COMPONENT = r"(?P<{0}>.*?)(?<!\\)"
_CPE_FS = re.compile(
    r"^cpe:2.3:(?P<part>(h|o|a|\*|\-))\:"
    + r"\:".join(_CPE_COMPONENT.format(name) for name in _CPE_ATTRIBUTES[1:]) + "$",
    re.IGNORECASE,
)
_CPE_PUNCTUATION = (r"\!|\"|\;|\#|\$|\%|\&|\'|\(|\)|\+|\,|\/|\:|\<|\=|\>|\@|\[|\]|\^|\`|\{|\||"
                    r"\}|\~|\-")
_CPE_AVSTRING = r"\w|\.|\-|\\(\\|\?|\*|" + _CPE_PUNCTUATION + ")"
_CPE_VALUE = re.compile(
    r"^((\?+|\?*(" + _CPE_AVSTRING + r")+|\*(" + _CPE_AVSTRING + r")+)(\?+|\*)?|(\*|-))$"
)
_CPE_LANGUAGE = re.compile(r"^(\*[a-z]{1,2}|\?(([a-z][a-z]?)|(\?(\?|[a-z])?))|([a-z]{2,3}))$")
_CPE_LANGUAGE_ALONE = re.compile(
    r"^([a-z]([a-z](\*|\?|([a-z]\*))|\?(\?)?|\*)|\?[a-z](\*|\?)|\*[a-z](\*|\?))$")
_CPE_REGION = re.compile(
    r"^((\*)|((\?){2,3})|([a-z]([a-z]|\*|\?))|([0-9](\*|\?(\?)?|[0-9][0-9\*\?])))$")
_CPE_REGION_ALONE = re.compile(r"^((\*[0-9])([0-9]([0-9])?)?)$")
_WORD_CHAR = re.compile(r"\w")


def _cpe_language_ok(value: str) -> bool:
    parts = value.lower().split("-")
    if _CPE_LANGUAGE.match(parts[0]):
        return _CPE_REGION.match(parts[1]) is not None if len(parts) == 2 else True
    if _CPE_LANGUAGE_ALONE.match(parts[0]):
        return len(parts) != 2
    return _CPE_REGION_ALONE.match(parts[0]) is not None


def _cpe_wildcards_ok(value: str) -> bool:
    """The `cpe` package's decoding of a component: where '*' and '?' may stand."""
    index, last, embedded = 0, len(value) - 1, False
    while index < len(value):
        char = value[index]
        if _WORD_CHAR.match(char):
            index += 1
            embedded = True
        elif char == "\\":
            index += 2
            embedded = True
        elif char == "*":
            if index != 0 and index != last:
                return False
            index += 1
            embedded = True
        elif char == "?":
            if (index == 0 or index == last or (not embedded and value[index - 1] == "?")
                    or (embedded and value[index + 1] == "?")):
                index += 1
                embedded = False
            else:
                return False
        else:
            index += 1
            embedded = True
    return True


def _cpe_formatted_string(value: str) -> bool:
    lowered = value.lower()
    if " " in lowered:
        return False
    match = _CPE_FS.match(lowered)
    if match is None:
        return False
    for attribute in _CPE_ATTRIBUTES:
        component = match.group(attribute)
        if component == "*" or component == "-":
            continue
        if attribute == "language":
            if not _cpe_language_ok(component):
                return False
        elif attribute not in ("part", "edition") and not _CPE_VALUE.match(component):
            return False
        if not _cpe_wildcards_ok(component):
            return False
    return True


# --- Entry point --------------------------------------------------------------------------------


def validate(obj: Any) -> str | None:
    """The first reason this is not a valid STIX 2.1 object, or None."""
    if not isinstance(obj, dict):
        return "an object must be a JSON object"
    if "type" not in obj:
        return "'type' is required"
    if "id" not in obj:
        return "'id' is required"
    kind = obj["type"]
    problem = _type_problem(kind)
    if problem:
        return problem
    # Intended differences from stix2-validator (see the module docstring).
    if kind == "bundle":
        return "a bundle cannot be stored as an object; send its objects in the envelope"
    if "spec_version" in obj and obj["spec_version"] != "2.1":
        return f"'spec_version' must be '2.1', got {_show(obj['spec_version'])}"
    try:
        return _schema_problem(obj) or _musts(obj)
    except _Crash as crash:
        return str(crash)
    except RecursionError:
        return "the object is nested too deeply"
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as error:
        # Only nested objects that stix2-validator itself cannot check get here.
        return f"the object cannot be checked ({type(error).__name__}: {error})"

"""Checks: functions (value, name) -> problem or None.

A check returns the first problem as a sentence that names the property (`name`), or None. The
builders (`typed`, `integer`, `matching`, `one_of`, `array`, `ref_to`, ...) make the property
checks of the object schemas; the functions named after a schema file (`dictionary`,
`hashes_type`, `external_reference`, `granular_marking`, `kill_chain_phase`,
`defined_extension`, `extensions`) apply that file as stix2-validator's bundled copy has it,
quirks included, because the promise is to refuse exactly what the validator refuses.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Callable, Iterable

from cyberhub.core.validation.values import (
    BIN_NAME,
    BINARY,
    DICT_KEY,
    EXT_DEF_NAME,
    EXT_NAME,
    EXTENSION_TYPES,
    HASH_KEY,
    HEX,
    HEX_NAME,
    IDENTIFIER,
    MILLIS,
    PLAIN_NAME,
    SELECTOR,
    TIMESTAMP,
    a_value,
    is_int,
    is_number,
    is_uri,
    show,
)

Check = Callable[[Any, str], "str | None"]


def typed(test: Callable[[Any], bool], what: str) -> Check:
    def check(value: Any, name: str) -> str | None:
        return None if test(value) else f"'{name}' must be {what}, got {show(value)}"
    return check


STRING = typed(lambda v: type(v) is str, "a string")
BOOLEAN = typed(lambda v: type(v) is bool, "true or false")
INTEGER = typed(is_int, "an integer")
NUMBER = typed(is_number, "a number")
OBJECT = typed(lambda v: type(v) is dict, "a JSON object")


def integer(low: int | None = None, high: int | None = None) -> Check:
    def check(value: Any, name: str) -> str | None:
        if not is_int(value) or (low is not None and value < low) or (
            high is not None and value > high
        ):
            if high is None:
                return f"'{name}' must be an integer of at least {low}, got {show(value)}"
            return f"'{name}' must be an integer from {low} to {high}, got {show(value)}"
        return None
    return check


def number(low: float, high: float) -> Check:
    def check(value: Any, name: str) -> str | None:
        if not is_number(value) or not low <= value <= high:
            return f"'{name}' must be a number from {low} to {high}, got {show(value)}"
        return None
    return check


def matching(regex: re.Pattern[str], what: str) -> Check:
    def check(value: Any, name: str) -> str | None:
        if type(value) is not str or not regex.search(value):
            return f"'{name}' must be {what}, got {show(value)}"
        return None
    return check


def formatted(test: Callable[[str], bool], what: str) -> Check:
    def check(value: Any, name: str) -> str | None:
        if type(value) is not str:
            return f"'{name}' must be a string, got {show(value)}"
        if not test(value):
            return f"'{name}' must be {what}, got {show(value)}"
        return None
    return check


def one_of(values: Iterable[str]) -> Check:
    allowed = tuple(values)

    def check(value: Any, name: str) -> str | None:
        if type(value) is not str or value not in allowed:
            return f"'{name}' must be one of {', '.join(allowed)}, got {show(value)}"
        return None
    return check


def all_of(*checks: Check) -> Check:
    def check(value: Any, name: str) -> str | None:
        for one in checks:
            problem = one(value, name)
            if problem:
                return problem
        return None
    return check


def array(item: Check | None = None, min_items: int = 0) -> Check:
    def check(value: Any, name: str) -> str | None:
        if type(value) is not list:
            return f"'{name}' must be a list, got {show(value)}"
        if len(value) < min_items:
            return f"'{name}' must not be an empty list"
        if item is not None:
            for index, element in enumerate(value):
                problem = item(element, f"{name}[{index}]")
                if problem:
                    return problem
        return None
    return check


TIMESTAMP_CHECK = matching(TIMESTAMP, "a timestamp like 2026-01-31T12:00:00Z")
MILLIS_CHECK = all_of(
    TIMESTAMP_CHECK,
    matching(MILLIS, "a timestamp with milliseconds like 2026-01-31T12:00:00.000Z"),
)
IDENTIFIER_CHECK = matching(IDENTIFIER, "a STIX identifier like 'identity--' + UUID")
HEX_CHECK = matching(HEX, "hexadecimal with an even number of digits")
BINARY_CHECK = matching(BINARY, "base64-encoded")
STRINGS = array(STRING, 1)
REFS = array(IDENTIFIER_CHECK, 1)


def ref_to(*types: str) -> Check:
    prefix = re.compile("^(" + "|".join(re.escape(t) for t in types) + ")--")
    what = " or ".join(types)

    def check(value: Any, name: str) -> str | None:
        problem = IDENTIFIER_CHECK(value, name)
        if problem:
            return problem
        if not prefix.search(value):
            return f"'{name}' must refer to {what}, not {show(value)}"
        return None
    return check


def ref_not_to(regex: str, what: str) -> Check:
    compiled = re.compile(regex)

    def check(value: Any, name: str) -> str | None:
        problem = IDENTIFIER_CHECK(value, name)
        if problem:
            return problem
        if compiled.search(value):
            return f"'{name}' must not refer to {what}, got {show(value)}"
        return None
    return check


@lru_cache(maxsize=8192)
def _name_rules(key: str) -> tuple[bool, bool, bool]:
    """properties.json: (ends in _bin, ends in _hex, plain name) for a property name."""
    return (
        BIN_NAME.search(key) is not None,
        HEX_NAME.search(key) is not None,
        PLAIN_NAME.search(key) is not None,
    )


def property_rules(obj: dict[str, Any], where: str) -> str | None:
    """properties.json applied to every property of an object (or of an extension)."""
    for key, value in obj.items():
        is_bin, is_hex, is_plain = _name_rules(key)
        if not (is_bin or is_hex or is_plain):
            return (
                f"property name {where}{key!r} is not allowed: use 3 to 250 lowercase letters, "
                "digits and underscores, starting with a letter"
            )
        if is_plain and not a_value(value):
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


def dictionary(value: Any, name: str) -> str | None:
    """dictionary.json: a non-empty object with simple keys and non-null values."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    for key, item in value.items():
        if not DICT_KEY.search(key):
            return (f"key {key!r} in '{name}' is not allowed: use up to 250 letters, digits, "
                    "'_' and '-'")
        if not a_value(item):
            return f"'{name}.{key}' must not be null or an empty list"
    return None


def dictionary_of(rules: list[tuple[re.Pattern[str], Check]], closed: bool) -> Check:
    """dictionary.json plus patternProperties (and additionalProperties false if closed)."""
    def check(value: Any, name: str) -> str | None:
        problem = dictionary(value, name)
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


def hashes_type(value: Any, name: str) -> str | None:
    """hashes-type.json."""
    problem = dictionary(value, name)
    if problem:
        return problem
    for key, digest in value.items():
        if not HASH_KEY.search(key):
            return f"hash algorithm name {key!r} in '{name}' must be 3 to 250 letters or digits"
        if type(digest) is not str:
            return f"'{name}.{key}' must be a string, got {show(digest)}"
        for algorithm, regex in _HASH_VALUES.items():
            if regex.search(key):
                shape, what = _HASH_FORMATS[algorithm]
                if not shape.search(digest):
                    return f"'{name}.{key}' must be {what}, got {show(digest)}"
    return None


_EXTREF_HASH_NAME = re.compile(r"^MD5|SHA-1|SHA-256|SHA-512|SHA3-256|SHA3-512|SSDEEP|TLSH$")
_CVE_SOURCE = re.compile(r"^cve$")
_CAPEC_SOURCE = re.compile(r"^capec$")
_CVE_ID = re.compile(r"^CVE-\d{4}-(0\d{3}|[1-9]\d{3,})$")
_CAPEC_ID = re.compile(r"^CAPEC-\d+$")
_SPECIAL_SOURCE = re.compile(r"^((cve)|(capec))$")
_SPECIAL_ID = re.compile(r"^((CVE-\d{4}-(0\d{3}|[1-9]\d{3,}))|(CAPEC-\d+))$")


def external_reference(value: Any, name: str) -> str | None:
    """external-reference.json."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {show(value)}"
    problem = None
    if "description" in value:
        problem = STRING(value["description"], name + ".description")
    if not problem and "url" in value:
        problem = URI_CHECK(value["url"], name + ".url")
    if not problem and "hashes" in value:
        hashes = value["hashes"]
        problem = hashes_type(hashes, name + ".hashes")
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
        return f"'{name}.source_name' must be a string, got {show(source)}"
    has_id = "external_id" in value
    external_id = value.get("external_id")
    if has_id and type(external_id) is not str:
        return f"'{name}.external_id' must be a string, got {show(external_id)}"
    for source_rx, id_rx, label, example in (
        (_CVE_SOURCE, _CVE_ID, "cve", "CVE-2024-12345"),
        (_CAPEC_SOURCE, _CAPEC_ID, "capec", "CAPEC-123"),
    ):
        if source_rx.search(source):
            if not has_id:
                return f"'{name}.external_id' is required when source_name is '{label}'"
            if not id_rx.search(external_id):
                return (f"'{name}.external_id' must look like {example} when source_name is "
                        f"'{label}', got {show(external_id)}")
            return None
    if _SPECIAL_SOURCE.search(source):
        return f"'{name}.source_name' must be exactly 'cve' or 'capec', got {show(source)}"
    if has_id and _SPECIAL_ID.search(external_id):
        return (f"'{name}.external_id' {show(external_id)} needs source_name 'cve' or 'capec', "
                f"not {show(source)}")
    if not (has_id or "description" in value or "url" in value):
        return f"'{name}' needs 'external_id', 'description' or 'url' besides 'source_name'"
    return None


def granular_marking(value: Any, name: str) -> str | None:
    """granular-marking.json."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {show(value)}"
    for required in ("selectors", "marking_ref"):
        if required not in value:
            return f"'{name}.{required}' is required"
    problem = array(matching(SELECTOR, "a selector like 'description' or 'labels.[0]'"), 1)(
        value["selectors"], name + ".selectors"
    )
    if not problem and "lang" in value:
        problem = STRING(value["lang"], name + ".lang")
    return problem or ref_to("marking-definition")(value["marking_ref"], name + ".marking_ref")


def kill_chain_phase(value: Any, name: str) -> str | None:
    """kill-chain-phase.json."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {show(value)}"
    for required in ("kill_chain_name", "phase_name"):
        if required not in value:
            return f"'{name}.{required}' is required"
        problem = STRING(value[required], f"{name}.{required}")
        if problem:
            return problem
    return None


URI_CHECK = formatted(is_uri, "an absolute URI like https://example.org/path")
KILL_CHAIN_PHASES = array(kill_chain_phase, 1)


def defined_extension(value: Any, name: str) -> str | None:
    """extension.json: the value of an extension-definition--... extension."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    if "extension_type" not in value:
        return f"'{name}.extension_type' is required"
    problem = one_of(EXTENSION_TYPES)(value["extension_type"], name + ".extension_type")
    return problem or property_rules(value, name + ".")


def extensions(value: Any, name: str) -> str | None:
    """core.json / cyber-observable-core.json: the 'extensions' property."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    for key, extension in value.items():
        where = f"{name}.{key}"
        if EXT_DEF_NAME.search(key):
            problem = defined_extension(extension, where)
        elif EXT_NAME.search(key):
            if type(extension) is not dict:
                return f"'{where}' must be a JSON object, got {show(extension)}"
            if not extension:
                return f"'{where}' must not be empty"
            problem = property_rules(extension, where + ".")
        else:
            return (f"extension name {key!r} is not allowed: use 'extension-definition--' and a "
                    "UUID, or a name ending in '-ext'")
        if problem:
            return problem
    return None


def marking_extensions(value: Any, name: str) -> str | None:
    """marking-definition.json: only extension-definition--... extensions."""
    if type(value) is not dict:
        return f"'{name}' must be a JSON object, got {show(value)}"
    if not value:
        return f"'{name}' must not be empty"
    for key, extension in value.items():
        if not EXT_DEF_NAME.search(key):
            return (f"extension name {key!r} is not allowed on a marking-definition: use "
                    "'extension-definition--' and a UUID")
        problem = defined_extension(extension, f"{name}.{key}")
        if problem:
            return problem
    return None

"""Pure STIX helpers: strict JSON parsing of TAXII envelopes, object versions, digests.

Strict means: duplicate keys, NaN/Infinity, numbers that do not fit an IEEE double exactly
(integers beyond ±2^53), lone UTF-16 surrogates and NUL characters are refused, because two
parsers reading such a document differently is how signed content gets smuggled past a
verifier (and PostgreSQL refuses NUL in text).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from cyberhub.core import timestamps

# The OASIS incident-core extension of `incident` (DESIGN.md): the agent writes it, the hub's
# drafting reads its incident types.
INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
# A town's incident carries its reporting stage as a label (the agent writes it, the hub's
# inbox reads it); later stages are new versions of the same incident.
STAGE_LABEL = "cyberhub:stage="
STAGES = ("early-warning", "notification", "final")

MAX_SAFE_INTEGER = 2**53
# Real STIX nests a dozen levels (envelope, object, extension, dictionary, list); a limit far
# above that keeps every later recursive step (canonicalisation, hashing, validation) safe.
MAX_DEPTH = 100
# Strings and everything that is not a bracket; what is left is the document's nesting.
_NOT_NESTING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[^\[\]{}"]+')
_WHITESPACE = re.compile(r"[ \t\n\r]*")
# Escapes that may decode to a character no text column can hold: the walk over the parsed
# document only runs when the text has one.
_SUSPECT_ESCAPE = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)", re.ASCII)


class JSONError(ValueError):
    """Malformed or ambiguous JSON. `code` is `duplicate-key`, `too-deep` or `malformed-json`."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JSONError("duplicate-key", f"duplicate key {key!r}")
            seen.add(key)
    return result


def _constant(name: str) -> Any:
    raise JSONError("malformed-json", f"{name} is not allowed in JSON")


def _integer(text: str) -> int:
    value = int(text)
    if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
        raise JSONError("malformed-json", f"integer {text[:30]} is outside ±2^53")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JSONError("malformed-json", f"number {text[:30]} is out of range")
    return value


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_constant=_constant, parse_int=_integer, parse_float=_float
)


def _check_strings(value: Any) -> None:
    """Refuse lone surrogates (no UTF-8 form) and U+0000, which PostgreSQL cannot store in a
    text column: refused here, on every database alike, rather than half-way through a write."""
    if isinstance(value, str):
        if "\x00" in value:
            raise JSONError("malformed-json", "string contains the NUL character (U+0000)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise JSONError("malformed-json", "string contains a lone UTF-16 surrogate") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def _decode_at(text: str, index: int) -> tuple[Any, int]:
    try:
        return _DECODER.raw_decode(text, index)
    except JSONError:
        raise
    except RecursionError:
        raise JSONError("too-deep", f"JSON nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as exc:
        raise JSONError("malformed-json", f"invalid JSON: {exc}") from None


def _check_depth(text: str) -> None:
    """Refuse a (valid) JSON document nested more than MAX_DEPTH levels. Each pass removes the
    innermost bracket pairs, one level; what is left after MAX_DEPTH passes is deeper. Done on
    the text with C-speed string operations: a walk over the parsed value would cost as much as
    the parse itself."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    nesting = _NOT_NESTING.sub("", text).replace("{", "[").replace("}", "]")
    for _ in range(MAX_DEPTH):
        if not nesting:
            return
        nesting = nesting.replace("[]", "")
    if nesting:
        raise JSONError("too-deep", f"JSON nested more than {MAX_DEPTH} levels deep")


def loads(text: str | bytes) -> Any:
    """Parse one JSON document strictly."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise JSONError("malformed-json", "body is not UTF-8") from None
    start = _WHITESPACE.match(text, 0).end()  # type: ignore[union-attr]
    value, end = _decode_at(text, start)
    if _WHITESPACE.match(text, end).end() != len(text):  # type: ignore[union-attr]
        raise JSONError("malformed-json", "extra data after the JSON document")
    _check_depth(text)
    if _SUSPECT_ESCAPE.search(text):
        _check_strings(value)
    return value


@dataclass(frozen=True)
class RawObject:
    """One element of an envelope's `objects`: the parsed value and its exact source text."""

    value: Any
    text: str


def _skip(text: str, index: int) -> int:
    return _WHITESPACE.match(text, index).end()  # type: ignore[union-attr]


def _expect(text: str, index: int, char: str) -> int:
    if text[index:index + 1] != char:
        raise JSONError("malformed-json", f"invalid JSON: expected {char!r} at char {index}")
    return _skip(text, index + 1)


def parse_envelope(body: str | bytes) -> tuple[dict[str, Any], list[RawObject]]:
    """Parse a TAXII envelope strictly, in one pass, keeping each object's exact text as sent.

    Returns the envelope's members and its objects. Raises JSONError for bad JSON and ValueError
    for a document that is JSON but not an envelope.
    """
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise JSONError("malformed-json", "body is not UTF-8") from None
    text = body
    index = _skip(text, 0)
    if text[index:index + 1] != "{":
        loads(text)  # raises JSONError if it is not JSON at all
        raise ValueError("the body must be a JSON object (a TAXII envelope)")
    index = _skip(text, index + 1)
    members: dict[str, Any] = {}
    objects: list[RawObject] | None = None
    while text[index:index + 1] != "}":
        if text[index:index + 1] != '"':
            raise JSONError("malformed-json", f"invalid JSON: expected a key at char {index}")
        key, index = _decode_at(text, index)
        index = _expect(text, _skip(text, index), ":")
        if key in members:
            raise JSONError("duplicate-key", f"duplicate key {key!r}")
        if key == "objects" and text[index:index + 1] == "[":
            objects, index = _objects_at(text, index)
            members[key] = [item.value for item in objects]
        else:
            members[key], index = _decode_at(text, index)
        index = _skip(text, index)
        if text[index:index + 1] == ",":
            index = _skip(text, index + 1)
            if text[index:index + 1] == "}":
                raise JSONError("malformed-json", f"invalid JSON: trailing comma at char {index}")
        elif text[index:index + 1] != "}":
            raise JSONError("malformed-json", f"invalid JSON: expected ',' or '}}' at char {index}")
    if _skip(text, index + 1) != len(text):
        raise JSONError("malformed-json", "extra data after the JSON document")
    _check_depth(text)
    if _SUSPECT_ESCAPE.search(text):
        _check_strings(members)
    if "objects" not in members:
        raise ValueError("the envelope has no 'objects'")
    if objects is None:
        raise ValueError("'objects' must be a list")
    return members, objects


def _objects_at(text: str, index: int) -> tuple[list[RawObject], int]:
    index = _skip(text, index + 1)
    items: list[RawObject] = []
    if text[index:index + 1] == "]":
        return items, index + 1
    while True:
        value, end = _decode_at(text, index)
        items.append(RawObject(value, text[index:end]))
        index = _skip(text, end)
        if text[index:index + 1] == "]":
            return items, index + 1
        index = _expect(text, index, ",")


def digest(value: Any) -> str:
    """A stable content digest used to recognise exact duplicates (not a signature hash)."""
    canonical = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Version:
    """The TAXII version of an object: its `modified`, else `created`; None for neither."""

    text: str
    key: str


def object_version(obj: dict[str, Any]) -> Version | None:
    for name in ("modified", "created"):
        value = obj.get(name)
        if value is not None:
            key = timestamps.sort_key(value)
            if key is not None:
                return Version(value, key)
    return None

"""STIX 2.1 object validation, fast enough for the ingest hot path.

Checks what makes an object unusable or ambiguous for the hub and its readers: required
properties per type, identifier and timestamp formats, reference types, and the value ranges the
specification fixes. `validate` returns the first problem as a sentence, or None.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from . import timestamps

TYPE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-?$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
IDENTIFIER = re.compile(rf"^([a-z][a-z0-9-]+)--({UUID})$")
_RFC4122 = re.compile(rf"^{UUID}$")

SDO_REQUIRED: dict[str, tuple[str, ...]] = {
    "attack-pattern": ("name",),
    "campaign": ("name",),
    "course-of-action": ("name",),
    "grouping": ("context", "object_refs"),
    "identity": ("name",),
    "incident": ("name",),
    "indicator": ("pattern", "pattern_type", "valid_from"),
    "infrastructure": ("name",),
    "intrusion-set": ("name",),
    "location": (),
    "malware": ("is_family",),
    "malware-analysis": ("product",),
    "note": ("content", "object_refs"),
    "observed-data": ("first_observed", "last_observed", "number_observed"),
    "opinion": ("opinion", "object_refs"),
    "report": ("name", "published", "object_refs"),
    "threat-actor": ("name",),
    "tool": ("name",),
    "vulnerability": ("name",),
}
SRO_REQUIRED: dict[str, tuple[str, ...]] = {
    "relationship": ("relationship_type", "source_ref", "target_ref"),
    "sighting": ("sighting_of_ref",),
}
META_REQUIRED: dict[str, tuple[str, ...]] = {
    "marking-definition": ("created",),
    "language-content": ("created", "modified", "object_ref", "contents"),
    "extension-definition": (
        "created", "modified", "created_by_ref", "name", "schema", "version", "extension_types",
    ),
}
SCO_REQUIRED: dict[str, tuple[str, ...]] = {
    "artifact": (),
    "autonomous-system": ("number",),
    "directory": ("path",),
    "domain-name": ("value",),
    "email-addr": ("value",),
    "email-message": ("is_multipart",),
    "file": (),
    "ipv4-addr": ("value",),
    "ipv6-addr": ("value",),
    "mac-addr": ("value",),
    "mutex": ("name",),
    "network-traffic": ("protocols",),
    "process": (),
    "software": ("name",),
    "url": ("value",),
    "user-account": (),
    "windows-registry-key": (),
    "x509-certificate": (),
}
SCO_TYPES = frozenset(SCO_REQUIRED)
SDO_TYPES = frozenset(SDO_REQUIRED)
# Objects that carry created/modified and must declare spec_version.
VERSIONED_TYPES = frozenset(SDO_REQUIRED) | frozenset(SRO_REQUIRED) | {
    "language-content", "extension-definition",
}

TIMESTAMP_PROPERTIES = frozenset({
    "created", "modified", "valid_from", "valid_until", "first_seen", "last_seen",
    "first_observed", "last_observed", "published", "start_time", "stop_time",
    "analysis_started", "analysis_ended", "submitted", "ctime", "mtime", "atime", "date",
    "start", "end", "created_time", "modified_time", "account_created", "account_expires",
    "credential_last_changed", "account_first_login", "account_last_login",
    "validity_not_before", "validity_not_after",
})

# Which object types a reference property may point to (None: any identifier).
REFERENCE_TARGETS: dict[str, frozenset[str] | None] = {
    "created_by_ref": frozenset({"identity"}),
    "object_marking_refs": frozenset({"marking-definition"}),
    "marking_ref": frozenset({"marking-definition"}),
    "where_sighted_refs": frozenset({"identity", "location"}),
    "observed_data_refs": frozenset({"observed-data"}),
    "sample_refs": frozenset({"file", "artifact"}),
    "operating_system_refs": frozenset({"software"}),
    "host_vm_ref": frozenset({"software"}),
    "operating_system_ref": frozenset({"software"}),
    "installed_software_refs": frozenset({"software"}),
    "sample_ref": frozenset({"file", "network-traffic", "artifact"}),
    "resolves_to_refs": None,
    "belongs_to_ref": frozenset({"user-account"}),
    "from_ref": frozenset({"email-addr"}),
    "sender_ref": frozenset({"email-addr"}),
    "to_refs": frozenset({"email-addr"}),
    "cc_refs": frozenset({"email-addr"}),
    "bcc_refs": frozenset({"email-addr"}),
    "raw_email_ref": frozenset({"artifact"}),
    "parent_directory_ref": frozenset({"directory"}),
    "contains_refs": None,
    "content_ref": frozenset({"artifact"}),
    "src_ref": frozenset({"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"}),
    "dst_ref": frozenset({"ipv4-addr", "ipv6-addr", "mac-addr", "domain-name"}),
    "src_payload_ref": frozenset({"artifact"}),
    "dst_payload_ref": frozenset({"artifact"}),
    "encapsulates_refs": frozenset({"network-traffic"}),
    "encapsulated_by_ref": frozenset({"network-traffic"}),
    "opened_connection_refs": frozenset({"network-traffic"}),
    "creator_user_ref": frozenset({"user-account"}),
    "image_ref": frozenset({"file"}),
    "parent_ref": frozenset({"process"}),
    "child_refs": frozenset({"process"}),
}
_NOT_RELATABLE = frozenset({
    "relationship", "sighting", "marking-definition", "language-content", "bundle",
    "extension-definition",
})
OPINIONS = frozenset({
    "strongly-disagree", "disagree", "neutral", "agree", "strongly-agree",
})
MAX_COUNT = 999_999_999


def _type_of(identifier: str) -> str:
    return identifier.split("--", 1)[0]


def _check_identifier(name: str, value: Any) -> str | None:
    if not isinstance(value, str) or not IDENTIFIER.match(value):
        return f"'{name}' must be a STIX identifier (type--uuid), got {_show(value)}"
    targets = REFERENCE_TARGETS.get(name.split(".")[-1])
    if targets and _type_of(value) not in targets:
        allowed = ", ".join(sorted(targets))
        return f"'{name}' must refer to {allowed}, not {_type_of(value)}"
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_references(obj: dict[str, Any], prefix: str = "") -> str | None:
    """Every *_ref is an identifier and every *_refs a list of them, at any depth."""
    for key, value in obj.items():
        name = prefix + key
        if key.endswith("_ref"):
            problem = _check_identifier(key, value)
            if problem:
                return problem.replace(f"'{key}'", f"'{name}'", 1)
        elif key.endswith("_refs"):
            if not isinstance(value, list) or not value:
                return f"'{name}' must be a non-empty list of identifiers"
            for item in value:
                problem = _check_identifier(key, item)
                if problem:
                    return problem.replace(f"'{key}'", f"'{name}'", 1)
        elif isinstance(value, dict) and key != "extensions":
            problem = _check_references(value, name + ".")
            if problem:
                return problem
        elif key == "extensions" and isinstance(value, dict):
            for ext_name, ext in value.items():
                if isinstance(ext, dict):
                    problem = _check_references(ext, f"{name}.{ext_name}.")
                    if problem:
                        return problem
    return None


def _check_timestamps(obj: dict[str, Any]) -> str | None:
    for key in TIMESTAMP_PROPERTIES.intersection(obj):
        if not timestamps.is_stix_timestamp(obj[key]):
            return (
                f"'{key}' must be a timestamp like 2026-01-31T12:00:00.000Z, "
                f"got {_show(obj[key])}"
            )
    return None


def _not_before(obj: dict[str, Any], early: str, late: str) -> str | None:
    if early in obj and late in obj:
        if timestamps.sort_key(obj[late]) < timestamps.sort_key(obj[early]):  # type: ignore[operator]
            return f"'{late}' must not be earlier than '{early}'"
    return None


def _check_common(obj: dict[str, Any]) -> str | None:
    if "labels" in obj and not (
        isinstance(obj["labels"], list) and all(isinstance(x, str) for x in obj["labels"])
    ):
        return "'labels' must be a list of strings"
    if "confidence" in obj:
        value = obj["confidence"]
        if type(value) is not int or not 0 <= value <= 100:
            return "'confidence' must be an integer from 0 to 100"
    for flag in ("revoked", "defanged", "is_family", "is_multipart"):
        if flag in obj and type(obj[flag]) is not bool:
            return f"'{flag}' must be true or false"
    if "lang" in obj and not isinstance(obj["lang"], str):
        return "'lang' must be a string"
    if "external_references" in obj:
        refs = obj["external_references"]
        if not isinstance(refs, list):
            return "'external_references' must be a list"
        for ref in refs:
            if not isinstance(ref, dict) or not isinstance(ref.get("source_name"), str):
                return "every external reference needs a 'source_name' string"
    if "granular_markings" in obj:
        markings = obj["granular_markings"]
        if not isinstance(markings, list) or not markings:
            return "'granular_markings' must be a non-empty list"
        for marking in markings:
            if not isinstance(marking, dict) or not isinstance(marking.get("selectors"), list):
                return "every granular marking needs a 'selectors' list"
            if ("marking_ref" in marking) == ("lang" in marking):
                return "a granular marking needs exactly one of 'marking_ref' and 'lang'"
    if "extensions" in obj:
        extensions = obj["extensions"]
        if not isinstance(extensions, dict) or not extensions:
            return "'extensions' must be a non-empty object"
        for name, value in extensions.items():
            if not isinstance(value, dict):
                return f"extension {name!r} must be an object"
            if name.startswith("extension-definition--") and not IDENTIFIER.match(name):
                return f"extension name {name!r} is not a valid extension-definition id"
    return None


def _count(obj: dict[str, Any], name: str, low: int) -> str | None:
    if name in obj:
        value = obj[name]
        if type(value) is not int or not low <= value <= MAX_COUNT:
            return f"'{name}' must be an integer from {low} to {MAX_COUNT}"
    return None


def _indicator(obj: dict[str, Any]) -> str | None:
    for name in ("pattern", "pattern_type"):
        if not isinstance(obj[name], str) or not obj[name]:
            return f"'{name}' must be a non-empty string"
    return _not_before(obj, "valid_from", "valid_until")


def _observed_data(obj: dict[str, Any]) -> str | None:
    return _count(obj, "number_observed", 1) or _not_before(
        obj, "first_observed", "last_observed"
    )


def _sighting(obj: dict[str, Any]) -> str | None:
    target = _type_of(obj["sighting_of_ref"])
    if target in SCO_TYPES or target in _NOT_RELATABLE:
        return "'sighting_of_ref' must refer to an SDO"
    return _count(obj, "count", 0) or _not_before(obj, "first_seen", "last_seen")


def _relationship(obj: dict[str, Any]) -> str | None:
    if not isinstance(obj["relationship_type"], str) or not obj["relationship_type"]:
        return "'relationship_type' must be a non-empty string"
    for name in ("source_ref", "target_ref"):
        if _type_of(obj[name]) in _NOT_RELATABLE:
            return f"'{name}' must refer to an SDO or SCO"
    return None


def _opinion(obj: dict[str, Any]) -> str | None:
    if obj["opinion"] not in OPINIONS:
        return f"'opinion' must be one of {', '.join(sorted(OPINIONS))}"
    return None


def _location(obj: dict[str, Any]) -> str | None:
    if not ("region" in obj or "country" in obj or ("latitude" in obj and "longitude" in obj)):
        return "a location needs 'region', 'country', or 'latitude' and 'longitude'"
    return None


def _malware(obj: dict[str, Any]) -> str | None:
    if obj["is_family"] is True and "name" not in obj:
        return "a malware family needs a 'name'"
    return None


def _marking_definition(obj: dict[str, Any]) -> str | None:
    if "modified" in obj:
        return "a marking-definition must not have 'modified'"
    has_definition = "definition_type" in obj and "definition" in obj
    if not has_definition and "extensions" not in obj:
        return "a marking-definition needs 'definition_type' and 'definition', or 'extensions'"
    return None


def _file(obj: dict[str, Any]) -> str | None:
    if "hashes" not in obj and "name" not in obj:
        return "a file needs 'hashes' or 'name'"
    return _hashes(obj)


def _hashes(obj: dict[str, Any]) -> str | None:
    if "hashes" in obj:
        hashes = obj["hashes"]
        if not isinstance(hashes, dict) or not hashes:
            return "'hashes' must be a non-empty object"
        if not all(isinstance(v, str) and v for v in hashes.values()):
            return "every hash value must be a non-empty string"
    return None


def _network_traffic(obj: dict[str, Any]) -> str | None:
    if "src_ref" not in obj and "dst_ref" not in obj:
        return "network-traffic needs 'src_ref' or 'dst_ref'"
    protocols = obj["protocols"]
    if not isinstance(protocols, list) or not protocols:
        return "'protocols' must be a non-empty list"
    return None


def _artifact(obj: dict[str, Any]) -> str | None:
    if ("payload_bin" in obj) == ("url" in obj):
        return "an artifact needs exactly one of 'payload_bin' and 'url'"
    if "url" in obj and "hashes" not in obj:
        return "an artifact with 'url' needs 'hashes'"
    return _hashes(obj)


def _value_string(obj: dict[str, Any]) -> str | None:
    if not isinstance(obj["value"], str) or not obj["value"]:
        return "'value' must be a non-empty string"
    return None


def _at_least_one(obj: dict[str, Any]) -> str | None:
    if not set(obj) - {"type", "id", "spec_version", "object_marking_refs",
                       "granular_markings", "defanged", "extensions"}:
        return f"a {obj['type']} needs at least one property of its own"
    return None


EXTRA_CHECKS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "indicator": _indicator,
    "observed-data": _observed_data,
    "sighting": _sighting,
    "relationship": _relationship,
    "opinion": _opinion,
    "location": _location,
    "malware": _malware,
    "marking-definition": _marking_definition,
    "file": _file,
    "network-traffic": _network_traffic,
    "artifact": _artifact,
    "domain-name": _value_string,
    "ipv4-addr": _value_string,
    "ipv6-addr": _value_string,
    "url": _value_string,
    "email-addr": _value_string,
    "mac-addr": _value_string,
    "process": _at_least_one,
    "user-account": _at_least_one,
    "windows-registry-key": _at_least_one,
    "x509-certificate": _at_least_one,
}


def validate(obj: Any) -> str | None:
    """The first reason this is not a valid STIX 2.1 object, or None."""
    if not isinstance(obj, dict):
        return "an object must be a JSON object"
    kind = obj.get("type")
    if not isinstance(kind, str) or not 3 <= len(kind) <= 250 or not TYPE_NAME.match(kind):
        return f"'type' must be a STIX type name, got {_show(kind)}"
    if kind == "bundle":
        return "a bundle cannot be stored as an object; send its objects in the envelope"
    identifier = obj.get("id")
    match = IDENTIFIER.match(identifier) if isinstance(identifier, str) else None
    if not match or not _RFC4122.match(match.group(2)):
        return f"'id' must be '{kind}--' followed by a lowercase UUID, got {_show(identifier)}"
    if match.group(1) != kind:
        return f"'id' must start with the object's type '{kind}--'"

    if kind in SCO_TYPES:
        required: tuple[str, ...] = SCO_REQUIRED[kind]
        needs_spec_version = False
    elif kind in META_REQUIRED:
        required = META_REQUIRED[kind]
        needs_spec_version = True
    else:
        # SDOs, SROs and custom objects (new-sdo extensions) all carry created/modified.
        required = ("created", "modified") + SDO_REQUIRED.get(kind, SRO_REQUIRED.get(kind, ()))
        needs_spec_version = True
    if needs_spec_version and "spec_version" not in obj:
        return "'spec_version' is required"
    if "spec_version" in obj and obj["spec_version"] != "2.1":
        return f"'spec_version' must be '2.1', got {_show(obj['spec_version'])}"
    for name in required:
        if name not in obj:
            return f"'{name}' is required for {kind}"
    return (
        _check_timestamps(obj)
        or _not_before(obj, "created", "modified")
        or _check_common(obj)
        or _check_references(obj)
        or (EXTRA_CHECKS[kind](obj) if kind in EXTRA_CHECKS else None)
    )

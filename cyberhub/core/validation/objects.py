"""Object schemas: the STIX 2.1 SDOs and SROs.

`Spec` is one object schema: property checks, required properties and a check of the whole
object. The common properties of SDOs and SROs (core.json) and of cyber observables
(cyber-observable-core.json) are here because both kinds of schema build on them.

The table comes from `sdo_specs`, not a constant: observed-data's deprecated 'objects' holds
complete objects of any type, each checked against the schema of its type. That check needs the
dispatch (dispatch.py), which needs this table, so dispatch.py passes it in and builds
`SDO_SPECS`.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from cyberhub.core.validation.checks import (
    BOOLEAN,
    IDENTIFIER_CHECK,
    KILL_CHAIN_PHASES,
    MILLIS_CHECK,
    NUMBER,
    REFS,
    STRING,
    STRINGS,
    TIMESTAMP_CHECK,
    Check,
    array,
    dictionary,
    extensions,
    external_reference,
    granular_marking,
    integer,
    matching,
    number,
    one_of,
    ref_not_to,
    ref_to,
)
from cyberhub.core.validation.values import EXTENSION_TYPES, IDENTIFIER, show


class Spec:
    """One object schema: property checks, required properties, and a check of the whole."""

    __slots__ = ("properties", "required", "whole", "core")

    def __init__(self, core: str, properties: dict[str, Check], required: tuple[str, ...] = (),
                 whole: Callable[[dict[str, Any]], str | None] | None = None) -> None:
        self.core = core
        self.properties = properties
        self.required = required
        self.whole = whole


def id_of(kind: str) -> Check:
    prefix = re.compile("^" + re.escape(kind) + "--")

    def check(value: Any, name: str) -> str | None:
        problem = IDENTIFIER_CHECK(value, name)
        if problem:
            return problem
        if not prefix.search(value):
            return f"'id' must start with '{kind}--', got {show(value)}"
        return None
    return check


CORE_PROPERTIES: dict[str, Check] = {
    "spec_version": one_of(("2.0", "2.1")),
    "id": IDENTIFIER_CHECK,
    "created_by_ref": IDENTIFIER_CHECK,
    "labels": STRINGS,
    "created": MILLIS_CHECK,
    "modified": MILLIS_CHECK,
    "revoked": BOOLEAN,
    "confidence": integer(0, 100),
    "lang": STRING,
    "external_references": array(external_reference, 1),
    "object_marking_refs": REFS,
    "granular_markings": array(granular_marking, 1),
    "extensions": extensions,
}
CORE_REQUIRED = ("spec_version", "id", "created", "modified")
SCO_PROPERTIES: dict[str, Check] = {
    "spec_version": one_of(("2.0", "2.1")),
    "object_marking_refs": REFS,
    "granular_markings": array(granular_marking, 1),
    "defanged": BOOLEAN,
    "id": IDENTIFIER_CHECK,
    "extensions": extensions,
}


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
    return f"'is_family' must be true or false, got {show(family)}"


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
        return f"'{name}' must be a string, got {show(value)}"
    if IDENTIFIER.search(value) and not _NOT_IN_OBSERVED_REFS.search(value):
        return None
    if _OBSERVED_REF_TYPES.search(value):
        return None
    return f"'{name}' must refer to an SCO, relationship or sighting, not {show(value)}"


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
         whole: Callable[[dict[str, Any]], str | None] | None = None) -> Spec:
    merged = dict(CORE_PROPERTIES)
    merged["id"] = id_of(kind)
    if kind in _DESCRIBED:
        merged["description"] = STRING
    merged.update(properties)
    return Spec("core", merged, CORE_REQUIRED + required, whole)


_ALIASES = STRINGS


def sdo_specs(observed_objects: Check) -> dict[str, Spec]:
    """The SDO and SRO schemas by type; `observed_objects` checks observed-data's 'objects'."""
    return {
        "attack-pattern": _sdo("attack-pattern", {
            "aliases": array(STRING), "name": STRING, "kill_chain_phases": KILL_CHAIN_PHASES,
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
            "pattern_version": STRING, "valid_from": TIMESTAMP_CHECK,
            "valid_until": TIMESTAMP_CHECK, "kill_chain_phases": KILL_CHAIN_PHASES,
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
            "name": STRING, "latitude": number(-90, 90), "longitude": number(-180, 180),
            "precision": NUMBER, "region": STRING, "country": STRING,
            "administrative_area": STRING, "city": STRING, "street_address": STRING,
            "postal_code": STRING,
        }, (), _location),
        "malware-analysis": _sdo("malware-analysis", {
            "product": STRING, "version": STRING, "configuration_version": STRING,
            "modules": STRINGS, "analysis_engine_version": STRING,
            "analysis_definition_version": STRING, "submitted": TIMESTAMP_CHECK,
            "analysis_started": TIMESTAMP_CHECK, "analysis_ended": TIMESTAMP_CHECK,
            "result_name": STRING, "result": STRING, "host_vm_ref": ref_to("software"),
            "operating_system_ref": ref_to("software"),
            "installed_software_refs": array(ref_to("software"), 1),
            "analysis_sco_refs": REFS,
            "sample_ref": ref_to("artifact", "file", "network-traffic"),
        }, ("product",), _malware_analysis),
        "malware": _sdo("malware", {
            "aliases": _ALIASES, "first_seen": TIMESTAMP_CHECK, "last_seen": TIMESTAMP_CHECK,
            "operating_system_refs": array(ref_to("software"), 1),
            "architecture_execution_envs": STRINGS, "implementation_languages": STRINGS,
            "capabilities": STRINGS, "sample_refs": STRINGS, "malware_types": STRINGS,
            "name": STRING, "kill_chain_phases": KILL_CHAIN_PHASES,
        }, ("is_family",), _malware),
        "note": _sdo("note", {
            "abstract": STRING, "content": STRING, "authors": STRINGS, "object_refs": REFS,
        }, ("content", "object_refs")),
        "observed-data": _sdo("observed-data", {
            "first_observed": TIMESTAMP_CHECK, "last_observed": TIMESTAMP_CHECK,
            "number_observed": integer(1, 999_999_999), "objects": observed_objects,
            "object_refs": array(_observed_ref, 1),
        }, ("first_observed", "last_observed", "number_observed"), _observed_data),
        "opinion": _sdo("opinion", {
            "explanation": STRING, "authors": STRINGS, "object_refs": REFS,
            "opinion": one_of(("strongly-disagree", "disagree", "neutral", "agree",
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
            "relationship_type": matching(
                re.compile(r"^[a-z0-9\-]+$"), "lowercase letters, digits and hyphens"),
            "source_ref": ref_not_to(
                r"^(relationship|sighting|bundle|marking-definition|language-content)--.+$",
                "a relationship, sighting, bundle, marking-definition or language-content"),
            "target_ref": ref_not_to(
                r"^(relationship|sighting|bundle|marking-definition|language-content)--.+$",
                "a relationship, sighting, bundle, marking-definition or language-content"),
            "start_time": TIMESTAMP_CHECK, "stop_time": TIMESTAMP_CHECK,
        }, ("relationship_type", "source_ref", "target_ref")),
        "sighting": _sdo("sighting", {
            "first_seen": TIMESTAMP_CHECK, "last_seen": TIMESTAMP_CHECK,
            "count": integer(0, 999_999_999),
            "sighting_of_ref": ref_not_to(
                r"^(sighting|relationship|bundle|marking-definition|language-content)--",
                "a sighting, relationship, bundle, marking-definition or language-content"),
            "observed_data_refs": array(ref_to("observed-data"), 1),
            "where_sighted_refs": array(ref_to("identity", "location"), 1),
            "summary": BOOLEAN,
        }, ("sighting_of_ref",)),
        "language-content": _sdo("language-content", {
            "object_ref": ref_not_to(r"^(bundle|language-content)--.+$",
                                     "a bundle or language-content"),
            "object_modified": TIMESTAMP_CHECK, "contents": dictionary,
        }, ("object_ref", "contents")),
        "extension-definition": _sdo("extension-definition", {
            "name": STRING, "schema": STRING, "version": STRING,
            "extension_types": array(one_of(EXTENSION_TYPES), 1),
            "extension_properties": STRINGS,
        }, ("name", "schema", "version", "extension_types"), _extension_definition),
    }

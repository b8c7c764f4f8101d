"""Schema dispatch: which schema stix2-validator checks an object against, and the check.

The validator looks a schema up by the object's type: an SDO or SRO, a cyber observable, the
marking-definition; since it looks schemas up by file name, a type that names a schema fragment
(core, dictionary, hashes-type, ...) is checked against that fragment. Anything else is a custom
object, checked against the core schema if it has 'created' or 'modified' and otherwise (and
always inside observed-data) against the cyber observable core.

observed-data's deprecated 'objects' go through this dispatch one by one, so that check is here,
and so is `SDO_SPECS`, the table objects.py builds around it.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from cyberhub.core.validation.checks import (
    Check,
    defined_extension,
    dictionary,
    external_reference,
    granular_marking,
    hashes_type,
    kill_chain_phase,
    property_rules,
)
from cyberhub.core.validation.markings import marking_definition
from cyberhub.core.validation.objects import (
    CORE_PROPERTIES,
    CORE_REQUIRED,
    SCO_PROPERTIES,
    Spec,
    sdo_specs,
)
from cyberhub.core.validation.observables import SCO_SPECS
from cyberhub.core.validation.values import RESERVED, TYPE_NAME, show

# stix2-validator looks a type's schema up by file name, so these type names select a schema that
# is not an object schema at all.
_STRING_SCHEMAS = frozenset({"binary", "hex", "identifier", "timestamp", "url-regex"})

_CUSTOM_CORE = Spec("core", CORE_PROPERTIES, CORE_REQUIRED)
_CUSTOM_SCO = Spec("sco", SCO_PROPERTIES, ("id",))


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
            return f"'{where}' must be a JSON object, got {show(observable)}"
        if "type" not in observable:
            return f"'{where}.type' is required"
        kind = observable["type"]
        problem = type_problem(kind)
        if problem:
            return f"in '{where}': {problem}"
        if kind == "bundle":
            return f"'{where}' cannot be a bundle"
        # The schema's oneOf: one of the STIX SCOs, or a custom observable whose type does
        # not look like one (checked against the observable core schema).
        if _ANY_KEY.search(key) and kind not in SCO_SPECS:
            if type(kind) is str and _SCO_TYPE_ALTERNATION.search(kind):
                return (f"'{where}.type' {kind!r} is neither a STIX cyber observable type nor "
                        "a usable custom one")
            problem = type_problem(kind) or _spec_problem(observable, kind, _CUSTOM_SCO)
            if problem:
                return f"in '{where}': {problem}"
        # Then each observable is checked against the schema for its type.
        problem = schema_problem(observable, sco_default=True)
        if problem:
            return f"in '{where}': {problem}"
    return None


SDO_SPECS: dict[str, Spec] = sdo_specs(_observed_objects)


def schema_problem(obj: dict[str, Any], sco_default: bool = False) -> str | None:
    kind = obj["type"]
    problem = type_problem(kind)
    if problem:
        return problem
    if kind in SDO_SPECS:
        spec = SDO_SPECS[kind]
    elif kind in SCO_SPECS:
        spec = SCO_SPECS[kind]
    elif kind == "marking-definition":
        return marking_definition(obj)
    elif kind in _STRING_SCHEMAS:
        return f"'type' {kind!r} is reserved by the STIX schemas"
    elif kind in _ODD_SCHEMAS:
        return _ODD_SCHEMAS[kind](obj, kind)
    elif not sco_default and ("created" in obj or "modified" in obj):
        spec = _CUSTOM_CORE
    else:
        spec = _CUSTOM_SCO
    return _spec_problem(obj, kind, spec)


def type_problem(kind: Any) -> str | None:
    if type(kind) is not str:
        return f"'type' must be a string, got {show(kind)}"
    if not 3 <= len(kind) <= 250 or not TYPE_NAME.search(kind):
        return (f"'type' must be 3 to 250 lowercase letters, digits and single hyphens, "
                f"got {show(kind)}")
    if kind == "action":
        return "'type' 'action' is reserved"
    return None


def _spec_problem(obj: dict[str, Any], kind: str, spec: Spec) -> str | None:
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
        if key in RESERVED:
            return f"'{key}' is a reserved property name"
    problem = property_rules(obj, "")
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
    return property_rules(obj, "")


_ODD_SCHEMAS: dict[str, Callable[[dict[str, Any], str], str | None]] = {
    "core": _core_schema,
    "cyber-observable-core": _sco_core_schema,
    "properties": _properties_schema,
    "dictionary": _as_schema(dictionary),
    "extension": _as_schema(defined_extension),
    "external-reference": _as_schema(external_reference),
    "granular-marking": _as_schema(granular_marking),
    "kill-chain-phase": _as_schema(kill_chain_phase),
    "hashes-type": _as_schema(hashes_type),
}

"""Where stix2-validator's "SHOULD" checks raise (v21/shoulds.py).

Its recommendations are only warnings, but they run on every object and some of them raise on
input the schemas allow (an integer in a list the schema leaves untyped, say). The validator then
reports no result at all, so the object is not accepted; these are the same conditions, raised
as `Crash`.

`Crash` and `observables_of` are shared with musts.py, which runs these checks first.
"""

from __future__ import annotations

from typing import Any

from cyberhub.core.validation.dispatch import SDO_SPECS
from cyberhub.core.validation.observables import SCO_SPECS
from cyberhub.core.validation.values import show


class Crash(Exception):
    """Where stix2-validator raises instead of reporting: the object is not accepted either."""


def observables_of(obj: dict[str, Any]) -> list[Any] | None:
    """What stix2-validator's cyber_observable_check decorator hands to a check."""
    kind = obj["type"]
    if kind == "observed-data" and type(obj.get("objects")) is dict:
        return list(obj["objects"].values())
    if kind in SCO_SPECS:
        if "objects" in obj:
            objects = obj["objects"]
            if type(objects) is not dict:
                raise Crash("'objects' must be a JSON object")
            return list(objects.values())
        return [obj]
    return None


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
_STIX_TYPES = frozenset(SDO_SPECS) | {"bundle", "marking-definition"}
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
    """`key in container` as Python evaluates it; raises Crash where Python raises."""
    if not isinstance(container, _CONTAINERS):
        raise Crash(f"the entries of '{name}' must be objects, got {show(container)}")
    return key in container


def _extension_declared(obj: dict[str, Any], kinds: tuple[str, ...]) -> bool:
    """shoulds._uses_extension."""
    extensions = obj.get("extensions", {})
    if type(extensions) is not dict:
        raise Crash("'extensions' must be an object")
    for extension in extensions.values():
        if type(extension) is not dict:
            raise Crash("extensions must be objects")
        if extension.get("extension_type", "") in kinds:
            return True
    return False


def _hash_names_ok(hashes: Any) -> None:
    """shoulds.valid_hash_value over a 'hashes' value (re.match on each name)."""
    if not _iterable(hashes):
        raise Crash("'hashes' must be an object")
    for name in hashes:
        if type(name) is not str:
            raise Crash("hash names must be strings")


def _observable_shoulds(obj: Any) -> None:
    """The SHOULD checks stix2-validator runs on every cyber observable."""
    if type(obj) is not dict or "id" not in obj or "type" not in obj:
        raise Crash("cyber observables must be objects with 'id' and 'type'")
    kind = obj["type"]
    if not _hashable(kind):
        raise Crash("'type' must be a string")
    embedded = _EMBEDDED_PROPERTIES.get(kind)
    if embedded and embedded in obj and not _iterable(obj[embedded]):
        raise Crash(f"'{embedded}' must be a list")
    extensions = obj.get("extensions")
    if kind in _KNOWN_EXTENSIONS and "extensions" in obj:
        if not _iterable(extensions):
            raise Crash("'extensions' must be an object")
        for name in extensions:
            if _hashable(name) and name in _KNOWN_EXTENSIONS[kind]:
                if type(extensions) is not dict:
                    raise Crash("'extensions' must be an object")
                extension = extensions[name]
                if not _iterable(extension):
                    raise Crash("extensions must be objects")
                for key in extension:
                    if key in _EXTENSION_LISTS.get(name, ()):
                        if type(extension) is not dict:
                            raise Crash("extensions must be objects")
                        if not _iterable(extension[key]):
                            raise Crash(f"'{key}' must be a list or an object")
                    elif not _hashable(key) and name in _EXTENSION_LISTS:
                        raise Crash("unexpected value in an extension")
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
                raise Crash("'alternate_data_streams' must be a list")
            for stream in streams:
                if _contains(stream, "hashes", "alternate_data_streams"):
                    if type(stream) is not dict:
                        raise Crash("the entries of 'alternate_data_streams' must be objects")
                    _hash_names_ok(stream["hashes"])
        for path in (("windows-pebinary-ext", "file_header_hashes"),
                     ("windows-pebinary-ext", "optional_header", "hashes")):
            found = _dig(extensions, *path)
            if found is not _MISSING:
                _hash_names_ok(found)
        sections = _dig(extensions, "windows-pebinary-ext", "sections")
        if sections is not _MISSING:
            if not _iterable(sections):
                raise Crash("'sections' must be a list")
            for section in sections:
                if _contains(section, "hashes", "sections"):
                    if type(section) is not dict:
                        raise Crash("the entries of 'sections' must be objects")
                    _hash_names_ok(section["hashes"])
    if kind == "network-traffic":
        for name in ("protocols", "ipfix"):
            if name in obj and not _iterable(obj[name]):
                raise Crash(f"'{name}' must be a list or an object")
        for path in (("http-request-ext", "request_header"), ("socket-ext", "options")):
            found = _dig(extensions, *path) if "extensions" in obj else _MISSING
            if found is not _MISSING and not _iterable(found):
                raise Crash("extension values must be objects")
    if kind == "file" and "extensions" in obj:
        found = _dig(extensions, "pdf-ext", "document_info_dict")
        if found is not _MISSING and not _iterable(found):
            raise Crash("'document_info_dict' must be an object")
    if kind == "process" and "extensions" in obj:
        priority = _dig(extensions, "windows-process-ext", "priority")
        if priority is not _MISSING and type(priority) is not str:
            raise Crash("'priority' must be a string")


_MISSING = object()


def _dig(value: Any, *path: str) -> Any:
    """value[path[0]][path[1]]... with the validator's `except (KeyError, TypeError)`."""
    for key in path:
        if type(value) is not dict or key not in value:
            return _MISSING  # indexing anything but an object with a string: TypeError, caught
        value = value[key]
    return value


def shoulds_crash(obj: dict[str, Any]) -> None:
    """Raise Crash where stix2-validator's SHOULD checks raise on this object."""
    identifier, kind = obj["id"], obj["type"]
    if type(identifier) is not str:
        raise Crash("'id' must be a string")
    if not _hashable(kind):
        raise Crash("'type' must be a string")
    for name in _VOCAB_PROPERTIES.get(kind, ()):
        if name in obj:
            value = obj[name]
            if type(value) is dict:
                break
            for item in value if type(value) is list else [value]:
                if type(item) is not str:
                    raise Crash(f"'{name}' must be a string or a list of strings")
    if kind in _KILL_CHAIN_USERS and "kill_chain_phases" in obj:
        phases = obj["kill_chain_phases"]
        if not _iterable(phases):
            raise Crash("'kill_chain_phases' must be a list")
        for phase in phases:
            if not _contains(phase, "kill_chain_name", "kill_chain_phases"):
                break
            if type(phase) is not dict or type(phase["kill_chain_name"]) is not str:
                raise Crash("kill chain phases must name the chain")
            if type(phase.get("phase_name")) is not str:
                raise Crash("kill chain phases need a 'phase_name' string")
    for name in _VOCAB_USES.get(kind, ()):
        value = obj.get(name)
        if type(value) is list and not all(_hashable(item) for item in value):
            raise Crash(f"'{name}' must be a string or a list of strings")
    if kind == "malware-analysis" and "product" in obj and type(obj["product"]) is not str:
        raise Crash("'product' must be a string")
    if kind == "location" and "country" in obj and type(obj["country"]) is not str:
        raise Crash("'country' must be a string")
    if kind == "extension-definition" and not _iterable(obj.get("extension_types", [])):
        raise Crash("'extension_types' must be a list")
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
                raise Crash("'relationship_type' must be a string")
    if "external_references" in obj:
        references = obj["external_references"]
        if not _iterable(references):
            raise Crash("'external_references' must be a list")
        for reference in references:
            if _contains(reference, "url", "external_references") and not _contains(
                    reference, "hashes", "external_references"):
                if type(reference) is not dict and "source_name" in reference:
                    raise Crash("the entries of 'external_references' must be objects")
                break
    if kind not in _STIX_TYPES and kind not in SCO_SPECS and kind != "action":
        _extension_declared(obj, ("new-sdo", "new-sco", "new-sro"))
    elif "extensions" in obj and (type(obj["extensions"]) is not dict or not all(
            type(extension) is dict for extension in obj["extensions"].values())):
        # Checked when the object has a property the specification does not define.
        _extension_declared(obj, ("toplevel-property-extension",))
    observables = observables_of(obj)
    for observable in observables or ():
        _observable_shoulds(observable)

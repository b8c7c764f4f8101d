"""The "MUST" checks of stix2-validator (v21/musts.py), in its order, on one object.

Real calendar dates, timestamp order, references inside observed-data, granular-marking
selectors, IANA media types and character sets, language codes, STIX patterns, CPE names and
UUID versions. Each follows the validator's code, down to where it compares timestamps as
strings and where it raises (`Crash`) on input the schemas let through.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from cyberhub.core.patterns import pattern_problem
from cyberhub.core.validation.cpe import cpe_formatted_string
from cyberhub.core.validation.registries import (
    CHARACTER_SETS,
    LANGUAGES,
    MEDIA_TYPES,
    SOFTWARE_LANGUAGES,
)
from cyberhub.core.validation.shoulds import Crash, observables_of, shoulds_crash
from cyberhub.core.validation.values import PROPERTY_FORMAT, TIMESTAMP, member, show

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



def _real_date(value: Any, name: str) -> str | None:
    """A timestamp that matches the format must also be a date (dateutil parses it)."""
    if type(value) is not str:
        raise Crash(f"'{name}' must be a timestamp string, got {show(value)}")
    if not TIMESTAMP.match(value):
        return None
    year, month, day = int(value[0:4]), int(value[5:7]), int(value[8:10])
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = 29 if month == 2 and leap else _DAYS[month - 1]
    if year == 0 or day > days or value[17:19] == "60":
        return f"'{name}' is not a real point in time: {show(value)}"
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
        raise Crash("timestamps must be strings")
    if TIMESTAMP.match(later):
        if type(earlier) is not str:
            raise Crash("timestamps must be strings")
        if TIMESTAMP.match(earlier):
            first, second = _parsed_time(later), _parsed_time(earlier)
            if type(first) is datetime and type(second) is datetime:
                return first > second if strictly else first >= second
    if type(earlier) is not str:
        raise Crash("timestamps must be strings")
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
        raise Crash("cyber observables must be objects")
    kind = obj.get("type")
    if type(kind) in (list, dict):
        raise Crash("'type' must be a string")
    if kind == "network-traffic":
        problem = _order_problem(obj, (("end", False, "start"),))
        if problem:
            return problem
    elif kind == "artifact" and "mime_type" in obj and not member(obj["mime_type"], MEDIA_TYPES):
        return (f"'mime_type' must be a media type registered with IANA, "
                f"got {show(obj['mime_type'])}")
    if "id" not in obj:
        raise Crash("cyber observables need an 'id'")
    if kind == "directory" and "path_enc" in obj and not member(obj["path_enc"], CHARACTER_SETS):
        return (f"'path_enc' must be a character set registered with IANA, "
                f"got {show(obj['path_enc'])}")
    if kind == "file" and "name_enc" in obj and not member(obj["name_enc"], CHARACTER_SETS):
        return (f"'name_enc' must be a character set registered with IANA, "
                f"got {show(obj['name_enc'])}")
    if kind == "software" and "languages" in obj:
        languages = obj["languages"]
        if not isinstance(languages, (list, str, dict)):
            raise Crash("'languages' must be a list")
        for language in languages:
            if not member(language, LANGUAGES) and not member(language, SOFTWARE_LANGUAGES):
                return f"'languages' contains an unknown language code {show(language)}"
    return None



def _refs_resolve(refs: Any, allowed: tuple[str, ...], objects: dict[str, Any], name: str,
                  key: str) -> str | None:
    for ref in refs if type(refs) is list else [refs]:
        if type(ref) in (dict, list):
            raise Crash("references must be strings")
        if ref not in objects:
            return f"'objects.{key}.{name}' refers to {show(ref)}, which is not in 'objects'"
        target = objects[ref]
        if type(target) is not dict:
            if "type" in target:
                raise Crash("cyber observables must be objects")
            continue
        if "type" in target and target["type"] not in allowed:
            return (f"'objects.{key}.{name}' must refer to {' or '.join(allowed)}, "
                    f"not {show(target['type'])}")
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
                raise Crash("selector indexes into a value that is not a list")
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
        raise Crash("'granular_markings' must be a list")
    for marking in markings:
        if type(marking) is not dict:
            if type(marking) is str and "selectors" not in marking:
                continue
            raise Crash("granular markings must be objects")
        if "selectors" not in marking:
            continue
        selectors = marking["selectors"]
        if not isinstance(selectors, (list, dict, str)):
            raise Crash("'selectors' must be a list")
        for selector in selectors:
            if type(selector) is not str:
                raise Crash("selectors must be strings")
            if not _selector_resolves(obj, selector):
                return (f"granular marking selector {selector!r} does not point to a property "
                        "of this object")
    return None


def _uuid_version(identifier: Any) -> int:
    try:
        return uuid.UUID(identifier.split("--")[-1]).version or 0
    except (AttributeError, ValueError) as error:
        raise Crash(str(error)) from None


def _cpe_problem(value: Any) -> str | None:
    if type(value) is not str:
        raise Crash("'cpe' must be a string")
    if not cpe_formatted_string(value):
        return (f"'cpe' must be a CPE 2.3 formatted string like "
                f"cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*, got {show(value)}")
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


def musts_problem(obj: dict[str, Any]) -> str | None:
    """stix2-validator's MUST checks (v21/musts.py), in its order, on one object."""
    kind = obj["type"]
    if type(kind) in (list, dict):
        raise Crash("'type' must be a string")
    shoulds_crash(obj)
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
                    raise Crash("extensions must be objects")
                if "time_date_stamp" in extension:
                    if type(extension) is not dict:
                        raise Crash("extensions must be objects")
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
    observables = observables_of(obj)
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
                raise Crash("'object_marking_refs' must be a list")
            for ref in refs:
                if ref == identifier:
                    return "a marking-definition must not mark itself in 'object_marking_refs'"
        if "granular_markings" in obj:
            markings = obj["granular_markings"]
            if not isinstance(markings, (list, dict, str)):
                raise Crash("'granular_markings' must be a list")
            for marking in markings:
                if type(marking) is not dict:
                    raise Crash("granular markings must be objects")
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
    if "lang" in obj and not member(obj["lang"], LANGUAGES):
        return f"'lang' must be a language code like 'de' or 'en', got {show(obj['lang'])}"
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
            raise Crash("'contents' must be an object")
        for language, translations in contents.items():
            if language not in LANGUAGES:
                return f"'contents' key {language!r} must be a language code like 'de'"
            if type(translations) is not dict:
                raise Crash("the values of 'contents' must be objects of translated properties")
            for key in translations:
                if not PROPERTY_FORMAT.match(key):
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
                    problem = musts_problem(item)
                    if problem:
                        return problem
    return None

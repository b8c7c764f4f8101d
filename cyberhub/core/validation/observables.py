"""Cyber observables: the schemas of the 18 STIX 2.1 SCOs, by type (`SCO_SPECS`).

The regular expressions are the schemas' own, verbatim, even where they do not say what they
seem to (the ipv6-addr pattern, the unanchored alternations of the registry roots and header
names), because the promise is to refuse exactly what stix2-validator refuses.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from cyberhub.core.validation.checks import (
    BINARY_CHECK,
    BOOLEAN,
    HEX_CHECK,
    INTEGER,
    STRING,
    STRINGS,
    TIMESTAMP_CHECK,
    URI_CHECK,
    Check,
    all_of,
    array,
    dictionary,
    dictionary_of,
    formatted,
    integer,
    matching,
    one_of,
    typed,
)
from cyberhub.core.validation.objects import SCO_PROPERTIES, Spec, id_of
from cyberhub.core.validation.observable_extensions import (
    ACCOUNT_EXTENSIONS,
    FILE_EXTENSIONS,
    HASHES,
    INT0,
    PROCESS_EXTENSIONS,
    TRAFFIC_EXTENSIONS,
    object_with,
)
from cyberhub.core.validation.values import DICT_KEY, EMAIL, is_hostname, is_int, show


def _any_of(names: tuple[str, ...], message: str) -> Callable[[dict[str, Any]], str | None]:
    def check(obj: dict[str, Any]) -> str | None:
        for name in names:
            if name in obj:
                return None
        return message
    return check


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
        return f"'{name}' must be a string, got {show(value)}"
    if _REGISTRY_ROOT.search(value):
        return (f"'{name}' must spell out the root key (HKEY_LOCAL_MACHINE, not HKLM), "
                f"got {show(value)}")
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
    return f"'{name}' must be a string or a list of at least two strings, got {show(value)}"


def _additional_header_fields(value: Any, name: str) -> str | None:
    problem = dictionary_of([(DICT_KEY, _header_field)], closed=False)(value, name)
    if problem:
        return problem
    if all(_ADDITIONAL_HEADER_NAME.search(key) for key in value):
        return (f"'{name}' must not hold only headers that email-message has properties for "
                f"(date, subject, ...), got {', '.join(map(repr, value))}")
    return None


def _mime_part(value: Any, name: str) -> str | None:
    problem = object_with({"body": STRING, "body_raw_ref": STRING, "content_type": STRING,
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
            return array(_mime_part)(obj["body_multipart"], "body_multipart")
        return None
    return f"'is_multipart' must be true or false, got {show(multipart)}"


def _network_traffic(obj: dict[str, Any]) -> str | None:
    if "src_ref" not in obj and "dst_ref" not in obj:
        return "network-traffic needs 'src_ref' or 'dst_ref'"
    if "is_active" in obj:
        active = obj["is_active"]
        if active is True:
            if "end" in obj:
                return "network-traffic that is still active ('is_active' true) has no 'end'"
        elif active is not False:
            return f"'is_active' must be true or false, got {show(active)}"
    return None


def _sco(kind: str, properties: dict[str, Check], required: tuple[str, ...] = (),
         whole: Callable[[dict[str, Any]], str | None] | None = None) -> Spec:
    merged = dict(SCO_PROPERTIES)
    merged["id"] = id_of(kind)
    for key, rule in properties.items():
        merged[key] = all_of(merged[key], rule) if key in merged else rule
    return Spec("sco", merged, ("id",) + required, whole)


SCO_SPECS: dict[str, Spec] = {
    "artifact": _sco("artifact", {
        "mime_type": matching(_MIME, "a media type like application/zip"),
        "payload_bin": BINARY_CHECK, "url": URI_CHECK, "hashes": HASHES,
        "encryption_algorithm": one_of(("AES-256-GCM", "ChaCha20-Poly1305",
                                        "mime-type-indicated")),
        "decryption_key": STRING,
    }, (), _artifact),
    "autonomous-system": _sco("autonomous-system", {
        "number": INTEGER, "name": STRING, "rir": STRING}, ("number",)),
    "directory": _sco("directory", {
        "path": STRING, "path_enc": matching(_ENCODING, "a character set name"),
        "ctime": TIMESTAMP_CHECK, "mtime": TIMESTAMP_CHECK, "atime": TIMESTAMP_CHECK,
        "contains_refs": STRINGS,
    }, ("path",)),
    "domain-name": _sco("domain-name", {
        "value": formatted(is_hostname, "a valid domain name"),
        "resolves_to_refs": STRINGS,
    }, ("value",)),
    "email-addr": _sco("email-addr", {
        "value": formatted(lambda v: EMAIL.match(v) is not None,
                           "an email address like name@example.org"),
        "display_name": STRING, "belongs_to_ref": STRING,
    }, ("value",)),
    "email-message": _sco("email-message", {
        "date": TIMESTAMP_CHECK, "content_type": STRING, "from_ref": STRING,
        "sender_ref": STRING, "to_refs": STRINGS, "cc_refs": STRINGS, "bcc_refs": STRINGS,
        "message_id": STRING, "subject": STRING, "received_lines": array(STRING),
        "additional_header_fields": _additional_header_fields, "raw_email_ref": STRING,
    }, (), _email_message),
    "file": _sco("file", {
        "extensions": FILE_EXTENSIONS, "hashes": HASHES, "size": INT0, "name": STRING,
        "name_enc": matching(_ENCODING, "a character set name"),
        "magic_number_hex": HEX_CHECK, "mime_type": STRING, "ctime": TIMESTAMP_CHECK,
        "mtime": TIMESTAMP_CHECK, "atime": TIMESTAMP_CHECK, "parent_directory_ref": STRING,
        "contains_refs": STRINGS, "content_ref": STRING,
    }, (), _any_of(("hashes", "name"), "a file needs 'hashes' or 'name'")),
    "ipv4-addr": _sco("ipv4-addr", {
        "value": matching(_IPV4_VALUE, "an IPv4 address, optionally with /prefix"),
        "resolves_to_refs": STRINGS, "belongs_to_refs": STRINGS,
    }, ("value",)),
    "ipv6-addr": _sco("ipv6-addr", {
        "value": matching(_IPV6_VALUE, "an IPv6 address, optionally with /prefix"),
        "resolves_to_refs": STRINGS, "belongs_to_refs": STRINGS,
    }, ("value",)),
    "mac-addr": _sco("mac-addr", {
        "value": matching(_MAC_VALUE, "a MAC address like 00:00:5e:00:53:af (lowercase)"),
    }, ("value",)),
    "mutex": _sco("mutex", {"name": STRING}, ("name",)),
    "network-traffic": _sco("network-traffic", {
        "extensions": TRAFFIC_EXTENSIONS, "start": TIMESTAMP_CHECK, "end": TIMESTAMP_CHECK,
        "src_ref": STRING, "dst_ref": STRING, "src_port": integer(0, 65535),
        "dst_port": integer(0, 65535), "protocols": STRINGS, "src_byte_count": INTEGER,
        "dst_byte_count": INTEGER, "src_packets": INTEGER, "dst_packets": INTEGER,
        "ipfix": dictionary_of([(DICT_KEY, typed(
            lambda v: type(v) is str or is_int(v), "a string or an integer"))], closed=False),
        "src_payload_ref": STRING, "dst_payload_ref": STRING, "encapsulates_refs": STRINGS,
        "encapsulated_by_ref": STRING,
    }, ("protocols",), _network_traffic),
    "process": _sco("process", {
        "extensions": PROCESS_EXTENSIONS, "is_hidden": BOOLEAN, "pid": INTEGER,
        "created_time": TIMESTAMP_CHECK, "cwd": STRING, "command_line": STRING,
        "environment_variables": dictionary, "opened_connection_refs": STRINGS,
        "creator_user_ref": STRING, "image_ref": STRING, "parent_ref": STRING,
        "child_refs": STRINGS,
    }, (), _any_of(("extensions", "is_hidden", "pid", "name", "created", "cwd", "arguments",
                    "command_line", "environment_variables", "opened_connection_refs",
                    "creator_user_ref", "image_ref", "parent_ref", "child_refs"),
                   "a process needs at least one property of its own (pid, command_line, ...)")),
    "software": _sco("software", {
        "name": STRING,
        "cpe": matching(_CPE_SHAPE,
                        "a CPE 2.3 name like cpe:2.3:a:vendor:product:1.0:*:*:*:*:*:*:*"),
        "swid": STRING,
        "languages": array(matching(_LANGUAGE_TAG, "a language tag like 'de'"), 1),
        "vendor": STRING, "version": STRING,
    }, ("name",)),
    "url": _sco("url", {"value": URI_CHECK}, ("value",)),
    "user-account": _sco("user-account", {
        "extensions": ACCOUNT_EXTENSIONS, "user_id": STRING, "credential": STRING,
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
        "values": array(all_of(object_with({
            "name": STRING, "data": STRING,
            "data_type": one_of((
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
        "is_self_signed": BOOLEAN, "hashes": HASHES, "version": STRING,
        "serial_number": STRING, "signature_algorithm": STRING, "issuer": STRING,
        "validity_not_before": TIMESTAMP_CHECK, "validity_not_after": TIMESTAMP_CHECK,
        "subject": STRING, "subject_public_key_algorithm": STRING,
        "subject_public_key_modulus": STRING, "subject_public_key_exponent": INTEGER,
        "x509_v3_extensions": object_with({
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

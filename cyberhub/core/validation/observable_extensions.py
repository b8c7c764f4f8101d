"""The predefined extensions of the cyber observables (file, network-traffic, process and
user-account), and `object_with`, the check of a nested object they are built from.

A predefined extension is checked against its own schema, any other extension only as a
dictionary; the core 'extensions' check applies as well (observables.py combines the two). The
property lists, required properties and "at least one of" groups are the extension schemas'.
"""

from __future__ import annotations

import re
from typing import Any

from cyberhub.core.validation.checks import (
    BOOLEAN,
    HEX_CHECK,
    INTEGER,
    NUMBER,
    STRING,
    STRINGS,
    TIMESTAMP_CHECK,
    Check,
    all_of,
    array,
    dictionary,
    dictionary_of,
    hashes_type,
    integer,
    matching,
    one_of,
    typed,
)
from cyberhub.core.validation.values import DICT_KEY, SECONDS_ONLY, is_int, show


def object_with(properties: dict[str, Check], required: tuple[str, ...] = (),
                any_of: tuple[str, ...] = (), closed: bool = False) -> Check:
    """A nested object: typed properties, required ones, at least one of `any_of`."""
    def check(value: Any, name: str) -> str | None:
        if type(value) is not dict:
            return f"'{name}' must be a JSON object, got {show(value)}"
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
    inner = object_with(properties, required)

    def check(value: Any, name: str) -> str | None:
        return inner(value, name) if type(value) is dict else None
    return check


def _extensions_of(known: dict[str, Check]) -> Check:
    """The predefined extensions of an SCO; any other extension must be a dictionary."""
    patterns = [(re.compile("^" + re.escape(key) + "$"), rule) for key, rule in known.items()]

    def check(value: Any, name: str) -> str | None:
        problem = dictionary(value, name)
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
                problem = dictionary(extension, f"{name}.{key}")
                if problem:
                    return problem
        return None
    return check


INT0 = integer(0)
HASHES = hashes_type
_EXIF_TAGS = dictionary_of([(re.compile(r"^[A-Z][a-zA-Z0-9_-]+$"), typed(
    lambda v: type(v) is str or is_int(v), "a string or an integer"))], closed=True)
_PE_OPTIONAL_HEADER = all_of(object_with({
    "magic_hex": HEX_CHECK, "major_linker_version": INTEGER, "minor_linker_version": INTEGER,
    "size_of_code": INT0, "size_of_initialized_data": INT0,
    "size_of_uninitialized_data": INT0, "address_of_entry_point": INTEGER,
    "base_of_code": INTEGER, "base_of_data": INTEGER, "image_base": INTEGER,
    "section_alignment": INTEGER, "file_alignment": INTEGER, "major_os_version": INTEGER,
    "minor_os_version": INTEGER, "major_image_version": INTEGER,
    "minor_image_version": INTEGER, "major_subsystem_version": INTEGER,
    "minor_subsystem_version": INTEGER, "win32_version_value_hex": HEX_CHECK,
    "size_of_image": INT0, "size_of_headers": INT0, "checksum_hex": HEX_CHECK,
    "subsystem_hex": HEX_CHECK, "dll_characteristics_hex": HEX_CHECK,
    "size_of_stack_reserve": INT0, "size_of_stack_commit": INT0,
    "size_of_heap_reserve": INT0, "size_of_heap_commit": INT0, "loader_flags_hex": HEX_CHECK,
    "number_of_rva_and_sizes": INTEGER, "hashes": HASHES,
}, closed=True), lambda v, n: None if v else f"'{n}' must not be empty")
FILE_EXTENSIONS = _extensions_of({
    "ntfs-ext": object_with({
        "sid": STRING,
        "alternate_data_streams": array(_items_with(
            {"name": STRING, "hashes": HASHES, "size": INT0}, ("name",))),
    }, any_of=("sid", "alternate_data_streams")),
    "raster-image-ext": object_with({
        "image_height": INTEGER, "image_width": INTEGER, "bits_per_pixel": INTEGER,
        "exif_tags": _EXIF_TAGS,
    }, any_of=("image_height", "image_width", "bits_per_pixel", "image_compression_algorithm",
               "exif_tags")),
    "pdf-ext": object_with({
        "version": STRING, "is_optimized": BOOLEAN,
        "document_info_dict": dictionary_of([(DICT_KEY, STRING)], closed=False),
        "pdfid0": STRING, "pdfid1": STRING,
    }, any_of=("version", "is_optimized", "document_info_dict", "pdfid0", "pdfid1")),
    "archive-ext": object_with({"contains_refs": STRINGS, "comment": STRING},
                               ("contains_refs",)),
    "windows-pebinary-ext": object_with({
        "pe_type": STRING, "imphash": STRING, "machine_hex": HEX_CHECK,
        "number_of_sections": INT0,
        "time_date_stamp": all_of(TIMESTAMP_CHECK, matching(
            SECONDS_ONLY, "a timestamp without fractions like 2026-01-31T12:00:00Z")),
        "pointer_to_symbol_table_hex": HEX_CHECK, "number_of_symbols": INT0,
        "size_of_optional_header": INT0, "characteristics_hex": HEX_CHECK,
        "file_header_hashes": HASHES, "optional_header": _PE_OPTIONAL_HEADER,
        "sections": array(object_with(
            {"name": STRING, "size": INT0, "entropy": NUMBER, "hashes": HASHES},
            ("name",)), 1),
    }, ("pe_type",), any_of=(
        "imphash", "machine_hex", "number_of_sections", "time_date_stamp",
        "pointer_to_symbol_table_hex", "number_of_symbols", "size_of_optional_header",
        "characteristics_hex", "file_header_hashes", "optional_header", "sections")),
})
_SOCKET_OPTIONS = dictionary_of(
    [(re.compile(r"^(SO|ICMP|ICMP6|IP|IPV6|MCAST|TCP|IRLMP)(_[A-Z]+)+$"), INTEGER)], closed=True)
TRAFFIC_EXTENSIONS = _extensions_of({
    "http-request-ext": object_with({
        "request_method": STRING, "request_value": STRING, "request_version": STRING,
        "request_header": dictionary_of([(re.compile(r"^.+$"), array(STRING))], closed=True),
        "message_body_length": INTEGER, "message_body_data_ref": STRING,
    }, ("request_method", "request_value")),
    "icmp-ext": object_with({"icmp_type_hex": HEX_CHECK, "icmp_code_hex": HEX_CHECK},
                            ("icmp_type_hex", "icmp_code_hex")),
    "socket-ext": object_with({
        "address_family": one_of(("AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK",
                                  "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH")),
        "is_blocking": BOOLEAN, "is_listening": BOOLEAN, "options": _SOCKET_OPTIONS,
        "socket_type": one_of(("SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM",
                               "SOCK_SEQPACKET")),
        "socket_descriptor": INT0, "socket_handle": INTEGER,
    }, ("address_family",)),
    "tcp-ext": object_with({"src_flags_hex": HEX_CHECK, "dst_flags_hex": HEX_CHECK},
                           any_of=("src_flags_hex", "dst_flags_hex")),
})
_STARTUP_INFO = dictionary_of([
    (re.compile(r"^lpDesktop|lpTitle|dwFillAttribute|dwFlags|wShowWindow|hStdInput|hStdOutput|"
                r"hStdError$"), STRING),
    (re.compile(r"^lpReserved|lpReserved2$"), typed(lambda v: v is None, "null")),
    (re.compile(r"^cb|dwX|dwY|dwXSize|dwYSize|dwXCountChars|dwYCountChars$"), INTEGER),
    (re.compile(r"^cbReserved2$"), integer(0, 0)),
], closed=True)
PROCESS_EXTENSIONS = _extensions_of({
    "windows-process-ext": object_with({
        "aslr_enabled": BOOLEAN, "dep_enabled": BOOLEAN, "priority": STRING,
        "owner_sid": STRING, "window_title": STRING, "startup_info": _STARTUP_INFO,
        "integrity_level": one_of(("low", "medium", "high", "system")),
    }, any_of=("aslr_enabled", "dep_enabled", "priority", "owner_sid", "window_title",
               "startup_info")),
    "windows-service-ext": object_with({
        "service_name": STRING, "descriptions": STRINGS, "display_name": STRING,
        "group_name": STRING,
        "start_type": one_of(("SERVICE_AUTO_START", "SERVICE_BOOT_START",
                              "SERVICE_DEMAND_START", "SERVICE_DISABLED",
                              "SERVICE_SYSTEM_ALERT")),
        "service_dll_refs": STRINGS,
        "service_type": one_of(("SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER",
                                "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS")),
        "service_status": one_of(("SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING",
                                  "SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING",
                                  "SERVICE_STOP_PENDING", "SERVICE_STOPPED")),
    }, any_of=("service_name", "descriptions", "display_name", "group_name", "start_type",
               "service_dll_refs", "service_type", "service_status")),
})
ACCOUNT_EXTENSIONS = _extensions_of({
    "unix-account-ext": object_with({
        "gid": NUMBER, "groups": STRINGS, "home_dir": STRING, "shell": STRING,
    }, any_of=("gid", "groups", "home_dir", "shell")),
})

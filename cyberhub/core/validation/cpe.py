"""CPE 2.3 formatted strings, as the `cpe` package behind stix2-validator parses them.

Only this binding is accepted (the hub refuses the URI and WFN bindings the package also
parses). The expressions and the walk over wildcards reproduce the package's parser, which is
why they look the way they do.
"""

from __future__ import annotations

import re

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


def cpe_formatted_string(value: str) -> bool:
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

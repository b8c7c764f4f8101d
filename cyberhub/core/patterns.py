"""A fast, hand-written validator for STIX 2.1 patterns (STIX 2.1 part 9).

It accepts exactly the patterns that the reference implementation accepts: `stix2-patterns`
2.x (`run_validator`: its ANTLR grammar, the square-bracket check, the duplicate-qualifier check
and the hash-value check) followed by what `stix2-validator` 3.x adds for an indicator (object
type and property names in comparisons). Where the reference raises instead of reporting (a
negative list index, a list index after `hashes`), the pattern is rejected too.
`tests/test_patterns.py` proves the equivalence on a large generated corpus.

The ANTLR parser costs about half a millisecond per pattern; this one a few microseconds, which
is what lets every indicator be checked on the ingest path. `pattern_problem` returns the first
problem as a sentence, or None.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["comparisons", "pattern_problem", "syntax_problem"]

# --- Lexer ------------------------------------------------------------------------------------
#
# The ANTLR lexer takes the longest match at each position (ties go to the rule defined first)
# and has a catch-all rule for any other character, so it never fails. The alternatives below are
# ordered so that, for every first character, the first alternative that matches is also the
# longest one.

_WS_CHARS = (
    " \t\r\n\u000b\u000c\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
    "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# The master expression handles every token whose match cannot run past the end of its own kind
# of characters. Strings, comments and numbers are matched by hand (_tokens), remembering what
# was already scanned: a regular expression would rescan an unterminated string (or comment, or
# run of digits) from every later start position, which is quadratic in the pattern's length.
_TOKEN = re.compile(
    r"(?P<WS>[" + _WS_CHARS + r"]+)"
    r"|(?P<TS>t'[0-9]{4}-(?:0[1-9]|1[012])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?Z')"
    r"|(?P<HEX>h'(?:[A-Fa-f0-9]{2})*')"
    r"|(?P<BIN>b'(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{4}|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)')"
    r"|(?P<WORD>[a-zA-Z_][a-zA-Z0-9_-]*)"
    r"|(?P<LINE_COMMENT>//[^\r\n]*)"
    r"|(?P<OP>==|=|!=|<>|<=|<|>=|>)"
    r"|(?P<CHAR>.)",
    re.DOTALL,
)
_DIGITS = re.compile(r"[0-9]*")
_KEYWORDS = frozenset({
    "AND", "OR", "NOT", "FOLLOWEDBY", "LIKE", "MATCHES", "ISSUPERSET", "ISSUBSET", "EXISTS",
    "LAST", "IN", "START", "STOP", "SECONDS", "WITHIN", "REPEATS", "TIMES",
})
_KEYWORDS_20 = _KEYWORDS - {"EXISTS"}
_OPERATORS = {"=": "EQ", "==": "EQ", "!=": "NEQ", "<>": "NEQ", "<": "LT", "<=": "LE",
              ">": "GT", ">=": "GE"}
_CHARS = {"'": "QUOTE", ":": "COLON", ".": "DOT", ",": "COMMA", ")": "RPAREN", "(": "LPAREN",
          "]": "RBRACK", "[": "LBRACK", "+": "PLUS", "-": "HYPHEN", "^": "POWER_OP",
          "/": "DIVIDE", "*": "ASTERISK"}
_LITERALS = frozenset({"INTNEG", "INTPOS", "FLOATNEG", "FLOATPOS", "HEX", "BIN", "STR", "TS"})
_PRIMITIVE = _LITERALS | {"BOOL"}
_ORDER_OPS = frozenset({"LT", "LE", "GT", "GE"})
_STRING_OPS = frozenset({"LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"})
# Operators the inspector names by their text ("=" or "==", "!=" or "<>", "<", ...); it names
# the others by their keyword (IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET), as the token kinds here.
_OPERATORS_TEXT = frozenset({"EQ", "NEQ"}) | _ORDER_OPS


class _Strings:
    """Where a string literal whose body starts at a position closes (or -1), each position
    scanned once: StringLiteral is ' ( ~['\\] | \\' | \\\\ )* '."""

    __slots__ = ("text", "closing")

    def __init__(self, text: str) -> None:
        self.text = text
        self.closing: dict[int, int] = {}

    def close(self, start: int) -> int:
        text, closing, end = self.text, self.closing, len(self.text)
        index, visited = start, []
        while True:
            if index in closing:
                result = closing[index]
                break
            if index >= end:
                result = -1
                break
            char = text[index]
            if char == "'":
                result = index
                break
            visited.append(index)
            if char == "\\":
                if index + 1 < end and text[index + 1] in "'\\":
                    index += 2
                else:
                    result = -1
                    break
            else:
                index += 1
        for position in visited:
            closing[position] = result
        return result


def _tokens(text: str, keywords: frozenset[str]) -> list[tuple[str, str, int]]:
    """(kind, text, offset) for every token the ANTLR lexer would emit, then EOF."""
    out: list[tuple[str, str, int]] = []
    append = out.append
    match = _TOKEN.match
    position, end = 0, len(text)
    strings: _Strings | None = None
    no_comment_end_after = end + 1  # no "*/" at or after this offset
    digits_from, digits_to = -1, -1  # the last run of digits measured
    while position < end:
        char = text[position]
        if char == "'":
            if strings is None:
                strings = _Strings(text)
            closing = strings.close(position + 1)
            if closing >= 0:
                append(("STR", text[position:closing + 1], position))
                position = closing + 1
            else:
                append(("QUOTE", char, position))
                position += 1
            continue
        if char == "/" and text.startswith("/*", position):
            closing = -1 if position + 2 >= no_comment_end_after else text.find("*/", position + 2)
            if closing >= 0:
                position = closing + 2
                continue
            no_comment_end_after = min(no_comment_end_after, position + 2)
        elif char in "0123456789+-.":
            # IntNegLiteral, IntPosLiteral, FloatNegLiteral, FloatPosLiteral: [+-]? digits ...
            start = position + 1 if char in "+-" else position
            if not digits_from <= start < digits_to:
                digits_from, digits_to = start, _DIGITS.match(text, start).end()
            run_end = digits_to
            if run_end + 1 < end and text[run_end] == "." and text[run_end + 1] in "0123456789":
                stop = digits_to = _DIGITS.match(text, run_end + 1).end()
                digits_from = run_end + 1
                kind = "FLOATNEG" if char == "-" else "FLOATPOS"
                append((kind, text[position:stop], position))
                position = stop
                continue
            if run_end > start:
                stop = start + 1 if text[start] == "0" else run_end
                kind = "INTNEG" if char == "-" else "INTPOS"
                append((kind, text[position:stop], position))
                position = stop
                continue
        found = match(text, position)
        assert found is not None  # the CHAR alternative matches any character
        group = found.lastgroup
        value = found.group()
        if group == "WORD":
            if "-" in value:
                kind = "IDH"
            elif value in keywords:
                kind = value
            elif value == "true" or value == "false":
                kind = "BOOL"
            else:
                kind = "ID"
        elif group == "OP":
            kind = _OPERATORS[value]
        elif group == "CHAR":
            kind = _CHARS.get(value, "INVALID")
        elif group == "WS" or group == "LINE_COMMENT":
            position = found.end()
            continue
        else:
            kind = group  # TS, HEX, BIN
        append((kind, value, position))
        position = found.end()
    append(("EOF", "", end))
    return out


# --- Parser -----------------------------------------------------------------------------------


class _Invalid(Exception):
    pass


_STAR = object()  # an `[*]` list index in an object path

# Deeper nesting is refused outright. stix2-patterns' ANTLR parser recurses too and raises
# RecursionError somewhere past 200 levels, depending on the call stack; this keeps the hub's
# answer deterministic (an intended difference, see tests/core/validation/test_equivalence.py).
MAX_NESTING = 100


class _Parser:
    """Recursive descent over the STIX 2.1 pattern grammar (left recursion as loops)."""

    __slots__ = ("tokens", "index", "kind", "qualifiers", "comparisons", "negative_index",
                 "check_qualifiers", "depth")

    def __init__(self, tokens: list[tuple[str, str, int]], check_qualifiers: bool) -> None:
        self.tokens = tokens
        self.check_qualifiers = check_qualifiers
        self.index = 0
        self.kind = tokens[0][0]
        # Mirrors stix2-patterns' ValidationListener: a fresh set after `[...]`, None after
        # `( ... )`; each qualifier is checked against it when it completes.
        self.qualifiers: set[str] | None = None
        # (object type, path, operator, literal text) for every comparison except EXISTS,
        # like the reference inspector records them ("NOT " before a negated operator).
        self.comparisons: list[tuple[str, list[Any], str, str]] = []
        self.negative_index = False
        self.depth = 0

    def fail(self, expected: str) -> _Invalid:
        kind, text, offset = self.tokens[self.index]
        found = "the end of the pattern" if kind == "EOF" else repr(text)
        return _Invalid(f"expected {expected} at character {offset + 1}, found {found}")

    def advance(self) -> str:
        text = self.tokens[self.index][1]
        self.index += 1
        self.kind = self.tokens[self.index][0]
        return text

    def expect(self, kind: str, expected: str) -> str:
        if self.kind != kind:
            raise self.fail(expected)
        return self.advance()

    def enter(self) -> None:
        """Consume '(' and go one level deeper."""
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _Invalid(f"parentheses are nested more than {MAX_NESTING} deep")
        self.advance()

    def pattern(self) -> None:
        self.observation_expressions()
        if self.kind != "EOF":
            raise self.fail("AND, OR, FOLLOWEDBY or a qualifier")

    def observation_expressions(self) -> None:
        self.observation_or()
        while self.kind == "FOLLOWEDBY":
            self.advance()
            self.observation_or()

    def observation_or(self) -> None:
        self.observation_and()
        while self.kind == "OR":
            self.advance()
            self.observation_and()

    def observation_and(self) -> None:
        self.observation_expression()
        while self.kind == "AND":
            self.advance()
            self.observation_expression()

    def observation_expression(self) -> None:
        if self.kind == "LBRACK":
            self.advance()
            self.comparison_expression()
            self.expect("RBRACK", "']'")
            self.qualifiers = set()
        elif self.kind == "LPAREN":
            self.enter()
            self.observation_expressions()
            self.expect("RPAREN", "')'")
            self.depth -= 1
            self.qualifiers = None
        else:
            raise self.fail("'[' or '('")
        while True:
            kind = self.kind
            if kind == "START":
                self.advance()
                self.expect("TS", "a timestamp t'...' after START")
                self.expect("STOP", "STOP")
                self.expect("TS", "a timestamp t'...' after STOP")
            elif kind == "WITHIN":
                self.advance()
                if self.kind != "INTPOS" and self.kind != "FLOATPOS":
                    raise self.fail("a positive number after WITHIN")
                self.advance()
                self.expect("SECONDS", "SECONDS")
            elif kind == "REPEATS":
                self.advance()
                self.expect("INTPOS", "a positive integer after REPEATS")
                self.expect("TIMES", "TIMES")
            else:
                return
            if self.qualifiers is not None and self.check_qualifiers:
                if kind in self.qualifiers:
                    raise _Invalid(f"the {kind} qualifier is applied twice to one observation")
                self.qualifiers.add(kind)

    def comparison_expression(self) -> None:
        self.comparison_and()
        while self.kind == "OR":
            self.advance()
            self.comparison_and()

    def comparison_and(self) -> None:
        self.prop_test()
        while self.kind == "AND":
            self.advance()
            self.prop_test()

    def prop_test(self) -> None:
        kind = self.kind
        if kind == "LPAREN":
            self.enter()
            self.comparison_expression()
            self.expect("RPAREN", "')'")
            self.depth -= 1
            return
        if kind == "EXISTS" or (kind == "NOT" and self.tokens[self.index + 1][0] == "EXISTS"):
            if kind == "NOT":
                self.advance()
            self.advance()
            self.object_path()
            return
        object_type, path = self.object_path()
        negated = ""
        if self.kind == "NOT":
            self.advance()
            negated = "NOT "
        kind = self.kind
        operator = self.tokens[self.index][1] if kind in _OPERATORS_TEXT else kind
        if kind == "EQ" or kind == "NEQ":
            self.advance()
            if self.kind not in _PRIMITIVE:
                raise self.fail("a literal value")
            value = self.advance()
        elif kind in _ORDER_OPS:
            self.advance()
            if self.kind not in _LITERALS:
                raise self.fail("a number, string, binary, hex or timestamp literal")
            value = self.advance()
        elif kind == "IN":
            self.advance()
            value = self.expect("LPAREN", "'(' after IN")
            if self.kind != "RPAREN":
                while True:
                    if self.kind not in _PRIMITIVE:
                        raise self.fail("a literal value in the set")
                    value += self.advance()
                    if self.kind != "COMMA":
                        break
                    value += self.advance()
            value += self.expect("RPAREN", "',' or ')' in the set")
        elif kind in _STRING_OPS:
            self.advance()
            value = self.expect("STR", f"a string after {kind}")
        else:
            raise self.fail("a comparison operator")
        self.comparisons.append((object_type, path, negated + operator, value))

    def object_path(self) -> tuple[str, list[Any]]:
        if self.kind != "ID" and self.kind != "IDH":
            raise self.fail("an object type")
        object_type = self.advance()
        self.expect("COLON", "':' after the object type")
        if self.kind == "ID":
            path: list[Any] = [self.advance()]
        elif self.kind == "STR":
            path = [_unquote(self.advance())]
        else:
            raise self.fail("a property name")
        while True:
            if self.kind == "DOT":
                self.advance()
                if self.kind == "ID":
                    path.append(self.advance())
                elif self.kind == "STR":
                    path.append(_unquote(self.advance()))
                else:
                    raise self.fail("a property name after '.'")
            elif self.kind == "LBRACK":
                self.advance()
                kind = self.kind
                if kind == "ASTERISK":
                    self.advance()
                    path.append(_STAR)
                elif kind == "INTPOS":
                    path.append(int(self.advance()))
                elif kind == "INTNEG":
                    self.advance()
                    self.negative_index = True
                    path.append(None)
                else:
                    raise self.fail("a list index or '*'")
                self.expect("RBRACK", "']' after the list index")
            else:
                return object_type, path


def _unquote(literal: str) -> str:
    return literal[1:-1].replace("\\'", "'").replace("\\\\", "\\")


# --- Checks after parsing ---------------------------------------------------------------------

# stix2-patterns' object_validator.HASHES_REGEX, verbatim (including its quirks: the MD6 entry
# is an unanchored alternation with an escaped newline, and `$` also matches before a final
# newline).
_HASHES = {
    "MD5": re.compile(r"^[a-fA-F0-9]{32}$"),
    "MD6": re.compile(r"^[a-fA-F0-9]{32}|[a-fA-F0-9]{40}|[a-fA-F0-9]{56}|\
    [a-fA-F0-9]{64}|[a-fA-F0-9]{96}|[a-fA-F0-9]{128}$"),
    "RIPEMD160": re.compile(r"^[a-fA-F0-9]{40}$"),
    "SHA1": re.compile(r"^[a-fA-F0-9]{40}$"),
    "SHA224": re.compile(r"^[a-fA-F0-9]{56}$"),
    "SHA256": re.compile(r"^[a-fA-F0-9]{64}$"),
    "SHA384": re.compile(r"^[a-fA-F0-9]{96}$"),
    "SHA512": re.compile(r"^[a-fA-F0-9]{128}$"),
    "SHA3224": re.compile(r"^[a-fA-F0-9]{56}$"),
    "SHA3256": re.compile(r"^[a-fA-F0-9]{64}$"),
    "SHA3384": re.compile(r"^[a-fA-F0-9]{96}$"),
    "SHA3512": re.compile(r"^[a-fA-F0-9]{128}$"),
    "SSDEEP": re.compile(r"^[a-zA-Z0-9/+:.]{1,128}$"),
    "WHIRLPOOL": re.compile(r"^[a-fA-F0-9]{128}$"),
}

# stix2-validator 3.x (musts.patterns): names used in comparisons.
_SCO_TYPES = frozenset({
    "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
    "file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process",
    "software", "url", "user-account", "windows-registry-key", "x509-certificate",
})
_TYPE_FORMAT = re.compile(r"^\-?[a-z0-9]+(-[a-z0-9]+)*\-?$")
_PROPERTY_FORMAT = re.compile(r"^[a-z0-9_]{3,250}$")


def _brackets_ok(pattern: str) -> bool:
    """stix2-patterns' brackets_check: the first character that is not '(' or space is '['."""
    for char in pattern:
        if char != "(" and not char.isspace():
            return char == "["
    return False


def _parse(pattern: str, version: str) -> _Parser | str:
    """Parse with the 2.1 grammar, or with the 2.0 one (no EXISTS) for any other version."""
    if not pattern:
        return "the pattern is empty"
    is_21 = version == "2.1"
    # Only the 2.1 validator checks for duplicate qualifiers.
    parser = _Parser(_tokens(pattern, _KEYWORDS if is_21 else _KEYWORDS_20), is_21)
    try:
        parser.pattern()
    except _Invalid as problem:
        message = str(problem)
        if not _brackets_ok(pattern):
            message = "it must start with '[' (after any '('): " + message
        return message
    if not _brackets_ok(pattern):
        return "it must start with '[' (after any '(')"
    return parser


def _hash_problem(parser: _Parser) -> str | None:
    for _object_type, path, _operator, value in parser.comparisons:
        if "hashes" not in path:
            continue
        selector = path[-1]
        if selector is _STAR:
            continue
        if not isinstance(selector, str):
            return "a hash must be selected by algorithm name, not by list index"
        algorithm = selector.upper().replace("-", "").replace("'", "")
        regex = _HASHES.get(algorithm)
        if regex is not None:
            digest = value.replace("'", "")
            if not regex.match(digest):
                return f"{digest[:80]!r} is not a valid {selector} hash"
    return None


def _syntax(pattern: str, version: str) -> tuple[str | None, _Parser | None]:
    parsed = _parse(pattern, version)
    if isinstance(parsed, str):
        return parsed, None
    if parsed.negative_index:
        return "list indexes in object paths must not be negative", None
    return _hash_problem(parsed), parsed


def syntax_problem(pattern: str, version: str = "2.1") -> str | None:
    """What stix2-patterns' run_validator(pattern, version) reports, as one sentence, or None.

    A pattern on which the reference raises (a negative list index, a list index after
    `hashes`) counts as invalid.
    """
    return _syntax(pattern, version)[0]


def pattern_problem(pattern: str, version: str = "2.1") -> str | None:
    """The first problem stix2-validator 3.x reports for an indicator's STIX pattern, or None.

    `version` is the indicator's pattern_version (else its spec_version, else "2.1"). The
    reference checks any other version with its STIX 2.0 grammar and then parses the pattern
    with the 2.1 grammar; together that is the 2.1 grammar without EXISTS and without the
    duplicate-qualifier check.
    """
    problem, parsed = _syntax(pattern, version)
    if parsed is None or problem is not None:
        return problem
    if version != "2.1" and any(token[1] == "EXISTS" for token in parsed.tokens):
        # Valid STIX 2.0, where EXISTS is a name; the 2.1 parse that follows fails on it.
        return "EXISTS cannot be used as a name in a STIX 2.1 pattern"
    checked: set[str] = set()
    for object_type, path, _operator, _value in parsed.comparisons:
        if object_type not in checked:
            checked.add(object_type)
            if object_type not in _SCO_TYPES and (
                not _TYPE_FORMAT.match(object_type) or not 3 <= len(object_type) <= 250
            ):
                return (
                    f"{object_type!r} is not a valid object type name (lowercase letters, "
                    "digits and single hyphens, 3 to 250 characters)"
                )
        name = path[0]
        if name == "id" and object_type in _SCO_TYPES:
            continue
        if not _PROPERTY_FORMAT.match(name):
            return (
                f"{name!r} is not a valid property name in {object_type!r} (lowercase letters, "
                "digits and underscores, 3 to 250 characters)"
            )
    return None


def comparisons(pattern: str) -> list[tuple[str, list[Any], str, str]] | None:
    """What stix2-patterns' `Pattern(pattern).inspect().comparisons` lists, flattened in the
    order of the pattern: (object type, path, operator, literal text) for each comparison;
    None where its 2.1 grammar does not parse the pattern or its inspector raises (a negative
    list index). Without the validator's extra checks (brackets, duplicate qualifiers,
    hashes), as `Pattern` has none. An `[*]` index is a sentinel object in the path.

    One intended difference: nesting deeper than MAX_NESTING is None here, where the
    reference may parse it; the hub refuses such an indicator before it is indexed."""
    if not pattern:
        return None
    parser = _Parser(_tokens(pattern, _KEYWORDS), False)
    try:
        parser.pattern()
    except _Invalid:
        return None
    if parser.negative_index:
        return None
    return parser.comparisons

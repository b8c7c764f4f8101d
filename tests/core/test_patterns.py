"""cyberhub.core.patterns accepts exactly the STIX patterns the reference implementation accepts.

The reference is stix2-patterns' `run_validator` (its ANTLR grammar plus its own checks) and, for
indicators, what stix2-validator's `patterns` check adds on top. Both are compared on a corpus
generated from a fixed seed: random patterns built from the grammar, and character- and
token-level mutations of them (most of which are invalid). The reference raising an exception
counts as "invalid".

Set CYBERHUB_PATTERN_CORPUS=<n> to compare on n generated patterns instead of the default.
"""

from __future__ import annotations

import os
import random
import time

import pytest

from cyberhub.core.patterns import pattern_problem, syntax_problem

stix2patterns_validator = pytest.importorskip("stix2patterns.validator")
musts = pytest.importorskip("stix2validator.v21.musts")
from stix2validator import ValidationOptions  # noqa: E402

SEED = 20260131
CORPUS_SIZE = int(os.environ.get("CYBERHUB_PATTERN_CORPUS", "2500"))
OPTIONS = ValidationOptions(version="2.1", silent=True)

OBJECT_TYPES = [
    "file", "ipv4-addr", "ipv6-addr", "domain-name", "url", "network-traffic", "process",
    "email-addr", "email-message", "windows-registry-key", "user-account", "x509-certificate",
    "artifact", "software", "mac-addr", "mutex", "directory", "autonomous-system",
    "x-acme-widget", "x-foo", "x_foo", "X-Foo", "ab", "a--b", "-ab", "ab-", "abc", "x",
    "File", "network_traffic", "ipv4", "a" * 251, "foo-",
]
PROPERTIES = [
    "value", "name", "size", "hashes", "id", "src_ref", "dst_port", "protocols", "extensions",
    "x_custom", "ab", "Name", "parent_directory_ref", "contains_refs", "key", "values",
    "'value'", "'hashes'", "'with space'", "'id'", "'ab'", "x-y", "_abc", "abc_", "a" * 251,
]
STEPS = [
    ".name", ".value", ".type", ".'SHA-256'", ".'windows-pebinary-ext'", ".sections", "[0]",
    "[*]", "[-1]", "[+2]", "[12]", ".hashes", ".MD5", ".'quoted\\'key'", ".ab",
]
HASH_NAMES = [
    "MD5", "'MD5'", "md5", "'SHA-1'", "SHA1", "'SHA-256'", "SHA256", "'sha-256'", "'SHA3-256'",
    "SSDEEP", "TLSH", "MD6", "RIPEMD160", "'RIPEMD-160'", "WHIRLPOOL", "SHA224", "'SHA-384'",
    "SHA3512", "[0]", "[*]", "[-1]",
]
HEX = "0123456789abcdefABCDEF"


def _hex(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(HEX) for _ in range(length))


def _string(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.3:
        return "'" + _hex(rng, rng.choice([32, 40, 56, 64, 96, 128, 31, 65, 0])) + "'"
    options = [
        "'x'", "''", "'evil.example.com'", "'203.0.113.7'", "'http://a.example/%'",
        "'it\\'s'", "'back\\\\slash'", "'ab:cd/ef+gh.'", "'unicode äöü ✓'", "'multi\nline'",
        "'^[a-z]+$'", "'198.51.100.0/24'", "'C:\\\\Windows'", "'tab\there'",
        "'" + _hex(rng, 32) + "\n'", "'\n    " + _hex(rng, 64) + "'",
    ]
    return rng.choice(options)


def _literal(rng: random.Random, orderable: bool = False) -> str:
    kinds = ["str", "str", "str", "int", "float", "hex", "bin", "ts"]
    if not orderable:
        kinds.append("bool")
    kind = rng.choice(kinds)
    if kind == "str":
        return _string(rng)
    odd = rng.random() < 0.15
    if kind == "int":
        return rng.choice(["007", "99999999999", "1e5", "- 1"] if odd
                          else ["0", "1", "42", "-7", "+3", "-0", "65535"])
    if kind == "float":
        return rng.choice(["3.", "1.2.3", ".", "+-1.0"] if odd
                          else ["1.5", "-0.5", ".5", "+1.0", "-.25", "0.0"])
    if kind == "hex":
        return rng.choice(["h'abc'", "h'zz'", "H'ab'", "h 'ab'"] if odd
                          else ["h'ab'", "h''", "h'AbCd'", "h'0011ff'"])
    if kind == "bin":
        return rng.choice(["b'A='", "b''", "B'AAAA'", "b'AAAAA'"] if odd
                          else ["b'AAAA'", "b'AA=='", "b'AAA='", "b'QUJD'", "b'QUJDRA=='"])
    if kind == "ts":
        return rng.choice([
            "t'2026-13-01T00:00:00Z'", "t'2026-01-01 00:00:00Z'", "'2026-01-31T12:00:00Z'",
            "t'2026-01-31T24:00:00Z'", "t'2026-01-31T12:00:00+01:00'",
        ] if odd else [
            "t'2026-01-31T12:00:00Z'", "t'2026-01-31T12:00:00.123Z'", "t'2026-02-30T00:00:00Z'",
            "t'2026-01-01T23:59:60Z'", "t'0000-01-01T00:00:00.5Z'",
        ])
    return rng.choice(["True", "TRUE", "yes"] if odd else ["true", "false"])


def _object_path(rng: random.Random) -> str:
    object_type = rng.choice(OBJECT_TYPES[:20]) if rng.random() < 0.9 else rng.choice(OBJECT_TYPES)
    first = rng.choice(PROPERTIES[:10]) if rng.random() < 0.85 else rng.choice(PROPERTIES)
    path = f"{object_type}:{first}"
    if first in ("hashes", "'hashes'") and rng.random() < 0.8:
        name = rng.choice(HASH_NAMES)
        path += name if name.startswith("[") else "." + name
    else:
        for _ in range(rng.choice([0, 0, 0, 1, 1, 2, 3])):
            path += rng.choice(STEPS[:9]) if rng.random() < 0.9 else rng.choice(STEPS)
        if rng.random() < 0.1:
            path += ".hashes." + rng.choice(HASH_NAMES).lstrip("[").rstrip("]")
    return path


def _comparison(rng: random.Random, depth: int) -> str:
    roll = rng.random()
    if roll < 0.08 and depth < 3:
        return "(" + _comparison_expression(rng, depth + 1) + ")"
    if roll < 0.14:
        return rng.choice(["", "NOT "]) + "EXISTS " + _object_path(rng)
    path = _object_path(rng)
    negate = "NOT " if rng.random() < 0.1 else ""
    operator = rng.choice(["=", "=", "=", "==", "!=", "<>", "<", "<=", ">", ">=", "IN", "LIKE",
                           "MATCHES", "ISSUBSET", "ISSUPERSET"])
    if operator == "IN":
        items = [_literal(rng) for _ in range(rng.choice([0, 1, 2, 3]))]
        return f"{path} {negate}IN ({', '.join(items)})"
    if operator in ("LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"):
        value = _string(rng) if rng.random() < 0.95 else _literal(rng)
        return f"{path} {negate}{operator} {value}"
    return f"{path} {negate}{operator} {_literal(rng, operator in ('<', '<=', '>', '>='))}"


def _comparison_expression(rng: random.Random, depth: int = 0) -> str:
    parts = [_comparison(rng, depth)]
    for _ in range(rng.choice([0, 0, 1, 1, 2])):
        parts.append(rng.choice([" AND ", " OR "]))
        parts.append(_comparison(rng, depth))
    return "".join(parts)


def _qualifier(rng: random.Random) -> str:
    if rng.random() < 0.15:
        return rng.choice([
            " WITHIN -1 SECONDS", " WITHIN 5 MINUTES", " REPEATS 1.5 TIMES", " REPEATS -2 TIMES",
            " START '2026-01-01T00:00:00Z' STOP '2026-01-02T00:00:00Z'", " WITHIN SECONDS",
        ])
    return rng.choice([
        " WITHIN 300 SECONDS", " WITHIN 2.5 SECONDS", " WITHIN +.5 SECONDS", " REPEATS 5 TIMES",
        " REPEATS 0 TIMES", " START t'2026-01-01T00:00:00Z' STOP t'2026-01-02T00:00:00Z'",
    ])


def _observation(rng: random.Random, depth: int) -> str:
    if rng.random() < 0.15 and depth < 2:
        text = "(" + _observation_expression(rng, depth + 1) + ")"
    else:
        text = "[" + _comparison_expression(rng) + "]"
    for _ in range(rng.choice([0, 0, 0, 1, 1, 2])):
        text += _qualifier(rng)
    return text


def _observation_expression(rng: random.Random, depth: int = 0) -> str:
    parts = [_observation(rng, depth)]
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        parts.append(rng.choice([" AND ", " OR ", " FOLLOWEDBY "]))
        parts.append(_observation(rng, depth))
    return "".join(parts)


NOISE = list("[]()'\":.,=!<>*+-/^\\ \t\nabcXYZ019_?@#$%&~`{}|;") + [
    "\u00a0", "\u2003", "\u200b", "é", "✓", "/*", "*/", "//", "AND", "OR", "NOT", " t'", "h'",
    "b'", "EXISTS", "true", "--",
]


def _mutate(rng: random.Random, text: str) -> str:
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not text:
            return rng.choice(NOISE)
        position = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.35:
            text = text[:position] + text[position + 1:]
        elif action < 0.7:
            text = text[:position] + rng.choice(NOISE) + text[position:]
        elif action < 0.8:
            text = text[:position]
        elif action < 0.9 and position < len(text) - 1:
            text = text[:position] + text[position + 1] + text[position] + text[position + 2:]
        else:
            words = text.split(" ")
            index = rng.randrange(len(words))
            words[index] = rng.choice(["AND", "OR", "FOLLOWEDBY", "=", "IN", "]", "[", "(", ")",
                                       words[rng.randrange(len(words))], ""])
            text = " ".join(words)
    return text


def _decorate(rng: random.Random, text: str) -> str:
    roll = rng.random()
    if roll < 0.05:
        return "/* comment */ " + text
    if roll < 0.1:
        return " \n\t" + text + " // trailing comment"
    if roll < 0.13:
        return "\u00a0" + text.replace(" ", "\u2003")
    if roll < 0.16:
        return "((" + text + "))"
    if roll < 0.18:
        return text.replace(" ", "")
    return text


def corpus(size: int, seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    patterns = [
        "[ipv4-addr:value = '203.0.113.7']",
        "[file:hashes.'SHA-256' = '" + "a" * 64 + "']",
        "[file:hashes.MD5 = 'not-a-hash']",
        "[domain-name:value = 'evil.example'] AND [url:value LIKE 'http://evil.example/%']",
        "([x:y = 1])", "", "   ", "(", "[", "[]", "[file:name = 'x'] WITHIN 1 SECONDS "
        "WITHIN 2 SECONDS", "([file:name = 'x'] WITHIN 1 SECONDS) WITHIN 2 SECONDS",
        "[file:size[-1] = 1]", "[file:hashes[0] = 'x']", "[EXISTS file:name]",
        "[NOT EXISTS file:hashes.MD5]", "[file:name NOT = 'x']", "[EXISTS:foo = 1]",
    ]
    while len(patterns) < size:
        pattern = _decorate(rng, _observation_expression(rng))
        patterns.append(pattern)
        if rng.random() < 0.6:
            patterns.append(_mutate(rng, pattern))
    return patterns[:size]


def reference_syntax_ok(pattern: str, version: str) -> bool:
    try:
        return not stix2patterns_validator.run_validator(pattern, version)
    except Exception:
        return False


def reference_indicator_ok(pattern: str, version: str) -> bool:
    indicator = {"type": "indicator", "id": "indicator--00000000-0000-4000-8000-000000000001",
                 "pattern": pattern, "pattern_type": "stix", "pattern_version": version}
    try:
        return not list(musts.patterns(indicator, OPTIONS))
    except Exception:
        return False


@pytest.fixture(scope="module")
def patterns() -> list[str]:
    return corpus(CORPUS_SIZE)


def test_corpus_has_both_outcomes(patterns):
    valid = sum(reference_syntax_ok(p, "2.1") for p in patterns[:2000])
    assert 300 < valid < 1700, valid


@pytest.mark.parametrize("version", ["2.1", "2.0"])
def test_syntax_matches_stix2patterns(patterns, version):
    disagreements = []
    for pattern in patterns:
        expected = reference_syntax_ok(pattern, version)
        ours = syntax_problem(pattern, version)
        if expected != (ours is None):
            disagreements.append((pattern, expected, ours))
    assert not disagreements, disagreements[:10]


@pytest.mark.parametrize("version", ["2.1", "2.0"])
def test_indicator_check_matches_stix2validator(patterns, version):
    disagreements = []
    for pattern in patterns:
        expected = reference_indicator_ok(pattern, version)
        ours = pattern_problem(pattern, version)
        if expected != (ours is None):
            disagreements.append((pattern, expected, ours))
    assert not disagreements, disagreements[:10]


TRICKY = [
    r"[x:y = 'a\'b']", r"[x:y = 'a\\']", r"[x:y = 'a\b']", r"[x:y = '\']", "[x:y = ''']",
    "[x:y = 'multi\nline']", "/*c*/[x:y = 1]", "[x:y = 1]/*c*/", "[x:y = 1] /* unterminated",
    "[x:y = 1] /*/", "[x:y = 1] // comment\n AND [a:b = 2]", "[x:y = 1]//", "[x:y = 01]",
    "[x:y = -0]", "[x:y = +0]", "[x:y = 1.]", "[x:y = .5]", "[x:y = -.5]", "[x:y = +-1]",
    "[x:y = 1.2.3]", "[x:y = 00.5]", "[x:y = 1e5]", "[x:y = h'']", "[x:y = b'']",
    "[x:y = b'A===']", "[x:y = t'2026-01-01T00:00:00.Z']", "[x:y = t'2026-01-01T00:00:60Z']",
    "[x:y == 1]", "[x:y <> 1]", "[x:y != 1]", "[x:y ! = 1]", "[x:y =< 1]", "[x:y IN ()]",
    "[x:y IN (1,)]", "[x:y IN (1 2)]", "[x:y NOT = 1]", "[x:y = true]", "[x:y = True]",
    "[x:y > true]", "[x:y.'a b'[*].c[0] = 1]", "[x:'y' = 1]", "[x-y-:z = 1]", "[-x:y = 1]",
    "[x:y-z = 1]", "[EXISTS x:y]", "[NOT EXISTS x:y]", "[EXISTS NOT x:y]",
    "[x:y = 1 AND EXISTS a:b]",
    "[x:y = 1] START t'2026-01-01T00:00:00Z' STOP t'2026-01-02T00:00:00Z' WITHIN 5 SECONDS",
    "[x:y = 1] WITHIN 5 SECONDS REPEATS 2 TIMES WITHIN 1 SECONDS",
    "([x:y = 1]) WITHIN 1 SECONDS", "[x:y = 1] AND [a:b = 2] WITHIN 1 SECONDS WITHIN 2 SECONDS",
    "[x:y = 1] LAST 5 SECONDS", "\u00a0[x:y = 1]", "\u200b[x:y = 1]", "( [x:y = 1] )",
    "(\t[x:y = 1])", "[x:y = 1]\u3000",
    "[file:hashes.MD5 IN ('" + "a" * 32 + "')]", "[file:hashes.MD5 = h'" + "ab" * 16 + "']",
    "[file:hashes.md5 = '" + "a" * 32 + "\n']", "[file:hashes.'SHA-256' LIKE 'x']",
    "[file:hashes.MD6 = '" + "a" * 40 + "']", "[file:hashes.'sha_256' = 'x']",
    "[file:x.hashes.MD5 = 'x']", "[file:hashes.MD5 = 5]", "[file:id = 1]", "[x-custom:id = 1]",
    "[file:hashes[*] = 'x']", "[EXISTS file:hashes[0]]", "[file:a[-1] = 1]",
]


@pytest.mark.parametrize("version", ["2.1", "2.0"])
def test_tricky_patterns(version):
    for pattern in TRICKY:
        assert reference_syntax_ok(pattern, version) == (
            syntax_problem(pattern, version) is None), pattern
        assert reference_indicator_ok(pattern, version) == (
            pattern_problem(pattern, version) is None), pattern


def test_nesting_limit():
    """Up to MAX_NESTING levels the answers agree; deeper patterns are refused (intended)."""
    from cyberhub.core.patterns import MAX_NESTING
    for depth in (1, 20, MAX_NESTING):
        for pattern in ("(" * depth + "[x:y = 1]" + ")" * depth,
                        "[" + "(" * depth + "x:y = 1" + ")" * depth + "]"):
            assert reference_syntax_ok(pattern, "2.1")
            assert syntax_problem(pattern) is None
    deeper = "(" * (MAX_NESTING + 1) + "[x:y = 1]" + ")" * (MAX_NESTING + 1)
    assert reference_syntax_ok(deeper, "2.1")
    assert "nested more than" in pattern_problem(deeper)


def _seconds(check, text: str) -> float:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        check(text)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("make", [
    lambda n: "[a:b = '" + "\\'" * n, lambda n: "/*" * n, lambda n: "0" * (2 * n),
    lambda n: "'x" * n, lambda n: "h'0" * n, lambda n: "[a:b = " + "(" * n,
    lambda n: "[" + "a:b = 1 AND " * (n // 5) + "a:b = 1]",
], ids=["escapes", "comments", "digits", "strings", "hex", "parentheses", "comparisons"])
def test_linear_time_on_hostile_input(make):
    """An unterminated string, comment or digit run is not rescanned from every position: four
    times the input takes about four times the time (sixteen would be quadratic), on any
    machine; the margin to eight leaves room for a busy machine's noise."""
    small, large = _seconds(pattern_problem, make(12_500)), _seconds(pattern_problem, make(50_000))
    assert large / small < 8.0, (small, large)


def test_messages_name_the_problem():
    assert "expected" in pattern_problem("[file:name = ]")
    assert "'['" in pattern_problem("file:name = 'x'")
    assert "SHA-256" in pattern_problem("[file:hashes.'SHA-256' = 'abc']")
    assert "twice" in pattern_problem("[a:b = 1] WITHIN 1 SECONDS WITHIN 2 SECONDS")
    assert "'Name'" in pattern_problem("[file:Name = 'x']")
    assert "object type" in pattern_problem("[File:name = 'x']")
    assert pattern_problem("[ipv4-addr:value = '203.0.113.7']") is None

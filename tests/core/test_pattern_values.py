"""The values a pattern compares for equality, as both the index and the blocklists read them."""

from stix2patterns.inspector import INDEX_STAR
from stix2patterns.v21.pattern import Pattern

from cyberhub.core.pattern_values import EQUALITY, _strings, equality_values
from cyberhub.core.patterns import _STAR

from .test_patterns import corpus

STAR = "[*]"


def test_equality_values_from_the_parse_tree():
    pattern = ("[ipv4-addr:value IN ('45.1.1.1', '45.1.1.2')] OR [file:hashes.'SHA-256' = 'ab']"
               " OR [email-message:subject = 'Rechnung \\'dringend\\'']"
               " OR [domain-name:value != 'x.de']")
    values = equality_values(pattern)
    assert ("ipv4-addr", ["value"], "45.1.1.1") in values
    assert ("ipv4-addr", ["value"], "45.1.1.2") in values
    assert ("file", ["hashes", "SHA-256"], "ab") in values
    assert ("email-message", ["subject"], "Rechnung 'dringend'") in values
    assert not any(v[0] == "domain-name" for v in values)  # != says nothing
    assert equality_values("[ipv4-addr:value = ") is None


def _reference(pattern: str):
    """`equality_values` as it was: read from stix2-patterns' own parse tree."""
    try:
        found = Pattern(pattern).inspect().comparisons
    except Exception:
        return None
    return [(object_type, [STAR if step is INDEX_STAR else step for step in path], value)
            for object_type, entries in found.items()
            for path, operator, literal in entries if operator in EQUALITY
            for value in _strings(literal)]


def test_equality_values_equal_the_reference_parse_on_the_pattern_corpus():
    """The hub's parser gives the index exactly the values the ANTLR parse gave, on the
    generated corpus of valid and broken patterns the validator is proven on."""
    checked = parsed = 0
    for pattern in corpus(3000) + [
            "[a:b == 'x']", "[a:b NOT = 'x']", "[a:b NOT IN ('x')]",
            "[file:hashes[*] = 'x']", "[a:b = 'x'] WITHIN 1 SECONDS WITHIN 2 SECONDS",
            "[a:b = 'y'] OR [c:d IN ('p' , 'q')] OR [a:e ISSUBSET '10.0.0.0/8']"]:
        ours = equality_values(pattern)
        if ours is not None:
            ours = [(t, [STAR if step is _STAR else step for step in path], v)
                    for t, path, v in ours]
        assert ours == _reference(pattern), pattern
        checked += 1
        parsed += ours is not None
    assert parsed > 500 and checked - parsed > 500, (parsed, checked)

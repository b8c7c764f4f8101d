"""Strict envelope parsing: every ambiguous JSON form is refused with its code."""

import json

import pytest

from cyberhub.core import stix


def test_envelope_keeps_each_object_text_exactly():
    body = '{ "more": false,\n "objects": [ {"b": 1, "a": [1.50, "é"]} ,{"x":"\\u00e9"} ] }'
    members, objects = stix.parse_envelope(body.encode())
    assert members["more"] is False
    assert [o.text for o in objects] == ['{"b": 1, "a": [1.50, "é"]}', '{"x":"\\u00e9"}']
    assert objects[1].value == {"x": "é"}


def test_bundle_shaped_envelope_is_read_for_its_objects():
    _, objects = stix.parse_envelope('{"type":"bundle","id":"bundle--1","objects":[{"a":1}]}')
    assert [o.value for o in objects] == [{"a": 1}]


@pytest.mark.parametrize("body, code", [
    ('{"objects":[{"a":1,"a":2}]}', "duplicate-key"),
    ('{"objects":[],"objects":[]}', "duplicate-key"),
    ('{"objects":[{"a":{"b":1,"b":1}}]}', "duplicate-key"),
    ('{"objects":[NaN]}', "malformed-json"),
    ('{"objects":[Infinity]}', "malformed-json"),
    ('{"objects":[-Infinity]}', "malformed-json"),
    ('{"objects":[9007199254740993]}', "malformed-json"),
    ('{"objects":[-9007199254740993]}', "malformed-json"),
    ('{"objects":[1e400]}', "malformed-json"),
    ('{"objects":["\\ud800"]}', "malformed-json"),
    ('{"objects":["a\\u0000b"]}', "malformed-json"),
    ('{"objects":[{"x\\u0000":1}]}', "malformed-json"),
    ('{"objects":[1,]}', "malformed-json"),
    ('{"objects":[]} trailing', "malformed-json"),
    ('{"a":1,}', "malformed-json"),
    ('{"objects" [1]}', "malformed-json"),
    ('{"objects":[1] "x":2}', "malformed-json"),
    ("{'objects':[]}", "malformed-json"),
    ("", "malformed-json"),
    ("[" * 100000, "too-deep"),
])
def test_ambiguous_or_broken_json_is_refused(body, code):
    with pytest.raises(stix.JSONError) as caught:
        stix.parse_envelope(body)
    assert caught.value.code == code


def test_nul_is_refused_by_loads_too_but_an_escaped_backslash_is_text():
    with pytest.raises(stix.JSONError, match="NUL"):
        stix.loads('{"detail": "x\\u0000"}')
    assert stix.loads('{"path": "C:\\\\u0000"}') == {"path": "C:\\u0000"}


def test_invalid_utf8_is_refused():
    with pytest.raises(stix.JSONError):
        stix.parse_envelope(b'{"objects":["\xff"]}')


@pytest.mark.parametrize("body", ['[1]', '"x"', '{}', '{"objects":{}}', '{"objects":null}'])
def test_json_that_is_not_an_envelope_is_refused(body):
    with pytest.raises(ValueError) as caught:
        stix.parse_envelope(body)
    assert not isinstance(caught.value, stix.JSONError)


def test_largest_safe_integers_are_accepted():
    _, objects = stix.parse_envelope('{"objects":[9007199254740992,-9007199254740992]}')
    assert [o.value for o in objects] == [2**53, -(2**53)]


def test_object_version_prefers_modified_then_created():
    assert stix.object_version({"created": "2026-01-01T00:00:00Z",
                                "modified": "2026-02-01T00:00:00.5Z"}).text == \
        "2026-02-01T00:00:00.5Z"
    assert stix.object_version({"created": "2026-01-01T00:00:00Z"}).text == \
        "2026-01-01T00:00:00Z"
    assert stix.object_version({"value": "1.2.3.4"}) is None


def test_digest_ignores_key_order_but_not_values():
    assert stix.digest({"a": 1, "b": 2}) == stix.digest({"b": 2, "a": 1})
    assert stix.digest({"a": 1}) != stix.digest({"a": 2})


@pytest.mark.parametrize("depth", [101, 978, 5000])
def test_json_nested_deeper_than_the_limit_is_refused(depth):
    deep = "[" * depth + "]" * depth
    for parse in (stix.loads, stix.parse_envelope):
        text = deep if parse is stix.loads else '{"objects": [' + deep + "]}"
        with pytest.raises(stix.JSONError) as refused:
            parse(text)
        assert refused.value.code == "too-deep"


def test_json_at_the_limit_and_brackets_in_strings_are_fine():
    assert stix.loads("[" * stix.MAX_DEPTH + "]" * stix.MAX_DEPTH)
    text = json.dumps({"a": "[" * 500, "b": [{"c": "]]]{{" * 200}] * 300})
    assert stix.loads(text)["a"] == "[" * 500
    # A string's brackets cannot hide real nesting.
    hidden = "[" * 60 + '"' + "]" * 60 + '"' + "[" * 60 + "]" * 120
    with pytest.raises(stix.JSONError):
        stix.loads(hidden)

"""YAML files are read without aliases and without unbounded nesting."""

import pytest
import yaml

from cyberhub.core.yaml_files import load_yaml

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


def test_plain_yaml_is_read():
    assert load_yaml("titel: Phishing\nbeobachtungen:\n  domains: [a.example]\n") == {
        "titel": "Phishing", "beobachtungen": {"domains": ["a.example"]}}


def test_aliases_are_refused_with_where_and_why():
    with pytest.raises(yaml.YAMLError) as refused:
        load_yaml(LAUGHS)
    assert refused.value.problem == "aliases (*name) are not allowed"
    assert refused.value.problem_mark.line == 1


def test_deep_nesting_is_refused():
    with pytest.raises(yaml.YAMLError, match="nested too deeply"):
        load_yaml("[" * 5000 + "]" * 5000)

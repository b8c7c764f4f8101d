"""Incident description files: the documented example works, German names work, and every
mistake is named by field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cyberhub.agent.description import DescriptionError, load, parse

from .conftest import EXAMPLE


def test_the_documented_example_parses():
    description = load(EXAMPLE)
    assert description.incident == "2026-11-phishing-buergerbuero"
    assert description.stage == "early-warning"
    assert description.criticality == 70
    assert description.observables.files[0].hashes()["SHA-256"].startswith("5f4dcc3b")
    assert description.techniques == ["T1566.001", "T1204.002"]
    assert str(description.detected) == "2026-11-20 06:15:00+00:00"


def test_german_field_names_and_values():
    description = parse({
        "vorfall": "v1", "meldestufe": "Abschlussmeldung", "titel": "Verschlüsselte Dateien",
        "einschätzung": "bestätigt", "bearbeitungsstand": "abgeschlossen",
        "kritikalität": "kritisch", "beobachtungen": {"domänen": ["Bücher.Example."],
                                                       "dateien": [{"md5": "A" * 32}]},
        "schadsoftware": ["LockBit"], "schwachstellen": ["cve-2023-4966"],
    })
    assert (description.stage, description.determination, description.status) == (
        "final", "confirmed", "closed")
    assert description.criticality == 95
    assert description.observables.domains == ["xn--bcher-kva.example"]
    assert description.vulnerabilities == ["CVE-2023-4966"]


@pytest.mark.parametrize("data, message", [
    ({"title": "x"}, "incident: this field is required"),
    ({"incident": "a b", "title": "x"}, "incident: must be 1-100 letters"),
    ({"incident": "a", "title": "x", "stage": "later"}, "stage: 'later' is not a reporting stage"),
    ({"incident": "a", "title": "x", "colour": "red"}, "colour: unknown field"),
    ({"incident": "a", "title": "x", "observables": {"ipv4": ["10.0.0.1", "300.1.2.3"]}},
     "observables.ipv4: '300.1.2.3' is not an IPv4 address"),
    ({"incident": "a", "title": "x", "observables": {"ipv6": ["10.0.0.1"]}},
     "observables.ipv6: '10.0.0.1' is not an IPv6 address"),
    ({"incident": "a", "title": "x", "observables": {"domains": ["not a domain"]}},
     "observables.domains: 'not a domain' is not a domain name"),
    ({"incident": "a", "title": "x", "observables": {"files": [{"sha256": "abc"}]}},
     "observables.files[0].sha256: must be 64 hexadecimal characters"),
    ({"incident": "a", "title": "x", "observables": {"files": [{"name": "a.exe"}]}},
     "observables.files: every file needs at least one of"),
    ({"incident": "a", "title": "x", "indicators": [{"pattern": "[ipv4-addr:value = 1"}]},
     "indicators[0].pattern: not a valid STIX pattern"),
    ({"incident": "a", "title": "x", "techniques": ["T15"]},
     "techniques: 'T15' is not an ATT&CK technique id"),
    ({"incident": "a", "title": "x", "tlp": "white"}, "tlp: 'white' is not a TLP 2.0 level"),
    ({"incident": "a", "title": "x", "criticality": 101}, "criticality: must be low, medium"),
    ({"incident": "a", "title": "x", "detected": "yesterday"}, "detected: "),
    ([1, 2], "the file must describe one incident"),
])
def test_mistakes_are_named_by_field(data, message):
    with pytest.raises(DescriptionError) as caught:
        parse(data)
    assert str(caught.value).startswith(message), str(caught.value)


def test_file_problems(tmp_path: Path):
    cases = {
        "broken.yaml": ("incident: [unclosed\n", "not valid YAML (line"),
        "broken.json": ('{"incident": ', "not valid JSON"),
        "latin1.yaml": (None, "the file is not UTF-8 text"),
        "missing.yaml": (False, "no such file"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is None:
            path.write_bytes("titel: Bürger".encode("latin-1"))
        elif content is not False:
            path.write_text(content)
        with pytest.raises(DescriptionError) as caught:
            load(path)
        assert str(caught.value) == f"{path}: {message}" or message in str(caught.value)
        assert str(caught.value).startswith(str(path))


def test_json_files_work_too(tmp_path: Path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"incident": "j", "title": "JSON", "tlp": "TLP:GREEN"}))
    assert load(path).tlp == "green"

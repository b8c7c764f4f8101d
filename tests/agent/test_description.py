"""Incident description files: the documented example works, German names work, and every
mistake is named by field."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from cyberhub.agent.description import DescriptionError, load, parse

from .conftest import EXAMPLE
from .local_time import berlin  # noqa: F401 - the fixture

UTC = timezone.utc
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


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


def test_german_values_as_the_prompts_take_them():
    description = parse({"vorfall": "v2", "titel": "t", "meldestufe": "Frühwarnung",
                         "einschätzung": "Verdacht", "kritikalität": "Hoch", "tlp": "grün",
                         "erkannt": "04.12.2026 08:30"}, now=NOW)
    assert (description.stage, description.determination, description.criticality,
            description.tlp) == ("early-warning", "suspected", 70, "green")
    assert parse({"incident": "a", "title": "t", "criticality": "70"}).criticality == 70


# Local wall-clock times are German time, with summer time where it applies on that day.
@pytest.mark.usefixtures("berlin")
@pytest.mark.parametrize("written, instant", [
    ("04.12.2026 08:30", datetime(2026, 12, 4, 7, 30, tzinfo=UTC)),
    ("4.12.2026 8:30", datetime(2026, 12, 4, 7, 30, tzinfo=UTC)),
    ("04.12.2026, 8.30 Uhr", datetime(2026, 12, 4, 7, 30, tzinfo=UTC)),
    ("04.12.2026 08:30:15", datetime(2026, 12, 4, 7, 30, 15, tzinfo=UTC)),
    ("04.12.2026", datetime(2026, 12, 3, 23, 0, tzinfo=UTC)),
    ("20.07.2026 08:30", datetime(2026, 7, 20, 6, 30, tzinfo=UTC)),  # summer time
    ("29.03.2026 03:30", datetime(2026, 3, 29, 1, 30, tzinfo=UTC)),  # an hour after the change
    ("25.10.2026 04:00", datetime(2026, 10, 25, 3, 0, tzinfo=UTC)),  # back to winter time
    ("2026-12-04 08:30", datetime(2026, 12, 4, 7, 30, tzinfo=UTC)),
    ("2026-07-20T08:30", datetime(2026, 7, 20, 6, 30, tzinfo=UTC)),
    ("2026-12-04T08:30:00Z", datetime(2026, 12, 4, 8, 30, tzinfo=UTC)),
    ("2026-12-04T08:30:00+01:00", datetime(2026, 12, 4, 7, 30, tzinfo=UTC)),
    ("2026-12-05T12:04:00Z", datetime(2026, 12, 5, 12, 4, tzinfo=UTC)),  # a clock a bit ahead
])
def test_dates_as_people_write_them(written, instant):
    assert parse({"incident": "a", "title": "t", "detected": written}, now=NOW).detected == \
        instant


@pytest.mark.usefixtures("berlin")
@pytest.mark.parametrize("written", ["31.02.2026 08:30", "04.12.26 08:30", "04.12.2026 25:00",
                                     "2026-12-04 8 Uhr", "heute", "morgen 08:30", "2026-13-01",
                                     "2026-12-05T12:10:00Z"])
def test_dates_refused(written):
    with pytest.raises(DescriptionError, match=r"^detected: '[^']+' (ist kein Zeitpunkt|liegt)"):
        parse({"incident": "a", "title": "t", "detected": written}, now=NOW, language="de")


@pytest.mark.usefixtures("berlin")
def test_today_and_yesterday_are_this_machines_days():
    today = date.today()
    midnight = datetime.combine(today, time()).astimezone()
    evening = datetime.combine(today - timedelta(days=1), time(22, 10)).astimezone()
    for written, expected in (("heute 00:00", midnight), ("Heute, 0:00 Uhr", midnight),
                              ("gestern 22:10", evening), ("yesterday 22:10", evening)):
        detected = parse({"incident": "a", "title": "t", "detected": written}).detected
        assert detected == expected, written


@pytest.mark.usefixtures("berlin")
def test_dates_that_yaml_reads_itself(tmp_path: Path):
    path = tmp_path / "d.yaml"
    for written, instant in (("2026-12-04", datetime(2026, 12, 3, 23, 0, tzinfo=UTC)),
                             ("2026-12-04 08:30:00", datetime(2026, 12, 4, 7, 30, tzinfo=UTC)),
                             ("2026-07-20 08:30:00", datetime(2026, 7, 20, 6, 30, tzinfo=UTC)),
                             ("04.12.2026 08:30", datetime(2026, 12, 4, 7, 30, tzinfo=UTC))):
        path.write_text(f"incident: a\ntitle: t\ndetected: {written}\n")
        assert load(path).detected == instant, written


@pytest.mark.parametrize("data, message", [
    ({"title": "x"}, "incident: diese Angabe fehlt"),
    ({"incident": "a b", "title": "x"}, "incident: muss aus 1 bis 100 Buchstaben"),
    ({"incident": "a", "title": "x", "stage": "später"},
     ("stage: 'später' ist keine Meldestufe; möglich sind: frühwarnung (early-warning), "
      "meldung (notification)")),
    ({"incident": "a", "title": "x", "colour": "red"}, "colour: unbekanntes Feld"),
    ({"incident": "a", "title": None}, "title: muss ein Text sein"),
    ({"incident": "a", "title": "x", "malware": [None]}, "malware: muss ein Text sein"),
    ({"incident": "a", "title": "x", "observables": {"ipv4": ["10.0.0.1", "300.1.2.3"]}},
     "observables.ipv4: '300.1.2.3' ist keine IPv4-Adresse"),
    ({"incident": "a", "title": "x", "observables": {"ipv6": ["10.0.0.1"]}},
     "observables.ipv6: '10.0.0.1' ist keine IPv6-Adresse"),
    ({"incident": "a", "title": "x", "observables": {"domains": ["not a domain"]}},
     "observables.domains: 'not a domain' ist kein Domainname"),
    ({"incident": "a", "title": "x", "observables": {"files": [{"sha256": "abc"}]}},
     "observables.files[0].sha256: muss aus 64 Hexadezimalziffern bestehen"),
    ({"incident": "a", "title": "x", "observables": {"files": [{"name": "a.exe"}]}},
     "observables.files: jede Datei braucht mindestens einen von"),
    ({"incident": "a", "title": "x", "observables": "203.0.113.9"},
     "observables: muss eine Zuordnung von Feldern sein"),
    ({"incident": "a", "title": "x", "indicators": [{"pattern": "[ipv4-addr:value = 1"}]},
     "indicators[0].pattern: kein gültiges STIX-Muster"),
    ({"incident": "a", "title": "x", "techniques": ["T15"]},
     "techniques: 'T15' ist keine ATT&CK-Technik-ID"),
    ({"incident": "a", "title": "x", "techniques": {"T1566": 1}},
     "techniques: muss eine Liste sein"),
    ({"incident": "a", "title": "x", "tlp": "white"}, "tlp: 'white' ist keine TLP-2.0-Stufe"),
    ({"incident": "a", "title": "x", "criticality": 101},
     "criticality: '101': möglich sind niedrig, mittel, hoch, kritisch"),
    ({"incident": "a", "title": "x", "detected": "yesterday"},
     "detected: 'yesterday' ist kein Zeitpunkt; so geht es: 04.12.2026 08:30"),
    ({"incident": "a", "title": "x", "detected": "2099-01-01T00:00:00Z"},
     "detected: '2099-01-01T00:00:00Z' liegt in der Zukunft"),
    ({"incident": "a", "title": "x", "score": 101}, "score: ungültiger Wert"),
    ([1, 2], "Die Datei muss einen Vorfall beschreiben"),
])
def test_mistakes_are_named_by_field(data, message):
    with pytest.raises(DescriptionError) as caught:
        parse(data, language="de")
    assert str(caught.value).startswith(message), str(caught.value)


@pytest.mark.parametrize("data, message", [
    ({"title": "x"}, "incident: this field is required"),
    ({"incident": "a", "title": "x", "observables": {"ipv4": ["300.1.2.3"]}},
     "observables.ipv4: '300.1.2.3' is not an IPv4 address"),
    ({"incident": "a", "title": "x", "stage": "later"},
     "stage: 'later' is not a reporting stage"),
    ({"incident": "a", "title": "x", "detected": "01.01.2099"},
     "detected: '01.01.2099' is in the future"),
])
def test_mistakes_in_english(data, message):
    with pytest.raises(DescriptionError) as caught:
        parse(data, language="en")
    assert str(caught.value).startswith(message), str(caught.value)


def test_the_language_comes_from_the_locale(monkeypatch, tmp_path: Path):
    path = tmp_path / "v.yaml"
    path.write_text("titel: ohne Vorfall\n")
    monkeypatch.delenv("CYBERHUB_LANGUAGE", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    with pytest.raises(DescriptionError, match="incident: diese Angabe fehlt"):
        load(path)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    with pytest.raises(DescriptionError, match="incident: this field is required"):
        load(path)


def test_file_problems(tmp_path: Path):
    cases = {
        "broken.yaml": ("incident: [unclosed\n", "kein gültiges YAML (Zeile"),
        "broken.json": ('{"incident": ', "kein gültiges JSON"),
        "latin1.yaml": (None, "Die Datei ist kein UTF-8-Text."),
        "missing.yaml": (False, "Diese Datei gibt es nicht."),
        "aliases.yaml": ("a: &x 1\nb: *x\n", "kein gültiges YAML (Zeile 2): aliases"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is None:
            path.write_bytes("titel: Bürger".encode("latin-1"))
        elif content is not False:
            path.write_text(content)
        with pytest.raises(DescriptionError) as caught:
            load(path, language="de")
        assert str(caught.value) == f"{path}: {message}" or message in str(caught.value)
        assert str(caught.value).startswith(str(path))


def test_json_files_work_too(tmp_path: Path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"incident": "j", "title": "JSON", "tlp": "TLP:GREEN"}))
    assert load(path).tlp == "green"

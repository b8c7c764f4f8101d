"""Drafts: one incident description from findings, in the format an operator writes; its text
German (it goes to the hub's analysts), English when asked."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from cyberhub.agent.collectors import drafts, sshd, weblog
from cyberhub.agent.collectors.common import Finding
from cyberhub.agent.node_settings import Thresholds

LOGS = Path(__file__).parent.parent / "data" / "logs"
NOW = datetime(2026, 11, 20, 12, 7, 30, tzinfo=UTC)
KEYS = ["incident", "stage", "title", "summary", "detected", "determination", "status",
        "criticality", "types", "detected_by", "tlp", "observables", "techniques",
        "vulnerabilities", "score", "findings"]


def ssh_findings() -> list[Finding]:
    lines = (LOGS / "auth.log").read_text().splitlines()
    return sshd.parse("auth.log", lines, thresholds=Thresholds(), now=NOW, tz=UTC)[0]


def web_findings() -> list[Finding]:
    lines = (LOGS / "access.log").read_text().splitlines()
    return weblog.parse("access.log", lines, thresholds=Thresholds(), now=NOW)[0]


def test_ssh_draft():
    draft = drafts.draft(ssh_findings(), tlp="amber", now=NOW, hostname="rathaus-srv01")
    assert list(draft) == KEYS
    assert draft["incident"] == "collector-20261120-1207-ssh-login-after-failures"
    assert draft["stage"] == "early-warning" and draft["status"] == "new"
    assert draft["title"] == ("SSH-Anmeldung nach Fehlversuchen auf rathaus-srv01 von "
                              "192.0.2.77, dazu SSH-Passwortraten (Brute Force)")
    assert draft["detected"] == "2026-11-20T07:15:01Z"
    assert draft["determination"] == "confirmed"  # a login succeeded after failures
    assert draft["criticality"] == draft["score"] == 90
    assert draft["types"] == ["brute-force-attempt", "unauthorized-access-system"]
    assert draft["detected_by"] == ["automated-tool"] and draft["tlp"] == "amber"
    assert draft["observables"] == {"ipv4": ["192.0.2.77", "203.0.113.5"],
                                    "ipv6": ["2001:db8:bad::7"]}
    assert draft["techniques"] == ["T1078", "T1110", "T1110.001"]
    assert draft["vulnerabilities"] == []

    first = draft["findings"][0]  # most serious first
    assert first == {"kind": "ssh-login-after-failures", "address": "192.0.2.77",
                     "first_seen": "2026-11-20T09:30:00Z", "last_seen": "2026-11-20T09:33:10Z",
                     "count": 5, "score": 90, "reasons": first["reasons"]}
    assert [f["address"] for f in draft["findings"]] == ["192.0.2.77", "203.0.113.5",
                                                          "2001:db8:bad::7"]
    summary = draft["summary"]
    assert summary.startswith(
        "Der cyberhub-Agent auf rathaus-srv01 fand in seinen Protokollen zwischen "
        "2026-11-20T07:15:01Z und 2026-11-20T09:33:10Z (UTC): erfolgreiche SSH-Anmeldung nach "
        "Fehlversuchen und SSH-Passwortraten (Brute Force). ")
    # The collectors' reasons follow, in the draft's language too, then what to do.
    assert "24 fehlgeschlagene SSH-Anmeldungen von 203.0.113.5" in summary
    assert "Erfolgreiche SSH-Anmeldung als 'anna' von 192.0.2.77" in summary
    assert first["reasons"][0].startswith("erfolgreiche SSH-Anmeldung als 'anna'")
    assert summary.endswith("dieses Passwort ändern und den Server auf Veränderungen "
                            "untersuchen.")


def test_the_draft_in_english_on_request():
    draft = drafts.draft(ssh_findings(), tlp="amber", now=NOW, hostname="rathaus-srv01",
                         language="en")
    assert draft["title"] == ("SSH login after failed attempts on rathaus-srv01 from 192.0.2.77, "
                              "with SSH brute force")
    assert draft["summary"].startswith("The cyberhub agent on rathaus-srv01 found successful "
                                       "SSH login after failed attempts and SSH brute force in "
                                       "its logs between 2026-11-20T07:15:01Z and ")
    assert "change that password" in draft["summary"]
    assert "24 failed SSH logins from 203.0.113.5" in draft["summary"]
    assert draft["findings"][1]["reasons"][0].startswith("24 failed SSH logins from")
    german = drafts.draft(ssh_findings(), tlp="amber", now=NOW, hostname="rathaus-srv01")

    def data(d):
        return {k: v if k != "findings" else [{**f, "reasons": len(f["reasons"])} for f in v]
                for k, v in d.items() if k not in ("title", "summary")}
    assert data(draft) == data(german)


def test_the_draft_stays_german_when_the_locale_is_english(monkeypatch):
    """The draft goes to the hub's analysts; the command line speaks the administrator's
    language."""
    monkeypatch.setenv("CYBERHUB_LANGUAGE", "en")
    draft = drafts.draft(web_findings(), tlp="green", now=NOW, hostname="www")
    assert "25 Anfragen von 198.51.100.44 nach 25 verschiedenen Pfaden" in draft["summary"]
    assert "innerhalb von 2 Minuten" in draft["summary"]
    assert "within" not in draft["summary"] and "answered 404" not in draft["summary"]
    explained = drafts.explain(web_findings())
    assert any("because 25 requests from 198.51.100.44 for 25 different paths that do not "
               "exist on this server (answered 404) within 2 minutes" in line
               for line in explained)


def test_web_draft_with_an_exploit_that_may_have_worked():
    draft = drafts.draft(web_findings(), tlp="green", now=NOW, hostname="www.musterstadt.de")
    assert draft["incident"] == "collector-20261120-1207-web-exploit-attempt"
    assert draft["title"] == ("Web-Angriffsversuche auf www.musterstadt.de von 2 Adressen, "
                              "dazu Schwachstellen-Scan des Webservers")
    assert draft["determination"] == "suspected"
    assert draft["criticality"] == 75
    assert draft["types"] == ["exploit-attempt", "network-scanning"]
    assert draft["observables"] == {"ipv4": ["198.51.100.44", "198.51.100.66", "203.0.113.9"]}
    assert draft["techniques"] == ["T1190", "T1595", "T1595.002"]
    assert draft["vulnerabilities"] == ["CVE-2017-9841", "CVE-2018-13379", "CVE-2021-41773",
                                        "CVE-2021-42013", "CVE-2021-44228", "CVE-2021-45046"]
    # Request paths are evidence for people, not absolute URLs: only in the text.
    assert "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh" in draft["summary"]
    assert "urls" not in draft["observables"]


def test_exploits_all_turned_away_are_a_failed_attempt():
    refused = [f for f in web_findings() if f.address == "203.0.113.9"]
    draft = drafts.draft(refused, tlp="clear", now=NOW, hostname="www")
    assert draft["determination"] == "failed-attempt"
    assert draft["criticality"] == 60
    assert draft["title"] == "Web-Angriffsversuche auf www von 203.0.113.9"
    assert "Der Server hat die Versuche abgewiesen" in draft["summary"]


def test_a_scan_alone_is_suspected():
    scan = [f for f in web_findings() if f.kind == "web-scan"]
    draft = drafts.draft(scan, tlp="amber", now=NOW, hostname="")
    assert draft["determination"] == "suspected"
    assert draft["title"] == "Schwachstellen-Scan auf diesem Server von 198.51.100.44"
    assert draft["summary"].endswith("den Server prüfen, falls ein Versuch gelungen sein kann.")


def test_draft_is_plain_yaml_and_a_valid_description():
    description = pytest.importorskip("cyberhub.agent.description")
    draft = drafts.draft(ssh_findings() + web_findings(), tlp="amber", now=NOW,
                         hostname="rathaus-srv01")
    text = yaml.safe_dump(draft, sort_keys=False, allow_unicode=True)
    assert yaml.safe_load(text) == draft
    parsed = description.parse(yaml.safe_load(text))
    assert parsed.incident == draft["incident"]
    assert parsed.detected == datetime(2026, 11, 20, 7, 10, tzinfo=UTC)
    assert parsed.observables.ipv6 == ["2001:db8:bad::7"]


def test_no_findings_no_draft():
    with pytest.raises(ValueError):
        drafts.draft([], tlp="amber", now=NOW, hostname="x")


def test_explain_says_what_and_why():
    lines = drafts.explain(ssh_findings(), "de")
    assert len(lines) == 3
    assert lines[0].startswith("gefunden: erfolgreiche SSH-Anmeldung nach Fehlversuchen von "
                               "192.0.2.77 (5 Ereignisse, Wert 90), weil erfolgreiche "
                               "SSH-Anmeldung als 'anna'")
    assert lines[1].startswith("gefunden: SSH-Passwortraten (Brute Force) von 203.0.113.5 "
                               "(24 Ereignisse, Wert 50), weil 24 fehlgeschlagene "
                               "SSH-Anmeldungen")
    assert drafts.explain(ssh_findings(), "en")[1].startswith(
        "found: SSH brute force from 203.0.113.5 (24 events, score 50) because 24 failed")
    assert drafts.explain([]) == []

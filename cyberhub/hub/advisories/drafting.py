"""A first draft from a campaign: the values to block, plain words for a town's IT person,
the TLP and severity the evidence calls for, and the playbook that fits. The analyst reads
it, changes what needs changing (`revise`) and a second analyst approves it."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import tlp
from cyberhub.core.stix import INCIDENT_CORE
from cyberhub.hub import collections, nodes, playbooks
from cyberhub.hub.advisories.document import Document, parse
from cyberhub.hub.correlation import context
from cyberhub.hub.storage import objects as store
from cyberhub.hub.storage.models import CampaignRecord, Node, Observation

# Evidence kinds that become indicators, and the document's kind for each.
_BLOCKABLE = {"ipv4": "ipv4", "ipv6": "ipv6", "domain": "domain", "url": "url",
              "email": "email"}
_HASH_KINDS = {"SHA-256": "sha256", "SHA-1": "sha1", "MD5": "md5"}
_STRICTNESS = {level: rank for rank, level in enumerate(tlp.LEVELS)}
_KIND_DE = {"ipv4": "IP-Adresse", "ipv6": "IP-Adresse", "domain": "Domain", "url": "Adresse (URL)",
            "email": "Absender", "sha256": "Datei (SHA-256)", "sha1": "Datei (SHA-1)",
            "md5": "Datei (MD5)"}


class DraftingError(ValueError):
    """No draft from this campaign; `code` says why: not-found, inactive or dismissed."""

    def __init__(self, message: str, code: str = "not-found") -> None:
        super().__init__(message)
        self.code = code


def _indicators(evidence: list[dict[str, Any]]) -> list[dict[str, str]]:
    found = []
    for item in evidence:
        kind, _, value = item["key"].partition(":")
        if kind in _BLOCKABLE:
            found.append({"kind": _BLOCKABLE[kind], "value": value})
        elif kind == "hash":
            algorithm, _, digest = value.partition(":")
            if algorithm in _HASH_KINDS:
                found.append({"kind": _HASH_KINDS[algorithm], "value": digest})
    return found


def _headline(evidence: list[dict[str, Any]]) -> str:
    """What a person recognises first: a domain, a sender or a URL before a file hash."""
    for kind in ("domain", "regdomain", "email", "url", "subject", "ipv4", "ipv6", "hash"):
        for item in evidence:
            if item["kind"] == kind:
                value = item["key"].split(":", 1)[1]
                return value if len(value) <= 60 else value[:57] + "..."
    return "gemeinsame Merkmale"


def _subjects(evidence: list[dict[str, Any]]) -> list[str]:
    return [item["key"].split(":", 1)[1] for item in evidence if item["kind"] == "subject"]


def _incident_types(session: Session, incidents: list[str]) -> set[str]:
    reports = collections.find(session, "reports")
    if reports is None or not incidents:
        return set()
    found: set[str] = set()
    page = store.page(session, reports.id, store.Filters(ids=tuple(incidents)), after=None,
                      limit=len(incidents))
    for row in page.rows:
        extension = json.loads(row.body).get("extensions", {}).get(INCIDENT_CORE, {})
        found.update(t for t in extension.get("incident_types", []) if isinstance(t, str))
    return found


def _techniques(session: Session, incidents: list[str]) -> set[str]:
    keys = session.scalars(select(Observation.key).where(
        Observation.incident_id.in_(incidents), Observation.kind == "technique").distinct())
    return {key.split(":", 1)[1] for key in keys}


def _strictest_tlp(session: Session, incidents: list[str]) -> str:
    levels = set(session.scalars(select(Observation.tlp).where(
        Observation.incident_id.in_(incidents)).distinct()))
    known = [level for level in levels if level in _STRICTNESS]
    # What several towns share about one attack is at least AMBER: it tells who was hit.
    return max(known + ["amber"], key=_STRICTNESS.__getitem__)


def _towns_text(session: Session, towns: list[dict[str, Any]]) -> tuple[str, str]:
    """Towns as other towns may see them: by name if they agreed, else by their Land."""
    named = set(session.scalars(select(Node.slug).where(
        Node.slug.in_([t["node"] for t in towns]), Node.share_name.is_(True))))
    de, en = [], []
    for town in towns:
        land = nodes.LANDS.get(town["land"], town["land"])
        if town["node"] in named:
            de.append(f"{town['name']} ({land})")
            en.append(f"{town['name']} ({land})")
        else:
            de.append(f"eine Kommune in {land}")
            en.append(f"a town in {land}")
    return "; ".join(de), "; ".join(en)


def _references(sources: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Each source once: a CERT advisory that covers two CVEs is cited once."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for item in sources:
        seen.setdefault((item["source"], item["external_id"]), {
            "source": item["source"][:100], "external_id": item["external_id"][:100],
            "url": item["url"] or ""})
    return list(seen.values())[:50]


def from_campaign(session: Session, campaign_id: str, **overrides: Any) -> Document:
    record = session.get(CampaignRecord, campaign_id)
    if record is None:
        raise DraftingError(f"no campaign {campaign_id!r}; see `cyberhub campaigns list`")
    if record.state != "active":
        raise DraftingError(f"campaign {campaign_id} is {record.state}; draft from an active one",
                            "inactive")
    if record.verdict == "dismissed":
        raise DraftingError(f"campaign {campaign_id} was dismissed by {record.verdict_by}; "
                            "confirm it before drafting an advisory from it", "dismissed")
    explained = json.loads(record.explanation)
    incidents = json.loads(record.incidents)
    evidence = explained["evidence"]
    indicators = _indicators(evidence)
    types = _incident_types(session, incidents)
    playbook = playbooks.propose(playbooks.load(), incident_types=types,
                                 techniques=_techniques(session, incidents))
    towns_de, towns_en = _towns_text(session, explained["towns"])
    count = len(explained["towns"])
    first, last = explained["timeline"][0]["seen"][:10], explained["timeline"][-1]["seen"][:10]
    listed_de = "\n".join(f"- {_KIND_DE[i['kind']]}: {i['value']}" for i in indicators)
    listed_en = "\n".join(f"- {i['kind']}: {i['value']}" for i in indicators)
    subjects = _subjects(evidence)
    when_de = f"Am {first}" if first == last else f"Zwischen {first} und {last}"
    when_en = f"On {first}" if first == last else f"Between {first} and {last}"
    de = [f"{when_de} haben {count} Kommunen zusammenhängende Angriffe gemeldet: {towns_de}. "
          "Dieselben Merkmale tauchen in allen Meldungen auf; es handelt sich sehr "
          "wahrscheinlich um eine gezielte Welle gegen Kommunen."]
    en = [f"{when_en}, {count} towns reported connected attacks: {towns_en}. The same traits "
          "appear in every report; this is very likely a wave aimed at towns."]
    if indicators:
        de.append("Diese Merkmale sperrt der cyberhub-Agent automatisch. Suchen Sie zusätzlich in "
                  "Ihren Protokollen und Postfächern danach und melden Sie Treffer:\n" + listed_de)
        en.append("The cyberhub agent blocks these automatically. Also search your logs and "
                  "mailboxes for them and report any hit:\n" + listed_en)
    if subjects:
        de.append("Betreff der Mails: " + "; ".join(subjects))
        en.append("Mail subjects: " + "; ".join(subjects))
    sources = context.cve_sources(session, incidents)
    if sources:
        cited_de = "\n".join(f"- {item['cve']}: {item['name']} ({item['source']})"
                              for item in sources)
        de.append("Ausgenutzte Schwachstellen, wie externe Quellen sie beschreiben; spielen Sie "
                  "die Updates der Hersteller ein:\n" + cited_de)
        en.append("Exploited vulnerabilities, as external sources describe them; install the "
                  "vendors' updates:\n" + cited_de)
    if playbook:
        de.append(f"Gehen Sie nach dem beigefügten Ablauf „{playbook.get('name', '')}“ vor.")
        en.append(f"Follow the attached playbook \"{playbook.get('name', '')}\".")
    severity = ("critical" if "ransomware" in types
                else "high" if count >= 3 else "medium")
    top = _headline(evidence)
    data = {
        "title": {"de": f"Warnung: Angriffswelle gegen {count} Kommunen ({top})"[:200],
                  "en": f"Warning: attack wave against {count} towns ({top})"[:200]},
        "summary": {"de": "\n\n".join(de), "en": "\n\n".join(en)},
        "severity": severity, "tlp": _strictest_tlp(session, incidents),
        "campaign": campaign_id, "indicators": indicators,
        "playbook": playbook["id"] if playbook else None,
        "references": _references(sources),
    }
    data.update({k: v for k, v in overrides.items() if v is not None})
    return parse(data)

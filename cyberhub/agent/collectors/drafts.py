"""Findings → one draft incident description, in the format an operator writes by hand.

The draft is plain data (str, int, list, dict) so it can be written as YAML for the IT person
to read, correct and send; the agent turns it into STIX only then. Everything it claims is
explained in plain language, because the person deciding whether to send it is not a security
specialist. Its title and summary become the report's text at the hub, so they are German unless
asked otherwise: the analysts there read German (catalog table `agent.drafts`).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from cyberhub.agent import texts
from cyberhub.agent.collectors.common import Finding, address_kind
from cyberhub.agent.texts import say
from cyberhub.core import messages

# The kinds of finding, most serious first (for ties); each has a label for sentences
# (`agent.drafts.label_<kind>`) and a title start (`agent.drafts.title_<kind>`).
KINDS = ("ssh-login-after-failures", "web-exploit-attempt", "ssh-brute-force", "web-scan")
CONFIRMED_SCORE = 90
MAY_HAVE_WORKED_SCORE = 75  # weblog: the server answered 2xx or 5xx to an exploit


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _order(findings: list[Finding]) -> list[Finding]:
    """Most serious first: that is what the reader must see before anything else."""
    rank = list(KINDS)
    return sorted(findings, key=lambda f: (-f.score, rank.index(f.kind) if f.kind in rank
                                           else len(rank), f.first_seen, f.address))


def _key(kind: str) -> str:
    return kind.replace("-", "_")


def _label(kind: str, language: str) -> str:
    if kind in KINDS:
        return say(f"agent.drafts.label_{_key(kind)}", language)
    return kind.replace("-", " ")


def _from(addresses: list[str], language: str) -> str:
    if len(addresses) == 1:
        return say("agent.drafts.from_one", language, address=addresses[0])
    return say("agent.drafts.from_many", language, count=len(addresses))


def _addresses(findings: list[Finding]) -> list[str]:
    # IPv4 before IPv6, numerically within each (ipaddress refuses to compare across them).
    return sorted({f.address for f in findings},
                  key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)))


def _title(ordered: list[Finding], host: str, language: str) -> str:
    primary = ordered[0].kind
    start = (say(f"agent.drafts.title_{_key(primary)}", language) if primary in KINDS
             else say("agent.drafts.title_other", language,
                      label=_label(primary, language).capitalize()))
    addresses = _addresses([f for f in ordered if f.kind == primary])
    title = f"{start} {host} {_from(addresses, language)}"
    others = list(dict.fromkeys(f.kind for f in ordered if f.kind != primary))
    if others:
        title += say("agent.drafts.title_with", language, others=_and(
            [_label(kind, language) for kind in others], language))
    return title


def _and(parts: list[str], language: str) -> str:
    return say("agent.drafts.and", language).join(parts)


def determination(findings: list[Finding]) -> str:
    """confirmed: a login succeeded after failures; failed-attempt: nothing but exploit attempts
    the server turned away (no 2xx or 5xx answer, i.e. their score stayed below 75; a redirect
    counts as turned away); otherwise suspected."""
    if any(f.score >= CONFIRMED_SCORE for f in findings):
        return "confirmed"
    if all(f.kind == "web-exploit-attempt" and f.score < MAY_HAVE_WORKED_SCORE
           for f in findings):
        return "failed-attempt"
    return "suspected"


def _reasons(finding: Finding, language: str) -> list[str]:
    return [reason.text(language) for reason in finding.reasons]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _summary(ordered: list[Finding], host: str, verdict: str, language: str) -> str:
    first = min(f.first_seen for f in ordered)
    last = max(f.last_seen for f in ordered)
    kinds = _and(list(dict.fromkeys(_label(f.kind, language) for f in ordered)), language)
    # UTC in ISO form: the summary is read at the hub, far from this server's clock.
    parts = [say("agent.drafts.opening", language, host=host, kinds=kinds, first=_iso(first),
                 last=_iso(last))]
    for finding in ordered:
        reasons = _reasons(finding, language)
        parts.append("; ".join(reasons))
        # The reasons show a few examples; the other towns want every attack request.
        unshown = [url for url in finding.urls if not any(url in r for r in reasons)]
        if unshown:
            parts.append(say("agent.drafts.further_requests", language,
                             address=finding.address, requests=", ".join(unshown)))
    advice = {"confirmed": "agent.drafts.advice_confirmed",
              "failed-attempt": "agent.drafts.advice_failed_attempt"}
    parts.append(say(advice.get(verdict, "agent.drafts.advice_suspected"), language))
    return " ".join(_sentence(part) for part in parts)


def draft(findings: list[Finding], *, tlp: str, now: datetime, hostname: str,
          language: str = messages.DEFAULT) -> dict[str, Any]:
    """One early-warning incident description covering `findings` (at least one), its text in
    `language` (German unless asked: it goes to the hub's analysts)."""
    if not findings:
        raise ValueError("no findings to draft a report from")
    ordered = _order(findings)
    host = hostname.strip() or say("agent.drafts.this_server", language)
    verdict = determination(ordered)
    score = max(f.score for f in ordered)
    addresses = _addresses(ordered)
    observables = {kind: values for kind in ("ipv4", "ipv6")
                   if (values := [a for a in addresses if address_kind(a) == kind])}
    return {
        "incident": f"collector-{now.astimezone(UTC):%Y%m%d-%H%M}-{ordered[0].kind}",
        "stage": "early-warning",
        "title": _title(ordered, host, language),
        "summary": _summary(ordered, host, verdict, language),
        "detected": _iso(min(f.first_seen for f in ordered)),
        "determination": verdict,
        "status": "new",
        "criticality": score,
        "types": sorted({t for f in ordered for t in f.incident_types}),
        "detected_by": ["automated-tool"],
        "tlp": tlp,
        "observables": observables,
        "techniques": sorted({t for f in ordered for t in f.techniques}),
        "vulnerabilities": sorted({v for f in ordered for v in f.vulnerabilities}),
        "score": score,
        "findings": [{"kind": f.kind, "address": f.address, "first_seen": _iso(f.first_seen),
                      "last_seen": _iso(f.last_seen), "count": f.count, "score": f.score,
                      "reasons": _reasons(f, language)} for f in ordered],
    }


def explain(findings: list[Finding], language: str | None = None) -> list[str]:
    """One line per finding for the command line, in the administrator's language: what was
    found, and why."""
    language = language or texts.language()
    return [say("agent.drafts.found", language, label=_label(f.kind, language),
                address=f.address, count=messages.number(f.count, language),
                score=f.score, reasons="; ".join(_reasons(f, language)))
            for f in _order(findings)]

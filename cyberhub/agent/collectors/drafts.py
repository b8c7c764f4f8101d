"""Findings → one draft incident description, in the format an operator writes by hand.

The draft is plain data (str, int, list, dict) so it can be written as YAML for the IT person
to read, correct and send; the agent turns it into STIX only then. Everything it claims is
explained in plain language, because the person deciding whether to send it is not a security
specialist.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

from cyberhub.agent.collectors.common import Finding, address_kind

# Kind → (label for sentences, title start). Order: most serious first, for ties.
KINDS = {
    "ssh-login-after-failures": ("successful SSH login after failed attempts",
                                 "SSH login after failed attempts on"),
    "web-exploit-attempt": ("web exploit attempts", "Web exploit attempts against"),
    "ssh-brute-force": ("SSH brute force", "SSH brute force against"),
    "web-scan": ("web vulnerability scan", "Web vulnerability scan against"),
}
CONFIRMED_SCORE = 90
MAY_HAVE_WORKED_SCORE = 75  # weblog: the server answered 2xx or 5xx to an exploit


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _order(findings: list[Finding]) -> list[Finding]:
    """Most serious first: that is what the reader must see before anything else."""
    rank = list(KINDS)
    return sorted(findings, key=lambda f: (-f.score, rank.index(f.kind) if f.kind in rank
                                           else len(rank), f.first_seen, f.address))


def _label(kind: str) -> str:
    return KINDS.get(kind, (kind.replace("-", " "), ""))[0]


def _from(addresses: list[str]) -> str:
    return f"from {addresses[0]}" if len(addresses) == 1 else f"from {len(addresses)} addresses"


def _addresses(findings: list[Finding]) -> list[str]:
    # IPv4 before IPv6, numerically within each (ipaddress refuses to compare across them).
    return sorted({f.address for f in findings},
                  key=lambda a: (ipaddress.ip_address(a).version, ipaddress.ip_address(a)))


def _title(ordered: list[Finding], host: str) -> str:
    primary = ordered[0].kind
    start = KINDS.get(primary, ("", f"{_label(primary).capitalize()} on"))[1]
    title = f"{start} {host} {_from(_addresses([f for f in ordered if f.kind == primary]))}"
    others = list(dict.fromkeys(f.kind for f in ordered if f.kind != primary))
    if others:
        title += ", with " + " and ".join(_label(kind) for kind in others)
    return title


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


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def _summary(ordered: list[Finding], host: str, verdict: str) -> str:
    first = min(f.first_seen for f in ordered)
    last = max(f.last_seen for f in ordered)
    kinds = " and ".join(dict.fromkeys(_label(f.kind) for f in ordered))
    opening = (f"The cyberhub agent on {host} found {kinds} in its logs between "
               f"{_iso(first)} and {_iso(last)}.")
    parts = [opening]
    for finding in ordered:
        parts.append("; ".join(finding.reasons))
        # The reasons show a few examples; the other towns want every attack request.
        unshown = [url for url in finding.urls if not any(url in r for r in finding.reasons)]
        if unshown:
            parts.append(f"Further attack requests from {finding.address}: "
                         + ", ".join(unshown))
    if verdict == "confirmed":
        parts.append("A login that succeeded after failed attempts means an attacker may know "
                     "a valid password: check who logged in, change that password and look "
                     "for changes on the server.")
    elif verdict == "failed-attempt":
        parts.append("The server turned the attempts away; this report lets other towns block "
                     "the addresses before they try there.")
    else:
        parts.append("Block the addresses if they are not your own, and check the server if "
                     "any attempt may have worked.")
    return " ".join(_sentence(part) for part in parts)


def draft(findings: list[Finding], *, tlp: str, now: datetime, hostname: str) -> dict[str, Any]:
    """One early-warning incident description covering `findings` (at least one)."""
    if not findings:
        raise ValueError("no findings to draft a report from")
    ordered = _order(findings)
    host = hostname.strip() or "this server"
    verdict = determination(ordered)
    score = max(f.score for f in ordered)
    addresses = _addresses(ordered)
    observables = {kind: values for kind in ("ipv4", "ipv6")
                   if (values := [a for a in addresses if address_kind(a) == kind])}
    return {
        "incident": f"collector-{now.astimezone(UTC):%Y%m%d-%H%M}-{ordered[0].kind}",
        "stage": "early-warning",
        "title": _title(ordered, host),
        "summary": _summary(ordered, host, verdict),
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
                      "reasons": list(f.reasons)} for f in ordered],
    }


def explain(findings: list[Finding]) -> list[str]:
    """One line per finding for the command line: what was found, and why."""
    return [f"found: {_label(f.kind)} from {f.address} ({f.count} events, score {f.score}) "
            f"because " + "; ".join(f.reasons) for f in _order(findings)]

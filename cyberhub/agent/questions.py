"""`report --interactive`: the few questions a town's IT person can answer without knowing
STIX. The answers are saved as an ordinary description file, so the next reporting stage is
that file edited and reported again."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

import click
import yaml

from cyberhub.agent.context import Agent
from cyberhub.agent.description import Description, DescriptionError, parse

KINDS = (
    ("Phishing-Mails / phishing mails", "dissemination-phishing-emails", "T1566"),
    ("Ransomware / files encrypted", "ransomware", "T1486"),
    ("Angriff auf Server oder Website / server or website attacked", "exploit-attempt",
     "T1190"),
    ("Passwörter durchprobiert / passwords guessed", "brute-force-attempt", "T1110"),
    ("Schadsoftware auf Rechnern / malware on computers", "infected-by-known-malware", ""),
    ("Dienst überlastet / service overloaded (DDoS)", "denial-of-service", "T1498"),
    ("Daten abgeflossen / data stolen", "data-exfiltration", ""),
    ("Etwas anderes / something else", "unspecified", ""),
)
TLP_HELP = ("clear = public, green = all member towns, amber = only towns that need it, "
            "amber+strict = only the hub's analysts and us, red = the hub's analysts only")


def _list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,\s]+", text) if part.strip()]


def ask(agent: Agent) -> tuple[Description, Path]:
    click.echo("Meldung eines Sicherheitsvorfalls / reporting a security incident "
               "(Enter keeps the suggestion in brackets)\n")
    title = click.prompt("Was ist passiert, in einem Satz? / What happened, in one sentence?")
    for number, (label, _, _) in enumerate(KINDS, 1):
        click.echo(f"  {number}. {label}")
    kind = click.prompt("Welche Art? / Which kind?", type=click.IntRange(1, len(KINDS)),
                        default=1)
    _, incident_type, technique = KINDS[kind - 1]
    detected = click.prompt("Wann bemerkt? / Noticed when? (YYYY-MM-DD HH:MM)",
                            default=datetime.now().strftime("%Y-%m-%d %H:%M"))
    confirmed = click.confirm("Ist sicher, dass es ein Angriff ist? / Is it certainly an "
                              "attack?", default=False)
    criticality = click.prompt("Wie schlimm? / How bad?",
                               type=click.Choice(["low", "medium", "high", "critical"]),
                               default="medium")
    addresses = _list(click.prompt("IP-Adressen der Angreifer / attacker IP addresses "
                                   "(comma separated)", default="", show_default=False))
    names = _list(click.prompt("Domains oder Links / domains or links", default="",
                               show_default=False))
    hashes = _list(click.prompt("SHA-256 verdächtiger Dateien / SHA-256 of suspicious files",
                                default="", show_default=False))
    senders = _list(click.prompt("Absender verdächtiger Mails / senders of suspicious mails",
                                 default="", show_default=False))
    summary = click.prompt("Kurze Beschreibung / short description", default="",
                           show_default=False)
    click.echo(f"TLP: {TLP_HELP}")
    level = click.prompt("Wer darf es sehen? / Who may see it?",
                         type=click.Choice(["clear", "green", "amber", "amber+strict", "red"]),
                         default=agent.settings.default_tlp)
    key = f"{datetime.now(timezone.utc):%Y%m%d-%H%M}-{incident_type}"
    data = {
        "incident": key, "stage": "early-warning", "title": title, "summary": summary,
        "detected": detected.replace(" ", "T"),
        "determination": "confirmed" if confirmed else "suspected", "status": "open",
        "criticality": criticality, "types": [incident_type],
        "detected_by": ["human-review"], "tlp": level,
        "observables": {
            "ipv4": [a for a in addresses if ":" not in a],
            "ipv6": [a for a in addresses if ":" in a],
            "domains": [n for n in names if "://" not in n],
            "urls": [n for n in names if "://" in n],
            "files": [{"sha256": h} for h in hashes],
            "email_addresses": senders,
        },
        "techniques": [technique] if technique else [],
    }
    data["observables"] = {k: v for k, v in data["observables"].items() if v}
    try:
        description = parse(data)
    except DescriptionError as exc:
        raise DescriptionError(f"the answers cannot be reported: {exc}") from None
    directory = agent.settings.home / "reports"
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = directory / f"{key}.yaml"
    path.write_text("# Written by `cyberhub-agent report --interactive`. For the next stage, "
                    "change `stage`\n# (notification, final) and what you learned, then run "
                    f"`cyberhub-agent report {path}`.\n"
                    + yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return description, path

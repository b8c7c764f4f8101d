"""`report --interactive`: the few questions a town's IT person can answer without knowing
STIX. The answers are saved as an ordinary description file, so the next reporting stage is
that file edited and reported again.

Each answer is checked at its prompt with the rules a description file gets
(`incident_fields`), so a wrong date is asked again at once instead of refusing the whole report
ten questions later. Each accepted answer is saved at once in a draft (mode 0600), so a session
cut short (Ctrl-C, a closed SSH connection) is continued by the next `report --interactive`,
which asks only what is missing. The CLI calls `finished()` once the report is queued; a draft
whose report was queued anyway is dropped when the next session starts.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import click
import yaml

from cyberhub.agent import incident_fields as fields
from cyberhub.agent.context import Agent
from cyberhub.agent.description import Description, DescriptionError, language_of, parse
from cyberhub.agent.incident_fields import FieldError
from cyberhub.core import messages, timestamps
from cyberhub.core.yaml_files import load_yaml

# (catalog label, STIX incident type, ATT&CK technique), in the order they are offered.
KINDS = (
    ("kind_phishing", "dissemination-phishing-emails", "T1566"),
    ("kind_ransomware", "ransomware", "T1486"),
    ("kind_exploit", "exploit-attempt", "T1190"),
    ("kind_brute_force", "brute-force-attempt", "T1110"),
    ("kind_malware", "infected-by-known-malware", ""),
    ("kind_ddos", "denial-of-service", "T1498"),
    ("kind_exfiltration", "data-exfiltration", ""),
    ("kind_other", "unspecified", ""),
)
_TECHNIQUES = {incident_type: technique for _, incident_type, technique in KINDS}
YES = ("j", "ja", "y", "yes")
NO = ("n", "nein", "no")


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in YES or word in NO:
        return word in YES
    raise FieldError("agent.questions.yes_no_invalid", value=value)


def _kind(value: Any) -> str:
    """A number from the list at the prompt; the incident type itself in the draft."""
    if value in _TECHNIQUES:
        return value
    text = str(value).strip()
    if text.isdigit() and 1 <= int(text) <= len(KINDS):
        return KINDS[int(text) - 1][1]
    raise FieldError("agent.questions.kind_invalid", value=value, last=len(KINDS))


def _detected(value: Any) -> str:
    # Kept with the machine's zone, as the person gave it, e.g. 2026-12-04T08:30:00+01:00.
    return fields.parse_detected(value).astimezone().isoformat(timespec="seconds")


def _criticality(value: Any) -> str | int:
    return fields.criticality_word(fields.parse_criticality(value))


def _name(value: Any) -> str:
    return fields.parse_url(value) if "://" in str(value) else fields.parse_domain(value)


def _hash(value: Any) -> str:
    return fields.parse_hash(value)[1]


# Each question's check, used for what is typed at its prompt and for what a draft holds.
SINGLE: dict[str, Callable[[Any], Any]] = {
    "title": fields.parse_title, "kind": _kind, "detected": _detected, "confirmed": _yes_no,
    "criticality": _criticality, "summary": lambda value: str(value).strip(),
    "tlp": fields.parse_tlp,
}
# Lists of observables: each value is checked alone, a wrong one is named and the rest kept.
LISTS: dict[str, Callable[[Any], str]] = {
    "addresses": fields.parse_ip, "names": _name, "hashes": _hash, "senders": fields.parse_email,
}
ORDER = ("title", "kind", "detected", "confirmed", "criticality", "addresses", "names",
         "hashes", "senders", "summary", "tlp")


def draft_path(agent: Agent) -> Path:
    # A directory of its own under drafts/: the collectors' drafts are drafts/*.yaml, each a
    # description that `status` counts and `report` reads; this one is neither.
    return agent.settings.drafts / "interactive" / "answers.yaml"


def finished(agent: Agent) -> None:
    """The report of the answers is queued: the draft is done with."""
    draft_path(agent).unlink(missing_ok=True)


def ask(agent: Agent, language: str | None = None) -> tuple[Description, Path]:
    """Ask what the draft does not hold yet; the description and the file it was saved in."""
    interview = _Interview(agent, language_of(language))
    click.echo(interview.text("intro") + "\n")
    interview.start()
    try:
        for name in ORDER:
            interview.answer(name)
    except click.Abort:
        click.echo("\n" + interview.text("interrupted"))
        raise
    return interview.finish()


def _write_private(path: Path, text: str) -> None:
    """Whole or not at all, readable only by the agent's user (mkstemp makes it 0600)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _comment(text: str) -> str:
    return "".join(f"# {line}\n" for line in text.splitlines())


class _Interview:
    def __init__(self, agent: Agent, language: str) -> None:
        self.agent, self.language = agent, language
        self.path = draft_path(agent)
        self.draft: dict[str, Any] = {
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "answers": {}, "partial": {}}

    def text(self, key: str, **values: Any) -> str:
        return messages.text(f"agent.questions.{key}", self.language, **values)

    def save(self) -> None:
        _write_private(self.path, _comment(self.text("draft_header"))
                       + yaml.safe_dump(self.draft, sort_keys=False, allow_unicode=True))

    def keep(self, name: str, value: Any) -> None:
        self.draft["answers"][name] = value
        self.draft["partial"].pop(name, None)
        self.save()

    # -- the draft of an earlier session

    def start(self) -> None:
        earlier = self._earlier()
        if earlier is None:
            return
        if earlier.get("incident") and self.agent.store.incident(earlier["incident"]):
            finished(self.agent)  # queued, but the CLI did not get to remove the draft
            return
        answered = sum(name in earlier["answers"] for name in ORDER)
        if not answered and not earlier["partial"]:
            return
        try:
            started = timestamps.datetime_to_us(datetime.fromisoformat(earlier["started"]))
        except (KeyError, TypeError, ValueError):
            started = None
        when = messages.moment(started, self.language)
        question = self.text("resume", when=when, answered=answered, total=len(ORDER))
        if self._confirm(question, default=True):
            self.draft = earlier
        else:
            finished(self.agent)
            click.echo(self.text("discarded"))

    def _earlier(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            earlier = load_yaml(self.path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            earlier = None
        if not (isinstance(earlier, dict) and isinstance(earlier.get("answers"), dict)
                and isinstance(earlier.get("partial", {}), dict)):
            click.echo(self.text("unreadable_draft", path=self.path))
            return None
        earlier.setdefault("partial", {})
        return earlier

    # -- the questions

    def answer(self, name: str) -> None:
        answers = self.draft["answers"]
        if name in answers:
            try:  # a draft is a file: it may have been edited, or the rules changed
                answers[name] = self._check(name, answers[name])
                return
            except FieldError as exc:
                click.echo(self.text("stored_refused", question=self._question(name),
                                     reason=exc.text(self.language)))
        getattr(self, f"_ask_{name}", lambda: self._ask_single(name))()

    def _check(self, name: str, value: Any) -> Any:
        if name in LISTS:
            return [LISTS[name](item) for item in fields.as_list(value)]
        return SINGLE[name](value)

    def _question(self, name: str) -> str:
        return self.text("kinds" if name == "kind" else name, zone=_zone())

    def _prompt(self, text: str, default: str | None) -> str:
        # Without a default, click asks again on an empty answer; "" allows an empty one.
        return click.prompt(text, default=default, show_default=bool(default))

    def _refused(self, error: FieldError) -> None:
        click.echo(self.text("refused", reason=error.text(self.language)))

    def _ask_single(self, name: str, default: str | None = None) -> Any:
        if name in LISTS:
            return self._ask_list(name)
        text = self._question(name) if name != "kind" else self.text("kind")
        while True:
            try:
                value = SINGLE[name](self._prompt(text, default))
            except FieldError as exc:
                self._refused(exc)
                continue
            self.keep(name, value)
            return value

    def _ask_list(self, name: str) -> list[str]:
        try:
            kept: list[str] = self._check(name, self.draft["partial"].get(name, []))
        except FieldError:  # an edited draft: ask for the whole list again
            kept = []
        text = self._question(name) if not kept else self.text("more")
        if kept:
            click.echo(self.text("kept", values=", ".join(kept)))
        while True:
            refused = []
            for word in _words(self._prompt(text, "")):
                try:
                    value = LISTS[name](word)
                except FieldError as exc:
                    refused.append(exc)
                    continue
                if value not in kept:
                    kept.append(value)
            if not refused:
                self.keep(name, kept)
                return kept
            self.draft["partial"][name] = kept
            self.save()
            for error in refused:
                self._refused(error)
            if kept:
                click.echo(self.text("kept", values=", ".join(kept)))
            text = self.text("more")

    def _ask_kind(self) -> None:
        click.echo(self.text("kinds"))
        for number, (label, _, _) in enumerate(KINDS, 1):
            click.echo(f"  {number}. {self.text(label)}")
        self._ask_single("kind", "1")

    def _ask_detected(self) -> None:
        now = datetime.now().astimezone().strftime("%d.%m.%Y %H:%M")
        value = self._ask_single("detected", now)
        when = fields.parse_detected(value).astimezone().strftime("%d.%m.%Y %H:%M %Z")
        click.echo(self.text("detected_read", when=when))

    def _ask_confirmed(self) -> None:
        self.keep("confirmed", self._confirm(self.text("confirmed"), default=False))

    def _ask_criticality(self) -> None:
        self._ask_single("criticality", self.text("criticality_default"))

    def _ask_summary(self) -> None:
        self._ask_single("summary", "")

    def _ask_tlp(self) -> None:
        click.echo(self.text("tlp_help"))
        self._ask_single("tlp", self.agent.settings.default_tlp)

    def _confirm(self, question: str, *, default: bool) -> bool:
        """A yes/no question that takes j/ja/n/nein as well as y/yes/no (click.confirm would
        show [y/N] and refuse "j")."""
        suffix = self.text("yes_default" if default else "no_default")
        while True:
            answer = self._prompt(f"{question} {suffix}", "")
            if not answer.strip():
                return default
            try:
                return _yes_no(answer)
            except FieldError as exc:
                self._refused(exc)

    # -- the report

    def finish(self) -> tuple[Description, Path]:
        answers = self.draft["answers"]
        key = self.draft.get("incident") or (
            f"{datetime.now(timezone.utc):%Y%m%d-%H%M}-{answers['kind']}")
        data = _description(key, answers)
        try:
            description = parse(data, language=self.language)
        except DescriptionError as exc:
            raise DescriptionError(self.text("not_reportable", reason=exc)) from None
        directory = self.agent.settings.home / "reports"
        path = directory / f"{key}.yaml"
        _write_private(path, _comment(self.text("file_header", path=path))
                       + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
        self.draft.update(incident=key, file=str(path))
        self.save()
        return description, path


def _words(text: str) -> list[str]:
    return [word for word in text.replace(",", " ").replace(";", " ").split() if word]


def _zone() -> str:
    return datetime.now().astimezone().strftime("%Z")


def _description(key: str, answers: dict[str, Any]) -> dict[str, Any]:
    """The description file of the answers."""
    addresses, names = answers["addresses"], answers["names"]
    technique = _TECHNIQUES[answers["kind"]]
    observables = {
        "ipv4": [a for a in addresses if ":" not in a],
        "ipv6": [a for a in addresses if ":" in a],
        "domains": [n for n in names if "://" not in n],
        "urls": [n for n in names if "://" in n],
        "files": [dict([fields.parse_hash(h)]) for h in answers["hashes"]],
        "email_addresses": answers["senders"],
    }
    return {
        "incident": key, "stage": "early-warning", "title": answers["title"],
        "summary": answers["summary"], "detected": answers["detected"],
        "determination": "confirmed" if answers["confirmed"] else "suspected",
        "status": "open", "criticality": answers["criticality"], "types": [answers["kind"]],
        "detected_by": ["human-review"], "tlp": answers["tlp"],
        "observables": {name: values for name, values in observables.items() if values},
        "techniques": [technique] if technique else [],
    }

"""One field of an incident description, checked alone: the rules a description file
(`description.py`) and the questions of `report --interactive` (`questions.py`) share, so that a
file and a prompt accept the same values, German or English, and refuse the same ones with the
same reason.

Each `parse_*` function takes what a person wrote and returns the value in its one stored form,
or raises `FieldError`, whose text (from the catalog, German unless English is asked for) names
the value and what is wrong with it.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from cyberhub.agent.blocklists import normalise_domain, normalise_url
from cyberhub.core import messages, tlp

# Each English value with the German words for it that people write.
STAGES = {
    "early-warning": ("frühwarnung", "fruehwarnung", "erstmeldung"),
    "notification": ("meldung", "vorfallmeldung"),
    "final": ("abschlussmeldung", "abschlussbericht"),
    "update": ("aktualisierung", "zwischenmeldung"),
}
DETERMINATIONS = {
    "suspected": ("vermutet", "verdacht"),
    "confirmed": ("bestätigt", "bestaetigt"),
    "blocked": ("abgewehrt", "blockiert"),
    "failed-attempt": ("fehlversuch",),
    "false-positive": ("fehlalarm",),
}
STATUSES = {"new": ("neu",), "open": ("offen", "in-bearbeitung"),
            "closed": ("abgeschlossen", "geschlossen")}
# Appendix B of the incident-core extension: a five-level scale onto 0-100.
CRITICALITY = {"low": 15, "medium": 40, "high": 70, "critical": 95}
CRITICALITY_WORDS = {"niedrig": "low", "gering": "low", "moderate": "medium",
                     "mittel": "medium", "hoch": "high", "extreme": "critical",
                     "kritisch": "critical", "sehr-hoch": "critical"}
# TLP labels stay English in FIRST's German translation; these are what people say anyway.
TLP_WORDS = {"grün": "green", "gruen": "green", "gelb": "amber", "rot": "red"}
HASHES = {"md5": ("MD5", 32), "sha1": ("SHA-1", 40), "sha256": ("SHA-256", 64),
          "sha512": ("SHA-512", 128)}
# A clock a few minutes ahead, or "now" typed to the minute, is not a date in the future.
FUTURE_TOLERANCE = timedelta(minutes=5)

_TECHNIQUE = re.compile(r"^T\d{4}(\.\d{3})?$")
_CVE = re.compile(r"^CVE-\d{4}-\d{4,}$")
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_HEX = re.compile(r"^[0-9a-f]+$")
# German dates as people write them: 04.12.2026, 4.12.2026 8:30, 04.12.2026, 08:30 Uhr. The
# time may use a dot (8.30 Uhr). Two-digit years are refused: "04.12.26" reads two ways.
_TIME = r"(?:um\s+)?(\d{1,2})[:.](\d{2})(?::(\d{2}))?(?:\s*uhr)?"
_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:(?:,\s*|\s+)" + _TIME + ")?$")
_RELATIVE_DATE = re.compile(r"^(heute|gestern|today|yesterday),?\s+" + _TIME + "$")
_TIME_ONLY = re.compile(r"^" + _TIME + "$")


class FieldError(ValueError):
    """A value a person wrote is not one the field takes; `text(language)` says why."""

    def __init__(self, key: str, **values: Any) -> None:
        self.key, self.values = key, values
        super().__init__(self.text(messages.DEFAULT))

    def text(self, language: str) -> str:
        return messages.text(self.key, language, **self.values)


def _error(name: str, **values: Any) -> FieldError:
    return FieldError(f"agent.description.{name}", **values)


def _text(value: Any) -> str:
    """A text field's value; a number is text too, but null, a list or a mapping are not."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise _error("not_text")
    return str(value)


def _word(value: Any) -> str:
    return str(value).strip().lower().replace(" ", "-").replace("_", "-")


def _vocabulary(value: Any, table: dict[str, tuple[str, ...]], name: str) -> str:
    text = _word(value)
    for english, german in table.items():
        if text == english or text in german:
            return english
    choices = ", ".join(f"{german[0]} ({english})" for english, german in table.items())
    raise _error(name, value=value, choices=choices)


def parse_stage(value: Any) -> str:
    return _vocabulary(value, STAGES, "stage")


def parse_determination(value: Any) -> str:
    return _vocabulary(value, DETERMINATIONS, "determination")


def parse_status(value: Any) -> str:
    return _vocabulary(value, STATUSES, "status")


def parse_criticality(value: Any) -> int:
    """A word (hoch, high) or a number from 0 to 100 → the number."""
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= 100:
            return value
    elif isinstance(value, str):
        word = _word(value)
        word = CRITICALITY_WORDS.get(word, word)
        if word in CRITICALITY:
            return CRITICALITY[word]
        if word.isdigit() and int(word) <= 100:
            return int(word)
    raise _error("criticality", value=value)


def criticality_word(number: int) -> str | int:
    """The English word of a level on the scale, or the number when it is between two."""
    return next((word for word, level in CRITICALITY.items() if level == number), number)


def parse_tlp(value: Any) -> str:
    text = str(value).strip().lower().removeprefix("tlp:")
    found = tlp.level(TLP_WORDS.get(text, text))
    if found is None:
        raise _error("tlp", value=value, choices=", ".join(tlp.LEVELS))
    return found


def parse_incident_key(value: Any) -> str:
    if not isinstance(value, str) or not _KEY.match(value):
        raise _error("incident_key")
    return value


def parse_title(value: Any) -> str:
    text = _text(value).strip()
    if not text or len(text) > 300:
        raise _error("title")
    return text


def parse_detected(value: Any, now: datetime | None = None) -> datetime:
    """When the incident was noticed, with its time zone. What has no zone is the local time of
    this machine (a German town's server: Europe/Berlin), as the person read it off a clock.
    Accepted: German dates (04.12.2026 08:30, 4.12.2026 8:30, 04.12.2026), heute/gestern 08:30,
    a time alone (today), ISO 8601 (2026-12-04 08:30, 2026-12-04T08:30:00Z), and the date and
    datetime values YAML itself reads. A time in the future is refused."""
    moment = _moment(value)
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the machine's zone, with its summer time on that day
    now = now or datetime.now(timezone.utc)
    if moment > now + FUTURE_TOLERANCE:
        when = moment.astimezone().strftime("%d.%m.%Y %H:%M %Z")
        raise _error("future", value=_shown(value), when=when)
    return moment


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time())
    if not isinstance(value, str):
        raise _error("date", value=_shown(value))
    text = " ".join(value.strip().lower().split())
    try:
        if found := _GERMAN_DATE.match(text):
            day, month, year = (int(found.group(i)) for i in (1, 2, 3))
            return datetime.combine(date(year, month, day), _clock(found.groups()[3:]))
        if found := _RELATIVE_DATE.match(text):
            today = datetime.now().astimezone().date()
            if found.group(1) in ("gestern", "yesterday"):
                today -= timedelta(days=1)
            return datetime.combine(today, _clock(found.groups()[1:]))
        if found := _TIME_ONLY.match(text):
            return datetime.combine(datetime.now().astimezone().date(), _clock(found.groups()))
        if re.match(r"^\d{4}-\d{2}-\d{2}", text):
            return datetime.fromisoformat(text.upper())
    except ValueError:  # 31.02.2026, 25:00: the form is right, the day or time does not exist
        pass
    raise _error("date", value=value)


def _clock(parts: tuple[str | None, ...]) -> time:
    hour, minute, second = parts
    if hour is None:
        return time()
    return time(int(hour), int(minute), int(second or 0))


def parse_ip(value: Any, version: int | None = None) -> str:
    """An IPv4 or IPv6 address or network (`version` asks for one of them) → its plain form."""
    try:
        network = ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        network = None
    if network is None or (version is not None and network.version != version):
        raise _error(f"ipv{version}" if version else "ip", value=value)
    full = 32 if network.version == 4 else 128
    return str(network.network_address) if network.prefixlen == full else str(network)


def parse_domain(value: Any) -> str:
    name = normalise_domain(str(value))
    if name is None:
        raise _error("domain", value=value)
    return name


def parse_url(value: Any) -> str:
    url = normalise_url(str(value))
    if url is None:
        raise _error("url", value=value)
    return url


def parse_email(value: Any) -> str:
    text = str(value).strip()
    if not _EMAIL.match(text):
        raise _error("email", value=value)
    return text.lower()


def parse_hash(value: Any, kind: str | None = None) -> tuple[str, str]:
    """A file hash in hex → (md5|sha1|sha256|sha512, lower-case hex). Without `kind` the length
    says which it is (they all differ)."""
    text = str(value).strip().lower()
    if kind is not None:
        length = HASHES[kind][1]
        if len(text) != length or not _HEX.match(text):
            raise _error("hash_length", length=length)
        return kind, text
    for name, (_, length) in HASHES.items():
        if len(text) == length and _HEX.match(text):
            return name, text
    raise _error("hash", value=value)


def parse_subject(value: Any) -> str:
    text = _text(value)
    if not text.strip() or len(text) > 500:
        raise _error("subject")
    return text


def parse_vocabulary_value(value: Any) -> str:
    """An open-vocabulary value (incident types, detection methods): lower case with '-'."""
    text = _word(value)
    if not re.fullmatch(r"[a-z0-9&+-]{1,100}", text):
        raise _error("vocabulary_value", value=value)
    return text


def parse_technique(value: Any) -> str:
    text = str(value).strip().upper()
    if not _TECHNIQUE.match(text):
        raise _error("technique", value=text)
    return text


def parse_cve(value: Any) -> str:
    text = str(value).strip().upper()
    if not _CVE.match(text):
        raise _error("cve", value=text)
    return text


def parse_malware(value: Any) -> str:
    text = _text(value).strip()
    if not text or len(text) > 200:
        raise _error("malware")
    return text


def as_list(values: Any) -> list[Any]:
    """A list field: one value alone counts as a list of one."""
    if values is None:
        return []
    if isinstance(values, (str, int, float)):
        return [values]
    if not isinstance(values, list):
        raise _error("not_list")
    return values

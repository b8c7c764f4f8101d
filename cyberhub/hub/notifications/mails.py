"""The mail for each event: subject and plain-text body in the configured language, from the
console's catalog. No town names, no advisory title above TLP:GREEN (see the package)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.core import messages
from cyberhub.hub.notifications import events
from cyberhub.hub.settings import Settings
from cyberhub.hub.storage.models import Account, Advisory, CampaignRecord

SHOWN_TITLE = ("clear", "green")
SHOWN_LANDS = 3  # in a subject; the body names them all


@dataclass(frozen=True)
class Mail:
    kind: str  # campaign, advisory-waiting, unacknowledged, test (the X-Cyberhub-Event header)
    keys: tuple[str, ...]  # the events it reports
    subject: str  # without the "[cyberhub]" prefix
    body: str


class Writer:
    """The mail texts in one language, from the catalog."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.language = settings.mail_language

    def t(self, key: str, **values: Any) -> str:
        return messages.text(f"mail.{key}", self.language, **values)

    def number(self, value: float) -> str:
        return messages.number(value, self.language)

    def moment(self, us: int | None) -> str:
        return messages.moment(us, self.language)

    def lands(self, codes: list[str], limit: int | None = None) -> str:
        names = sorted(messages.label("land", code, self.language) for code in set(codes))
        if limit is not None and len(names) > limit:
            return self.t("more", names=", ".join(names[:limit]), more=len(names) - limit)
        return ", ".join(names) or "–"

    def link(self, path: str) -> str:
        return f"{self.settings.base_url}/console/{path}"

    def body(self, intro: str, fields: list[tuple[str, str]], link: str | None) -> str:
        width = max((len(self.t(name)) for name, _ in fields), default=0) + 1
        lines = [intro, ""]
        lines += [f"{self.t(name) + ':':<{width}} {value}" for name, value in fields]
        if link:
            lines += ["", self.t("link"), link]
        lines += ["", "-- ", self.t("footer", hub=self.settings.title,
                                     url=self.settings.base_url)]
        return "\n".join(lines) + "\n"

    def title(self, content: str | None, marking: str | None) -> str:
        """The title of the advisory document `content`, if its TLP lets it into a mail."""
        if marking not in SHOWN_TITLE or not content:
            return self.t("title_withheld", tlp=tlp(marking))
        titles = json.loads(content).get("title", {})
        return titles.get(self.language) or titles.get("de") or "–"

    def severity(self, value: str) -> str:
        return messages.label("mail.severities", value, self.language)


def level(name: str | None) -> str:
    return (name or "?").upper()


def tlp(name: str | None) -> str:
    return f"TLP:{level(name)}"


def defanged(value: str) -> str:
    """An indicator as CERTs write it in mail: no mail program turns it into a link."""
    return value.replace("http", "hxxp").replace(".", "[.]")


def campaign(writer: Writer, key: str, record: CampaignRecord) -> Mail:
    explained = json.loads(record.explanation)
    lands = [town["land"] for town in explained.get("towns", [])]
    top = explained["evidence"][0] if explained.get("evidence") else None
    evidence = (f"{top['kind']} {defanged(top['key'].split(':', 1)[1])} "
                f"({writer.t('shared_by', towns=top['towns'])})") if top else "–"
    fields = [
        ("campaign", record.id), ("towns", writer.number(record.towns)),
        ("lands", writer.lands(lands)), ("evidence", evidence),
        ("score", writer.number(round(record.score, 1))),
        ("period", writer.t("period_value", start=writer.moment(record.first_seen),
                            end=writer.moment(record.last_seen)))]
    subject = writer.t("campaign_subject", towns=record.towns,
                       lands=writer.lands(lands, SHOWN_LANDS))
    return Mail("campaign", (key,), subject,
                writer.body(writer.t("campaign_intro", towns=record.towns), fields,
                            writer.link(f"campaigns/{record.id}")))


def waiting(session: Session, writer: Writer, key: str, advisory: Advisory) -> Mail:
    author = session.scalar(select(Account.username).where(Account.id == advisory.author_id))
    fields = [
        ("advisory", advisory.id), ("revision", str(advisory.revision)),
        ("title", writer.title(advisory.content, advisory.tlp)), ("tlp", level(advisory.tlp)),
        ("severity", writer.severity(advisory.severity)), ("author", author or "–"),
        ("updated", writer.moment(advisory.updated))]
    subject = writer.t("waiting_subject", tlp=tlp(advisory.tlp),
                       severity=writer.severity(advisory.severity))
    return Mail("advisory-waiting", (key,), subject,
                writer.body(writer.t("waiting_intro"), fields,
                            writer.link(f"advisories/{advisory.id}")))


def unacknowledged(writer: Writer, advisory: Advisory, rows: list[Any]) -> Mail:
    """One mail per advisory version, for all of its towns that have not acknowledged."""
    hours = writer.settings.mail_unacknowledged_hours
    by_land = Counter(row.land for row in rows)
    counts = ", ".join(f"{messages.label('land', land, writer.language)} "
                       f"{writer.number(count)}" for land, count in sorted(by_land.items()))
    fields = [
        ("advisory", advisory.id), ("version", advisory.published_version or "–"),
        ("title", writer.title(advisory.published_content, advisory.published_tlp)),
        ("tlp", level(advisory.published_tlp)),
        ("published", writer.moment(advisory.published_at)),
        ("missing", counts)]
    subject = writer.t("unacknowledged_subject", count=len(rows), hours=hours)
    return Mail("unacknowledged", tuple(row.key for row in rows), subject,
                writer.body(writer.t("unacknowledged_intro", count=len(rows), hours=hours),
                            fields, writer.link(f"advisories/{advisory.id}")))


def due(session: Session, settings: Settings, now: int) -> list[Mail]:
    """A mail for every event not mailed yet (nor claimed): campaigns, drafts, towns."""
    writer = Writer(settings)
    found = [campaign(writer, row.key, row.CampaignRecord)
             for row in events.campaigns(session, now)]
    found += [waiting(session, writer, row.key, row.Advisory)
              for row in events.waiting(session, now)]
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in events.unacknowledged(session, now, settings.mail_unacknowledged_hours):
        groups.setdefault((row.Advisory.id, row.Advisory.published_version), []).append(row)
    found += [unacknowledged(writer, rows[0].Advisory, rows) for rows in groups.values()]
    return found


def test(settings: Settings) -> Mail:
    writer = Writer(settings)
    server = f"{settings.mail_host}:{settings.effective_mail_port} ({settings.mail_security})"
    return Mail("test", (), writer.t("test_subject"),
                writer.body(writer.t("test_intro", to=", ".join(settings.mail_to)),
                            [("server", server)], None))

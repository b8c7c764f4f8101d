"""Making one export: the selection a reader may have (`sources`), the indicators in force
among it (unless all are asked for), rendered in one format. The command line and the web
endpoints call `export` and only parse and serialise around it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session

from cyberhub.hub.exports import agent_files, misp, sources, suricata, tables
from cyberhub.hub.exports.sources import ExportError, Reader, Selection
from cyberhub.hub.exports.values import in_force

TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Format:
    media_type: str
    suffix: str
    render: Callable[[list[dict[str, Any]], Selection, "Options"], str]


@dataclass(frozen=True)
class Options:
    now_us: int
    include_expired: bool = False
    sid_base: int = suricata.DEFAULT_SID_BASE


@dataclass(frozen=True)
class Export:
    content: str
    media_type: str
    filename: str
    indicators: int


def _list(name: str) -> Format:
    return Format(TEXT, ".txt", lambda found, _s, _o: tables.render_list(found, name))


def _agent(name: str) -> Format:
    suffix = "." + agent_files.FILES[name].rsplit(".", 1)[1]
    return Format(TEXT, suffix, lambda found, selection, options: agent_files.render(
        found, name, now_us=options.now_us, source=selection.title))


FORMATS: dict[str, Format] = {
    "misp": Format("application/json", ".misp.json", lambda found, selection, _o: misp.render(
        found, key=selection.key, title=f"cyberhub: {selection.title}")),
    "csv": Format("text/csv; charset=utf-8", ".csv",
                  lambda found, _s, _o: tables.render_csv(found)),
    **{name: _list(name) for name in tables.LISTS},
    "suricata": Format(TEXT, ".rules", lambda found, selection, options: suricata.render(
        found, sid_base=options.sid_base, source=selection.title)),
    **{name: _agent(name) for name in agent_files.FILES},
}
SOURCES = {"collection": sources.collection, "campaign": sources.campaign,
           "advisory": sources.advisory}


def export(session: Session, reader: Reader, kind: str, name: str, format_name: str,
           options: Options) -> Export:
    """The export of a collection, campaign or advisory `name` in a format; ExportError when
    this reader may not have it or it cannot be made."""
    chosen = FORMATS.get(format_name)
    if chosen is None:
        raise ExportError(404, "unknown-format", f"no export format {format_name[:40]!r}; "
                          f"one of {', '.join(FORMATS)}")
    selection = SOURCES[kind](session, reader, name)
    found = [indicator for indicator in selection.indicators
             if options.include_expired or in_force(indicator, options.now_us)]
    found.sort(key=lambda indicator: str(indicator.get("id")))
    try:
        content = chosen.render(found, selection, options)
    except suricata.RuleError as exc:
        raise ExportError(400, "bad-sid-base", str(exc)) from None
    except misp.MispError as exc:
        raise ExportError(422, "cannot-convert", str(exc)) from None
    filename = f"cyberhub-{selection.kind}-{selection.name}{chosen.suffix}"
    return Export(content, chosen.media_type, filename, len(found))

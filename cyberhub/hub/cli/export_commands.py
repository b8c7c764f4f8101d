"""`cyberhub export`: the indicators of a collection, a campaign or an advisory in a format
that MISP, a firewall, a resolver or an IDS takes. The work is done by
`cyberhub.hub.exports.service`, as for the web endpoints.

With `--as NAME` the export is made with that account's rights, exactly as its TAXII reads and
`/exports/...` would be (the password from CYBERHUB_PASSWORD or asked for); without it, as the
hub's operator, who reads everything.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import accounts
from cyberhub.hub.cli.common import handle_errors, open_database, password_for
from cyberhub.hub.exports import service, sources, suricata


def _options(func: Any) -> Any:
    for option in reversed((
        click.option("--format", "format_name", required=True,
                     type=click.Choice(list(service.FORMATS)), help="What to write."),
        click.option("--output", type=click.Path(dir_okay=False, path_type=Path),
                     help="Write to this file (replaced whole) instead of standard output."),
        click.option("--as", "actor", metavar="NAME",
                     help="Export with this account's rights; the password comes from "
                     "CYBERHUB_PASSWORD or is asked for."),
        click.option("--all", "include_expired", is_flag=True,
                     help="Also revoked and expired indicators (the agent's blocklist "
                     "formats never hold them)."),
        click.option("--sid-base", type=click.IntRange(1, suricata.MAX_SID),
                     default=suricata.DEFAULT_SID_BASE, show_default=True,
                     help="The first Suricata sid."),
        json_option,
    )):
        func = option(func)
    return func


def _write(path: Path, content: str) -> None:
    """The whole file or none of it: written beside the target, then renamed over it."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _run(kind: str, name: str, format_name: str, output: Path | None, actor: str | None,
         include_expired: bool, sid_base: int, as_json: bool) -> None:
    if as_json and output is None:
        raise CommandError("--json describes what --output wrote; without --output the "
                           "export itself is the output")
    password = password_for(actor) if actor is not None else None
    _, db = open_database()
    try:
        with db.session() as session:
            reader = sources.OPERATOR
            if actor is not None:
                principal = accounts.authenticate(session, actor, password or "",
                                                  accounts.CredentialCache())
                if principal is None:
                    raise CommandError(f"wrong password for {actor[:100]!r}, or no such "
                                       "enabled account")
                reader = sources.reader(session, principal)
            options = service.Options(now_us=timestamps.now_us(),
                                      include_expired=include_expired, sid_base=sid_base)
            try:
                made = service.export(session, reader, kind, name, format_name, options)
            except sources.ExportError as exc:
                raise CommandError(str(exc)) from None
    finally:
        db.dispose()
    if output is None:
        click.echo(made.content, nl=False)
        return
    _write(output, made.content)
    data = {"source": kind, "name": name, "format": format_name, "output": str(output),
            "indicators": made.indicators, "bytes": len(made.content.encode("utf-8"))}
    emit(as_json, data, lambda d: click.echo(
        f"{d['indicators']} indicators of {kind} {name} written to {d['output']} as "
        f"{format_name}"))


@click.group("export")
def export_group() -> None:
    """Indicators for MISP, firewalls, resolvers and IDS (only those in force, unless --all)."""


@export_group.command("collection")
@click.argument("alias")
@_options
@handle_errors
def export_collection(alias: str, **options: Any) -> None:
    """The indicators of the collection ALIAS (e.g. indicators, advisories)."""
    _run("collection", alias, **options)


@export_group.command("campaign")
@click.argument("campaign_id")
@_options
@handle_errors
def export_campaign(campaign_id: str, **options: Any) -> None:
    """The values a campaign's shared evidence names (see `cyberhub campaigns show`)."""
    _run("campaign", campaign_id, **options)


@export_group.command("advisory")
@click.argument("advisory_id")
@_options
@handle_errors
def export_advisory(advisory_id: str, **options: Any) -> None:
    """The published indicators of an advisory."""
    _run("advisory", advisory_id, **options)


COMMANDS = (export_group,)

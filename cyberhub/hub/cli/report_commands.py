"""`cyberhub reports`: the towns' reports from the command line; for now, answering the town
that sent one. The work is done by `cyberhub.hub.answers`, as in the console."""

from __future__ import annotations

from typing import Any

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import accounts, answers
from cyberhub.hub.cli.common import as_option, handle_errors, open_database, open_hub, password_for


@click.group("reports")
def reports_group() -> None:
    """The towns' incident reports, and the answers sent to them."""


@reports_group.command("answer")
@click.argument("incident_id")
@click.option("--text", help="The answer (at most 5,000 characters).")
@click.option("--file", "path", type=click.File(encoding="utf-8"),
              help="Read the answer from this file ('-': standard input).")
@as_option
@json_option
@handle_errors
def reports_answer(incident_id: str, text: str | None, path: Any, actor: str,
                   as_json: bool) -> None:
    """Answer the town that reported INCIDENT_ID: a hub-signed STIX note only that town (and
    the analysts) can read; its agent shows it with `cyberhub-agent answers`."""
    if (text is None) == (path is None):
        raise CommandError("give the answer with --text TEXT or --file PATH (one of them)")
    if path is not None:
        text = path.read(answers.MAX_TEXT * 4 + 1)
    hub = open_hub()
    password = password_for(actor)
    try:
        with hub.db.writing() as session:
            person = accounts.check_password(session, actor, password)
            data = answers.send(session, person, incident_id, text, signer=hub.signer,
                                now=timestamps.now_us())
    except answers.AnswerError as exc:
        raise CommandError(f"{exc.field}: {exc}") from None
    finally:
        hub.close()
    data["at"] = timestamps.format_us(data["at"])
    emit(as_json, data, lambda d: click.echo(
        f"answer {d['id']} sent to {d['town']} about {d['incident']}; its agent shows it with "
        "`cyberhub-agent answers`"))


@reports_group.command("answers")
@click.argument("incident_id")
@json_option
@handle_errors
def reports_answers(incident_id: str, as_json: bool) -> None:
    """The answers sent to the town about INCIDENT_ID, oldest first."""
    _, db = open_database()
    try:
        with db.session() as session:
            data = answers.listing(session, incident_id)
    finally:
        db.dispose()
    for row in data:
        row["at"] = timestamps.format_us(row["at"])

    def human(rows: list[dict[str, Any]]) -> None:
        if not rows:
            click.echo("no answers sent about this report")
        for row in rows:
            click.echo(f"{row['at']}  {row['author']} to {row['town']}:")
            for line in row["text"].splitlines():
                click.echo(f"  {line}")

    emit(as_json, data, human)


COMMANDS = (reports_group,)

"""`cyberhub audit`: the audit log, with the filters of the console's Protokoll page
(`cyberhub.hub.audit.parse` and `page` serve both)."""

from __future__ import annotations

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import audit
from cyberhub.hub.cli.common import handle_errors, open_database


@click.command("audit")
@click.option("--actor", help="Only what this account (or `cli`, `hub`) did.")
@click.option("--action", help="Only actions beginning with this, e.g. `account.`.")
@click.option("--subject", help="Only entries whose subject contains this text.")
@click.option("--since", metavar="DATE", help="From this day (YYYY-MM-DD or DD.MM.YYYY).")
@click.option("--until", metavar="DATE", help="Up to and including this day.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@handle_errors
def audit_log(actor: str | None, action: str | None, subject: str | None, since: str | None,
              until: str | None, limit: int, as_json: bool) -> None:
    """The audit log: who did what, when; the newest LIMIT entries, oldest first."""
    filters, errors = audit.parse({"actor": actor, "action": action, "subject": subject,
                                   "since": since, "until": until})
    if errors:
        field, code = next(iter(errors.items()))
        raise CommandError(f"--{field} {audit.REASONS[code]}")
    _, db = open_database()
    with db.session() as session:
        rows, _ = audit.page(session, filters, limit=limit)
    data = [{**row, "at": timestamps.format_us(row["at"])} for row in reversed(rows)]
    emit(as_json, data, lambda rows: click.echo("\n".join(
        f"{r['at'][:19].replace('T', ' ')}  {r['actor']:<14} {r['action']:<26} {r['subject']}"
        for r in rows) if rows else "no entry in the audit log matches"))


COMMANDS = (audit_log,)

"""`cyberhub campaigns`: what the correlation engine found across towns, and why."""

from __future__ import annotations

import time

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub.advisories import lifecycle
from cyberhub.hub.cli.common import (
    as_option,
    handle_errors,
    open_database,
    open_hub,
    password_for,
)
from cyberhub.hub.correlation import report, verdicts


@click.group("campaigns")
def campaigns_group() -> None:
    """Campaigns the correlation engine found across towns."""


@campaigns_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include merged and withdrawn ones.")
@json_option
@handle_errors
def campaigns_list(show_all: bool, as_json: bool) -> None:
    """Campaigns, newest activity first."""
    _, db = open_database()
    with db.session() as session:
        data = report.summaries(session, include_inactive=show_all)

    def human(rows: list[dict]) -> None:
        if not rows:
            click.echo("no campaigns found")
        for row in rows:
            click.echo(f"{row['id']}  {row['state']:<9} {row['towns']:>3} towns  score "
                       f"{row['score']:<7} {row['first_seen'][:10]}..{row['last_seen'][:10]}  "
                       f"{row['top_evidence']}")

    emit(as_json, data, human)


@campaigns_group.command("show")
@click.argument("campaign_id")
@json_option
@handle_errors
def campaigns_show(campaign_id: str, as_json: bool) -> None:
    """Why a campaign was flagged: towns, shared evidence, score, timeline."""
    _, db = open_database()
    with db.session() as session:
        data = report.detail(session, campaign_id)
    if data is None:
        raise CommandError(f"no campaign {campaign_id!r}; see `cyberhub campaigns list`")
    emit(as_json, data, lambda d: click.echo(report.render(d)))


def _judge(campaign_id: str, verdict: str, note: str, actor: str, as_json: bool) -> None:
    _, db = open_database()
    with db.writing() as session:
        person = lifecycle.account(session, actor, password_for(actor))
        try:
            data = verdicts.judge(session, person, campaign_id, verdict, note,
                                  now=timestamps.now_us())
        except verdicts.VerdictError as exc:
            raise CommandError(str(exc)) from None
    emit(as_json, data, lambda d: click.echo(f"{d['id']} {d['verdict']} by {d['by']}"))


@campaigns_group.command("confirm")
@click.argument("campaign_id")
@click.option("--note", default="", help="Why (shown with the verdict).")
@as_option
@json_option
@handle_errors
def campaigns_confirm(campaign_id: str, note: str, actor: str, as_json: bool) -> None:
    """Confirm a campaign: an analyst's verdict that it is a real wave."""
    _judge(campaign_id, "confirmed", note, actor, as_json)


@campaigns_group.command("dismiss")
@click.argument("campaign_id")
@click.option("--note", required=True, help="Why it is a false alarm.")
@as_option
@json_option
@handle_errors
def campaigns_dismiss(campaign_id: str, note: str, actor: str, as_json: bool) -> None:
    """Dismiss a campaign as a false alarm: no advisory from it, and the same evidence does
    not raise it again (new evidence does)."""
    _judge(campaign_id, "dismissed", note, actor, as_json)


@campaigns_group.command("rescan")
@json_option
@handle_errors
def campaigns_rescan(as_json: bool) -> None:
    """Run the full correlation pass now (the scheduler runs it every hour)."""
    hub = open_hub()
    started = time.monotonic()
    rows, written = hub.correlator.full_pass(hub.db)
    data = {"index_rows": rows, "campaigns_written": written,
            "seconds": round(time.monotonic() - started, 2)}
    emit(as_json, data, lambda d: click.echo(
        f"full pass over {d['index_rows']} index rows in {d['seconds']} s; "
        f"{len(d['campaigns_written'])} campaign(s) written"))


COMMANDS = (campaigns_group,)

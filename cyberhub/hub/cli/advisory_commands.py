"""`cyberhub advisories`: the advisory lifecycle from the command line, and `cyberhub audit`.

Steps that change an advisory are taken as a person (`--as NAME`, password from
CYBERHUB_PASSWORD or asked for), so the audit log and the four-eyes rule name who really
acted. The work itself is done by `cyberhub.hub.advisories.lifecycle`.
"""

from __future__ import annotations

from typing import Any

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub.advisories import delivery, document, drafting, lifecycle
from cyberhub.hub.cli.common import (
    as_option,
    handle_errors,
    open_database,
    open_hub,
    password_for,
)


def _line(d: dict[str, Any]) -> str:
    published = f", published {d['published_version']}" if d["published_version"] else ""
    return (f"{d['id']}  {d['state']} (revision {d['revision']}{published})  "
            f"TLP:{d['tlp'].upper()} {d['severity']}\n  {d['title']}")


@click.group("advisories")
def advisories_group() -> None:
    """Write, approve (four eyes), publish and withdraw advisories for the towns."""


@advisories_group.command("list")
@json_option
@handle_errors
def advisories_list(as_json: bool) -> None:
    """Advisories, most recently changed first."""
    _, db = open_database()
    with db.session() as session:
        data = lifecycle.list_advisories(session)
    emit(as_json, data, lambda rows: click.echo(
        "\n".join(_line(row) for row in rows) if rows else "no advisories yet"))


@advisories_group.command("draft")
@click.option("--campaign", "campaign_id", help="Propose the draft from this campaign.")
@click.option("--file", "path", type=click.Path(dir_okay=False),
              help="The advisory document (YAML or JSON; see config/advisory.example.yaml).")
@click.option("--tlp", type=click.Choice(document.TLP_LEVELS), help="Override the TLP.")
@click.option("--severity", type=click.Choice(document.SEVERITIES),
              help="Override the severity.")
@as_option
@json_option
@handle_errors
def advisories_draft(campaign_id: str | None, path: str | None, tlp: str | None,
                     severity: str | None, actor: str, as_json: bool) -> None:
    """Start an advisory: from a campaign (everything proposed) or from your own document."""
    if bool(campaign_id) == bool(path):
        raise CommandError("give either --campaign ID or --file DOCUMENT")
    _, db = open_database()
    password = password_for(actor)
    with db.writing() as session:
        author = lifecycle.account(session, actor, password)
        if campaign_id:
            draft = drafting.from_campaign(session, campaign_id, tlp=tlp, severity=severity)
        else:
            draft = document.load(path)
            changes = {k: v for k, v in {"tlp": tlp, "severity": severity}.items() if v}
            draft = draft.model_copy(update=changes) if changes else draft
        data = lifecycle.draft(session, author, draft, now=timestamps.now_us())
        data["document"] = draft.model_dump()

    def human(d: dict[str, Any]) -> None:
        click.echo(_line(d))
        click.echo(f"  {len(d['document']['indicators'])} indicator(s); playbook: "
                   f"{d['document']['playbook'] or '-'}")
        click.echo(f"Read it with `cyberhub advisories show {d['id']}`; a second analyst "
                   f"approves it with `cyberhub advisories approve {d['id']} --as NAME`.")

    emit(as_json, data, human)


@advisories_group.command("revise")
@click.argument("advisory_id")
@click.option("--file", "path", required=True, type=click.Path(dir_okay=False),
              help="The changed document (`show ID --document --json` gives the current one).")
@as_option
@json_option
@handle_errors
def advisories_revise(advisory_id: str, path: str, actor: str, as_json: bool) -> None:
    """Change an advisory; it needs a new approval before it is published again."""
    _, db = open_database()
    changed = document.load(path)
    password = password_for(actor)
    with db.writing() as session:
        author = lifecycle.account(session, actor, password)
        data = lifecycle.revise(session, author, advisory_id, changed, now=timestamps.now_us())
    emit(as_json, data, lambda d: click.echo(_line(d)))


@advisories_group.command("show")
@click.argument("advisory_id")
@click.option("--document", "document_only", is_flag=True,
              help="Only the document (to edit and pass to `revise`).")
@json_option
@handle_errors
def advisories_show(advisory_id: str, document_only: bool, as_json: bool) -> None:
    """One advisory: its text, indicators, playbook and history."""
    _, db = open_database()
    with db.session() as session:
        data = lifecycle.show(session, advisory_id)
    if document_only:
        data = data["document"]

    def human(d: dict[str, Any]) -> None:
        if document_only:
            click.echo(document.parse(d).model_dump_json(indent=2))
            return
        doc = d["document"]
        click.echo(_line(d))
        click.echo(f"  author {d['author']}, approver {d['approver'] or '-'}; campaign "
                   f"{d['campaign'] or '-'}; playbook {doc['playbook'] or '-'}")
        click.echo(f"  addressed towns (AMBER, besides the campaign's): "
                   f"{', '.join(doc['towns']) or '-'}")
        click.echo("\n" + doc["summary"]["de"] + "\n\n--- English ---\n" + doc["summary"]["en"])
        click.echo("\nIndicators:")
        for item in doc["indicators"]:
            click.echo(f"  {item['kind']:<7} {item['value']}")
        click.echo("\nHistory:")
        for entry in d["history"]:
            click.echo(f"  {entry['at'][:19].replace('T', ' ')}  {entry['actor']:<14} "
                       f"{entry['action']}")

    emit(as_json, data, human)


@advisories_group.command("approve")
@click.argument("advisory_id")
@as_option
@json_option
@handle_errors
def advisories_approve(advisory_id: str, actor: str, as_json: bool) -> None:
    """Approve a draft; never your own (four eyes)."""
    _, db = open_database()
    password = password_for(actor)
    with db.writing() as session:
        approver = lifecycle.account(session, actor, password)
        try:
            data = lifecycle.approve(session, approver, advisory_id, now=timestamps.now_us())
        except lifecycle.AdvisoryError as exc:
            if exc.code != "four-eyes":
                raise
            refused = exc
        else:
            refused = None
    if refused is not None:  # the refusal itself stays in the audit log
        raise CommandError(str(refused))
    emit(as_json, data, lambda d: click.echo(f"approved by {d['approver']}: {d['id']}; "
                                             "a coordinator publishes it"))


@advisories_group.command("publish")
@click.argument("advisory_id")
@as_option
@json_option
@handle_errors
def advisories_publish(advisory_id: str, actor: str, as_json: bool) -> None:
    """Sign and publish an approved advisory to the towns it is addressed to."""
    hub = open_hub()
    db = hub.db
    password = password_for(actor)
    with db.writing() as session:
        publisher = lifecycle.account(session, actor, password)
        data = lifecycle.publish(session, publisher, advisory_id, signer=hub.signer,
                                 now=timestamps.now_us())
    pushed = delivery.push_due(db, signer=hub.signer, now=timestamps.now_us(),
                               allowed_networks=hub.push_allowed_networks)
    with db.session() as session:
        data = lifecycle.status(session, data["id"])
    data["pushed"], data["push_failed"] = pushed.delivered, pushed.failed

    def human(d: dict[str, Any]) -> None:
        click.echo(f"published {d['id']} as version {d['published_version']} "
                   f"(TLP:{d['published_tlp'].upper()}) to {d['addressed']} town(s)")
        if pushed.delivered or pushed.failed:
            click.echo(f"pushed to {len(pushed.delivered)}; {len(pushed.failed)} push(es) "
                       "failed and are retried by `cyberhub scheduler`")
        click.echo("the other towns find it on their next poll; see `cyberhub advisories "
                   f"status {d['id']}`")

    emit(as_json, data, human)


@advisories_group.command("withdraw")
@click.argument("advisory_id")
@click.option("--reason", required=True, help="Why, for the audit log.")
@as_option
@json_option
@handle_errors
def advisories_withdraw(advisory_id: str, reason: str, actor: str, as_json: bool) -> None:
    """Withdraw a published advisory: agents take its indicators off their blocklists."""
    hub = open_hub()
    db = hub.db
    password = password_for(actor)
    with db.writing() as session:
        person = lifecycle.account(session, actor, password)
        data = lifecycle.withdraw(session, person, advisory_id, reason, signer=hub.signer,
                                  now=timestamps.now_us())
    delivery.push_due(db, signer=hub.signer, now=timestamps.now_us(),
                      allowed_networks=hub.push_allowed_networks)
    emit(as_json, data, lambda d: click.echo(f"withdrawn: {d['id']} (version "
                                             f"{d['published_version']})"))


@advisories_group.command("status")
@click.argument("advisory_id")
@json_option
@handle_errors
def advisories_status(advisory_id: str, as_json: bool) -> None:
    """Who has it: per addressed town, the push and the agent's acknowledgement."""
    _, db = open_database()
    with db.session() as session:
        data = lifecycle.status(session, advisory_id)

    def human(d: dict[str, Any]) -> None:
        click.echo(_line(d))
        click.echo(f"  {d['acknowledged']} of {d['addressed']} addressed town(s) acknowledged "
                   "the current version")
        for town in d["towns"]:
            ack = town["acknowledged"] or (f"not yet (earlier: {town['earlier']})"
                                           if town["earlier"] else "not yet")
            error = f" ({town['push_error']})" if town["push_error"] else ""
            click.echo(f"  {town['node']:<20} {town['land']}  {town['reason']:<9} push: "
                       f"{town['push']}{error:<10} acknowledged: {ack}")

    emit(as_json, data, human)


COMMANDS = (advisories_group,)

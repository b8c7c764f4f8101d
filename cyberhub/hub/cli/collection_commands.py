"""`cyberhub collections`: the TAXII collections of the hub. Every change is audited with the
actor `cli`, as the account commands are."""

from __future__ import annotations

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import emit, json_option
from cyberhub.hub import collections, setup
from cyberhub.hub.cli.account_commands import ACTOR
from cyberhub.hub.cli.common import handle_errors, open_database, open_hub


@click.group("collections")
def collections_group() -> None:
    """Manage TAXII collections."""


@collections_group.command("add")
@click.argument("alias")
@click.option("--title", required=True, help="Human-readable title.")
@click.option("--description", default="", help="What the collection holds.")
@click.option("--signed/--unsigned", default=False,
              help="Take only objects covered by a valid node signature (default: unsigned).")
@json_option
@handle_errors
def collections_add(alias: str, title: str, description: str, signed: bool,
                    as_json: bool) -> None:
    """Add a collection with the given ALIAS."""
    hub = open_hub()
    now = timestamps.now_us()
    with hub.db.writing() as session:
        created = collections.add_collection(
            session, alias, title, description, now=now, signed=signed, actor=ACTOR
        )
        setup.publish_signature_definition(session, hub.signer, now=now)
        data = collections.summary(created)
    emit(as_json, data, lambda d: click.echo(f"Added collection {d['alias']} ({d['id']})."))


@collections_group.command("list")
@json_option
@handle_errors
def collections_list(as_json: bool) -> None:
    """List collections with their aliases and ids."""
    _, db = open_database()
    with db.session() as session:
        data = [collections.summary(c) for c in collections.list_collections(session)]

    def human(items: list[dict]) -> None:
        for item in items:
            signed = "signed  " if item["signed"] else "unsigned"
            addressed = "addressed" if item["addressed"] else "         "
            click.echo(f"{item['alias']:<14} {item['id']}  {signed}  {addressed}  "
                       f"{item['title']}")

    emit(as_json, data, human)



@collections_group.command("change")
@click.argument("alias")
@click.option("--title", help="New title.")
@click.option("--description", help="New description.")
@json_option
@handle_errors
def collections_change(alias: str, title: str | None, description: str | None,
                       as_json: bool) -> None:
    """Change the title or description of the collection ALIAS."""
    _, db = open_database()
    with db.writing() as session:
        changed = collections.change_collection(session, alias, title=title,
                                                description=description, actor=ACTOR,
                                                now=timestamps.now_us())
        data = collections.summary(changed)
    emit(as_json, data, lambda d: click.echo(f"Changed collection {d['alias']}."))


@collections_group.command("delete")
@click.argument("alias")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@handle_errors
def collections_delete(alias: str, yes: bool, as_json: bool) -> None:
    """Delete the collection ALIAS with every object in it (not one of the hub's own)."""
    if not yes:
        click.confirm(f"Delete the collection {alias} and every object in it?", abort=True,
                      err=True)
    _, db = open_database()
    with db.writing() as session:
        removed = collections.delete_collection(session, alias, actor=ACTOR,
                                                now=timestamps.now_us())
    emit(as_json, {"alias": alias, "objects": removed},
         lambda d: click.echo(f"Deleted collection {alias} and {removed} object(s)."))


COMMANDS = (collections_group,)

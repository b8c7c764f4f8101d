"""`cyberhub collections`: the TAXII collections of the hub."""

from __future__ import annotations

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import emit, json_option
from cyberhub.hub import collections, setup
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
            session, alias, title, description, now=now, signed=signed
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


COMMANDS = (collections_group,)

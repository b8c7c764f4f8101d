"""`cyberhub publish` (hub-signed objects into a collection) and `cyberhub receipts` (what
the towns did with each advisory)."""

from __future__ import annotations

import click

from cyberhub.core import stix, timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import collections
from cyberhub.hub import receipts as node_receipts
from cyberhub.hub.cli.common import handle_errors, open_database, open_hub
from cyberhub.hub.services import publishing


@click.command()
@click.argument("collection")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@handle_errors
def publish(collection: str, file: str, as_json: bool) -> None:
    """Sign FILE's STIX objects with the hub's key and add them to COLLECTION.

    FILE holds a STIX bundle, a TAXII envelope or a JSON list of objects. Objects that name a
    creator must name the hub's identity: nodes verify that the hub signed what it says it
    wrote. Advisories for towns go through `cyberhub advisories` instead (four eyes,
    addressed per town).
    """
    hub = open_hub()
    try:
        with open(file, "rb") as handle:
            data = stix.loads(handle.read(hub.settings.max_content_length + 1))
    except stix.JSONError as exc:
        raise CommandError(f"{file} is not valid JSON: {exc}") from None
    objects = data.get("objects") if isinstance(data, dict) else data
    if not isinstance(objects, list) or not objects or not all(
            isinstance(o, dict) for o in objects):
        raise CommandError(f"{file} holds no STIX objects (a bundle, an envelope or a list)")
    with hub.db.writing() as session:
        target = collections.find(session, collection)
        if target is None:
            raise CommandError(f"no collection {collection!r}; see `cyberhub collections list`")
        if target.addressed:
            raise CommandError(f"{target.alias} is addressed to towns: advisories reach them "
                               "through `cyberhub advisories draft`, approve and publish")
        identity = hub.identity
        for obj in objects:
            creator = obj.get("created_by_ref", identity)
            foreign_identity = obj.get("type") == "identity" and obj.get("id") != identity
            if creator != identity or foreign_identity:
                raise CommandError(f"{obj.get('id')} is attributed to {creator}, not to this "
                                   f"hub ({identity}); the hub signs only what it wrote")
        try:
            stored = publishing.publish(session, target.id, objects, signer=hub.signer,
                                        now_us=timestamps.now_us())
        except ValueError as exc:
            raise CommandError(f"{file}: {exc}") from None
    emit(as_json, {"collection": target.alias or target.id, "stored": stored},
         lambda d: click.echo(f"published {len(objects)} object(s) with the hub's signature "
                              f"in {d['collection']}"))


@click.command("receipts")
@click.option("--advisory", "advisory_id", help="Only receipts for this advisory id.")
@json_option
@handle_errors
def receipts_command(advisory_id: str | None, as_json: bool) -> None:
    """What the nodes reported doing with each advisory: applied, withdrawn or refused."""
    _, db = open_database()
    with db.session() as session:
        data = node_receipts.list_receipts(session, advisory_id)

    def human(rows: list[dict]) -> None:
        if not rows:
            click.echo("no receipts yet")
        for row in rows:
            detail = f"  ({row['detail']})" if row["detail"] else ""
            click.echo(f"{row['id']} {row['version']}  {row['node']:<20} {row['state']:<9} "
                       f"{row['at']}{detail}")

    emit(as_json, data, human)


COMMANDS = (publish, receipts_command,)

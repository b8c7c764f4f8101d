"""`cyberhub nodes`: member towns, their enrolment and their keys.

Every change is audited by `cyberhub.hub.nodes` with the actor "cli": whoever runs these
commands has the hub's database in hand, so the log names the way in, not a person."""

from __future__ import annotations

import click

from cyberhub.core import addresses, stix, timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import nodes
from cyberhub.hub.cli.common import handle_errors, open_database

ACTOR = "cli"

@click.group("nodes")
def nodes_group() -> None:
    """Manage member towns (nodes), their enrolment and their keys."""


@nodes_group.command("add")
@click.argument("slug")
@click.option("--name", required=True, help='The town\'s name, e.g. "Stadt Musterstadt".')
@click.option("--land", required=True, help="Land as ISO 3166-2:DE code, e.g. SN.")
@click.option("--share-name", is_flag=True,
              help="The town agreed to be named to other towns (default: 'a town in <Land>').")
@json_option
@handle_errors
def nodes_add(slug: str, name: str, land: str, share_name: bool, as_json: bool) -> None:
    """Add a town: its STIX identity, account and a one-time enrolment token."""
    settings, db = open_database()
    with db.writing() as session:
        data = nodes.add_node(session, slug, name, land, now=timestamps.now_us(),
                              token_ttl_hours=settings.enrollment_token_hours,
                              share_name=share_name, actor=ACTOR)

    def human(d: dict) -> None:
        click.echo(f"Added node {d['slug']} ({d['name']}, {nodes.LANDS[d['land']]}).")
        click.echo(f"Identity:         {d['identity']}")
        click.echo(f"Account:          {d['username']} / {d['password']}")
        click.echo(f"Enrollment token: {d['enrollment_token']}")
        click.echo(f"                  valid until {d['enrollment_expires']}, usable once.")
        click.echo("Give the token to the town's IT staff over a trusted channel; their agent "
                   f"enrols with: cyberhub-agent enroll --hub {settings.base_url} --token TOKEN")

    emit(as_json, data, human)


@nodes_group.command("set")
@click.argument("slug")
@click.option("--share-name/--no-share-name", default=None,
              help="Whether other towns may see this town's name in advisories.")
@click.option("--callback", metavar="URL", help="Where the hub pushes advisory notices.")
@click.option("--no-callback", is_flag=True, help="Stop pushing; the town only polls.")
@json_option
@handle_errors
def nodes_set(slug: str, share_name: bool | None, callback: str | None, no_callback: bool,
              as_json: bool) -> None:
    """Change how a town is named to others and how it is notified."""
    settings, db = open_database()
    if callback and no_callback:
        raise CommandError("give either --callback URL or --no-callback")
    changes: dict = {"share_name": share_name}
    if callback or no_callback:
        changes["callback_url"] = None if no_callback else callback
    with db.writing() as session:
        data = nodes.set_options(session, slug, **changes, allowed_networks=addresses.networks(
            settings.push_allowed_networks), now=timestamps.now_us(), actor=ACTOR)
    emit(as_json, data, lambda d: click.echo(
        f"{slug}: named to others: {'yes' if d['share_name'] else 'no'}; push to: "
        f"{d['callback_url'] or '- (polls only)'}"))


@nodes_group.command("new-token")
@click.argument("slug")
@json_option
@handle_errors
def nodes_new_token(slug: str, as_json: bool) -> None:
    """Issue a fresh enrolment token (and password) for a node."""
    settings, db = open_database()
    with db.writing() as session:
        data = nodes.new_enrollment_token(session, slug, now=timestamps.now_us(),
                                          token_ttl_hours=settings.enrollment_token_hours,
                                          actor=ACTOR)
    emit(as_json, data, lambda d: click.echo(
        f"Enrollment token for {slug}: {d['enrollment_token']} (until {d['enrollment_expires']})"))


@nodes_group.command("add-key")
@click.argument("slug")
@click.option("--jwk", "jwk_file", required=True, type=click.Path(dir_okay=False),
              help="File with the node's public Ed25519 key as a JWK.")
@json_option
@handle_errors
def nodes_add_key(slug: str, jwk_file: str, as_json: bool) -> None:
    """Register a public key an operator brought (e.g. made on a hardware token)."""
    settings, db = open_database()
    try:
        with open(jwk_file, "rb") as handle:
            jwk = stix.loads(handle.read(64 * 1024))
    except stix.JSONError as exc:
        raise CommandError(f"{jwk_file} is not valid JSON: {exc}") from None
    with db.writing() as session:
        kid = nodes.add_key(session, slug, jwk, now=timestamps.now_us(), actor=ACTOR)
    emit(as_json, {"slug": slug, "kid": kid},
          lambda d: click.echo(f"Registered key {kid} for {slug}."))


@nodes_group.command("list")
@json_option
@handle_errors
def nodes_list(as_json: bool) -> None:
    """List nodes with their keys."""
    settings, db = open_database()
    with db.session() as session:
        data = nodes.list_nodes(session)

    def human(items: list[dict]) -> None:
        for item in items:
            state = "disabled" if item["disabled"] else (
                "enrolled" if item["enrolled"] else "not enrolled")
            click.echo(f"{item['slug']:<20} {item['land']}  {state:<12} {item['name']}")
            for key in item["keys"]:
                click.echo(f"    key {key['kid']}{'  (revoked)' if key['revoked'] else ''}")

    emit(as_json, data, human)


# Key ids are base64url thumbprints, and one in 64 starts with "-": read it as the argument it
# is, not as options (this command has no short option, so not even -h for help).
@nodes_group.command("revoke-key", context_settings={"ignore_unknown_options": True,
                                                     "help_option_names": ["--help"]})
@click.argument("slug")
@click.argument("kid")
@json_option
@handle_errors
def nodes_revoke_key(slug: str, kid: str, as_json: bool) -> None:
    """Revoke a node's key: nothing signed with it is accepted any more."""
    settings, db = open_database()
    with db.writing() as session:
        nodes.revoke_key(session, slug, kid, now=timestamps.now_us(), actor=ACTOR)
    emit(as_json, {"slug": slug, "kid": kid, "revoked": True},
          lambda d: click.echo(f"Revoked key {kid} of {slug}."))


@nodes_group.command("disable")
@click.argument("slug")
@json_option
@handle_errors
def nodes_disable(slug: str, as_json: bool) -> None:
    """Disable a node: its account can no longer log in and its keys sign nothing."""
    settings, db = open_database()
    with db.writing() as session:
        nodes.disable(session, slug, now=timestamps.now_us(), actor=ACTOR)
    emit(as_json, {"slug": slug, "disabled": True},
          lambda d: click.echo(f"Disabled node {slug}."))


COMMANDS = (nodes_group,)

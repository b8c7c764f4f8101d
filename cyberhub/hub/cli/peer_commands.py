"""`cyberhub peers`: the other hubs this hub works with - a Land hub's upstream (the federal
hub) and a federal hub's downstreams (the Land hubs) - and forwarding to the upstream now.

Adding a peer reads its JWKS and pins it: compare the thumbprint shown with the one the
peer's operator reads out to you (by telephone, not by the same e-mail as the URL), and pass
it as `--thumbprint`; without it, a terminal asks. Changes are audited with the actor `cli`."""

from __future__ import annotations

import sys

import click
from sqlalchemy import func, select

from cyberhub.core import signing, timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import nodes
from cyberhub.hub.cli.common import handle_errors, open_database, open_hub
from cyberhub.hub.federation import peers
from cyberhub.hub.federation.peer_client import PeerClient, PeerError
from cyberhub.hub.storage.models import Node

ACTOR = "cli"


@click.group("peers")
def peers_group() -> None:
    """Federation: the upstream hub this hub forwards to, and the downstream hubs that
    forward here."""


def _pinned(url: str, thumbprint: str | None, as_json: bool) -> peers.Pinned:
    client = PeerClient(url)
    try:
        document = client.jwks()
    except PeerError as exc:
        raise CommandError(str(exc)) from None
    finally:
        client.close()
    pinned = peers.read_document(document, thumbprint=thumbprint)
    if thumbprint is None:
        shown = ", ".join(pinned.thumbprints)
        if as_json or not sys.stdin.isatty() or len(pinned.thumbprints) > 1:
            raise CommandError(f"the peer's key thumbprint is {shown}; confirm it with the "
                               "peer's operator and pass it as --thumbprint")
        click.echo(f"{pinned.identity['name']} ({pinned.identity['id']})")
        click.echo(f"Key thumbprint: {shown}")
        if not click.confirm("Has the peer's operator confirmed this thumbprint?",
                             default=False):
            raise CommandError("not pinned: nothing was changed")
        pinned = peers.read_document(document, thumbprint=pinned.thumbprints[0])
    return pinned


@peers_group.command("add")
@click.argument("name")
@click.option("--url", required=True, help="The peer hub's base URL, e.g. https://bund.example/")
@click.option("--role", required=True, type=click.Choice(peers.ROLES),
              help="upstream: this hub forwards to it; downstream: it forwards to this hub.")
@click.option("--land", help="downstream: the Land the hub serves (ISO 3166-2:DE, e.g. SN).")
@click.option("--token", help="upstream: the enrolment token its operator gave you.")
@click.option("--thumbprint", help="The peer key's thumbprint, as its operator read it out.")
@json_option
@handle_errors
def peers_add(name: str, url: str, role: str, land: str | None, token: str | None,
              thumbprint: str | None, as_json: bool) -> None:
    """Add a peer hub: pin its keys; enrol there (upstream) or issue its token (downstream)."""
    try:
        url = PeerClient(url).base_url
    except PeerError as exc:
        raise CommandError(str(exc)) from None
    if role == "downstream":
        if not land:
            raise CommandError("a downstream hub needs --land: the Land it serves")
        if token:
            raise CommandError("--token is for an upstream; a downstream gets its token here")
        settings, db = open_database()
        pinned = _pinned(url, thumbprint, as_json)
        with db.writing() as session:
            data = peers.add_downstream(session, name, url, land.upper(), pinned,
                                        now=timestamps.now_us(),
                                        token_ttl_hours=settings.enrollment_token_hours,
                                        actor=ACTOR)
        data["hub_url"] = settings.base_url

        def human(d: dict) -> None:
            click.echo(f"Added downstream hub {d['peer']} ({nodes.LANDS.get(d['land'])}).")
            click.echo(f"Pinned key:       {', '.join(d['thumbprints'])}")
            click.echo(f"Enrollment token: {d['enrollment_token']}")
            click.echo(f"                  valid until {d['enrollment_expires']}, usable once.")
            click.echo("Its operator runs: cyberhub peers add NAME --role upstream --url "
                       f"{d['hub_url']} --token TOKEN --thumbprint <this hub's thumbprint>")

        emit(as_json, data, human)
        return
    if not token:
        raise CommandError("an upstream needs --token: the enrolment token its operator gave")
    if land:
        raise CommandError("--land is for a downstream hub")
    hub = open_hub()
    try:
        pinned = _pinned(url, thumbprint, as_json)
        client = PeerClient(url)
        try:
            enrolled = client.enroll(token, signing.public_jwk(hub.signer.key))
        except PeerError as exc:
            raise CommandError(str(exc)) from None
        finally:
            client.close()
        with hub.db.writing() as session:
            data = peers.add_upstream(session, name, url, pinned, enrolled,
                                      hub_identity=hub.identity, secret=hub.settings.secret(),
                                      now=timestamps.now_us(), actor=ACTOR)
    finally:
        hub.close()
    emit(as_json, data, lambda d: click.echo(
        f"Enrolled at upstream {d['peer']} as {d['username']}; pinned key "
        f"{', '.join(d['thumbprints'])}. The scheduler forwards to it from now on."))


@peers_group.command("list")
@json_option
@handle_errors
def peers_list(as_json: bool) -> None:
    """List the peer hubs."""
    _, db = open_database()
    with db.session() as session:
        data = peers.listing(session)

    def human(items: list[dict]) -> None:
        if not items:
            click.echo("No peer hubs.")
        for d in items:
            click.echo(f"{d['peer']:<20} {d['role']:<10} {d['name']}  {d['url']}")

    emit(as_json, data, human)


@peers_group.command("status")
@click.argument("name", required=False)
@json_option
@handle_errors
def peers_status(name: str | None, as_json: bool) -> None:
    """How forwarding stands: per upstream what went up, what was refused, the last error;
    per downstream the towns known through it."""
    _, db = open_database()
    with db.session() as session:
        data = peers.listing(session)
        if name is not None:
            data = [d for d in data if d["peer"] == name]
            if not data:
                raise peers.FederationError("peer-unknown", f"no peer {name!r}")
        relayed = session.scalar(select(func.count()).select_from(Node).where(
            Node.relayed_by.is_not(None)))

    def human(items: list[dict]) -> None:
        if not items:
            click.echo("No peer hubs.")
        for d in items:
            click.echo(f"{d['peer']} ({d['role']}, {d['name']})")
            if d["role"] == "upstream":
                click.echo(f"  forwarded {d['forwarded']} objects, refused {d['refused']}; "
                           f"last success {d['last_success'] or '-'}")
            else:
                click.echo(f"  towns known through it: {d['relayed_towns']}")
            if d["last_error"]:
                click.echo(f"  last error: {d['last_error']}")
            if d["failures"]:
                click.echo(f"  {d['failures']} failure(s) in a row; next try "
                           f"{d['next_attempt']}")
        if name is None and relayed:
            click.echo(f"{relayed} town(s) known through downstream hubs in all.")

    emit(as_json, data, human)


@peers_group.command("remove")
@click.argument("name")
@json_option
@handle_errors
def peers_remove(name: str, as_json: bool) -> None:
    """Forget a peer hub (a downstream's node is disabled; what it sent stays)."""
    _, db = open_database()
    with db.writing() as session:
        data = peers.remove(session, name, now=timestamps.now_us(), actor=ACTOR)
    emit(as_json, data, lambda d: click.echo(f"Removed peer {d['peer']} ({d['role']})."))


@peers_group.command("forward")
@click.argument("name", required=False)
@json_option
@handle_errors
def peers_forward(name: str | None, as_json: bool) -> None:
    """Forward what is pending to the upstream hub(s) now, in the foreground."""
    hub = open_hub()
    try:
        names = [name] if name else hub.forwarder.upstreams(due_only=False)
        if not names:
            raise CommandError("no upstream hub: add one with `cyberhub peers add NAME "
                               "--role upstream ...`")
        results = [hub.forwarder.run(peer).as_dict() for peer in names]
    finally:
        hub.close()
    failed = [r for r in results if r["errors"]]

    def human(items: list[dict]) -> None:
        for r in items:
            click.echo(f"{r['peer']}: {r['groups']} reports in {r['forwards']} forwards "
                       f"({r['original']} original, {r['pseudonymised']} pseudonymised, "
                       f"{r['held_back']} kept here, {r['refused']} objects refused)")
            for error in r["errors"]:
                click.echo(f"  error: {error}")

    emit(as_json, results, human)
    if failed:
        raise SystemExit(1)


COMMANDS = (peers_group,)

"""The `cyberhub` command. Every subcommand takes `--json`; errors are one line and exit 1."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click
from sqlalchemy.exc import SQLAlchemyError

from .. import accounts, collections, hub, nodes, timestamps
from .. import keys as hub_keys
from ..clitools import CommandError, emit, json_option
from ..config import ConfigError, Settings, load_settings
from ..db import Database
from ..advisories.document import DocumentError
from ..advisories.drafting import DraftingError
from ..advisories.lifecycle import AdvisoryError


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def _database(settings: Settings) -> Database:
    return Database(settings.effective_database_url)


def _initialised_database(settings: Settings) -> Database:
    db = _database(settings)
    if not hub.is_initialised(db):
        raise CommandError(
            f"no hub is set up at {settings.home} yet; run `cyberhub init` first"
        )
    return db


def _open_hub() -> tuple[Settings, Database]:
    settings = _settings()
    return settings, _initialised_database(settings)


def handle_errors(func: Callable) -> Callable:
    """Turn the failures an operator can cause into one-line errors, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (accounts.AccountError, collections.CollectionError, ConfigError,
                nodes.NodeError, AdvisoryError, DocumentError, DraftingError) as exc:
            raise CommandError(str(exc)) from None
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise CommandError(f"database error: {reason}") from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            raise CommandError(f"{exc.strerror or exc}{where}") from None

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cyberhub")
def main() -> None:
    """cyberhub: the TAXII 2.1 hub of the municipal incident sharing network.

    Settings come from the TOML file in CYBERHUB_CONFIG and CYBERHUB_* variables;
    CYBERHUB_HOME is the data directory (default ~/.cyberhub).
    """


@main.command()
@json_option
@handle_errors
def init(as_json: bool) -> None:
    """Create or upgrade the database, the hub identity and key, and the default collections."""
    settings = _settings()
    db = _database(settings)
    report = hub.initialise(settings, db, now=timestamps.now_us())
    data = {
        "hub_identity": report.hub_identity,
        "home": str(settings.home),
        "key_file": report.key_file,
        "created": report.created,
        "discovery_url": settings.discovery_url,
    }
    if report.admin_password:
        data["admin"] = {"username": hub.ADMIN_USERNAME, "password": report.admin_password}

    def human(_: Any) -> None:
        if report.created:
            click.echo("Created: " + ", ".join(report.created) + ".")
        else:
            click.echo("Everything was already in place; nothing changed.")
        click.echo(f"Data directory: {settings.home}")
        click.echo(f"Hub identity:   {report.hub_identity}")
        if report.admin_password:
            click.echo(f"Admin login:    {hub.ADMIN_USERNAME} / {report.admin_password}")
            click.echo("                (shown once; keep it safe - only its hash is stored)")
        click.echo(f"Start the hub with `cyberhub serve`; discovery at {settings.discovery_url}")

    emit(as_json, data, human)


@main.command()
@click.option("--host", help="Address to listen on (default from settings: 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default from settings: 8000).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (gunicorn).")
@json_option
@handle_errors
def serve(host: str | None, port: int | None, workers: int | None, as_json: bool) -> None:
    """Serve the TAXII 2.1 API (gunicorn underneath)."""
    from ..server import run

    settings = _settings()
    changes = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v}
    if changes:
        settings = settings.model_copy(update=changes)
    _initialised_database(settings).dispose()
    _warninglists(settings)  # a broken list file is an error now, not on the first report
    data = {
        "discovery_url": settings.discovery_url,
        "api_root": settings.api_root_url,
        "workers": settings.workers,
    }

    def human(_: Any) -> None:
        click.echo(f"cyberhub listening on http://{settings.host}:{settings.port}/ "
                   f"with {settings.workers} worker(s)")
        click.echo(f"  TAXII discovery: {settings.discovery_url}")
        click.echo(f"  API root:        {settings.api_root_url}")
        click.echo("  Log in with HTTP Basic as the admin account `cyberhub init` printed, or "
                   "add accounts with `cyberhub accounts add`. Stop with Ctrl-C.")

    emit(as_json, data, human)
    sys.stdout.flush()
    run(settings)


@main.command()
@json_option
@handle_errors
def info(as_json: bool) -> None:
    """Show the hub identity, its URLs and its collections."""
    settings, db = _open_hub()
    with db.session() as session:
        identity = hub.hub_identity(session) or {}
        items = [collections.summary(c) for c in collections.list_collections(session)]
    data = {
        "hub_identity": identity.get("id"),
        "discovery_url": settings.discovery_url,
        "api_root": settings.api_root_url,
        "collections": items,
    }

    def human(_: Any) -> None:
        click.echo(f"Hub identity:  {data['hub_identity']}")
        click.echo(f"Discovery URL: {data['discovery_url']}")
        click.echo(f"API root:      {data['api_root']}")
        click.echo("Collections:")
        for item in items:
            click.echo(f"  {item['alias']:<14} {item['id']}  {item['title']}")

    emit(as_json, data, human)


@main.group("collections")
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
    settings, db = _open_hub()
    now = timestamps.now_us()
    with db.writing() as session:
        created = collections.add_collection(
            session, alias, title, description, now=now, signed=signed
        )
        hub.publish_signature_definition(session, settings, hub.hub_identity(session)["id"],
                                         now=now)
        data = collections.summary(created)
    emit(as_json, data, lambda d: click.echo(f"Added collection {d['alias']} ({d['id']})."))


@collections_group.command("list")
@json_option
@handle_errors
def collections_list(as_json: bool) -> None:
    """List collections with their aliases and ids."""
    settings, db = _open_hub()
    with db.session() as session:
        data = [collections.summary(c) for c in collections.list_collections(session)]

    def human(items: list[dict]) -> None:
        for item in items:
            signed = "signed  " if item["signed"] else "unsigned"
            addressed = "addressed" if item["addressed"] else "         "
            click.echo(f"{item['alias']:<14} {item['id']}  {signed}  {addressed}  "
                       f"{item['title']}")

    emit(as_json, data, human)


@main.group("accounts")
def accounts_group() -> None:
    """Manage accounts and their rights on collections."""


@accounts_group.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--read", "read", multiple=True, metavar="ALIAS", help="May read this collection.")
@click.option("--write", "write", multiple=True, metavar="ALIAS",
              help="May add objects to this collection.")
@click.option("--admin", is_flag=True, help="Full rights on every collection.")
@click.option("--role", type=click.Choice(accounts.ROLES),
              help="For a person: analyst (draft, approve), coordinator (also publish, "
              "withdraw) or admin.")
@json_option
@handle_errors
def accounts_add(
    username: str, password_stdin: bool, read: tuple[str, ...], write: tuple[str, ...],
    admin: bool, role: str | None, as_json: bool,
) -> None:
    """Add an account; prints a generated password unless --password-stdin is given."""
    settings, db = _open_hub()
    generated = not password_stdin
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = accounts.generate_password()
    with db.writing() as session:
        accounts.create_account(
            session, username, password, now=timestamps.now_us(), read=read, write=write,
            admin=admin, role=role,
        )
    data = {"username": username, "password": password if generated else None,
            "read": list(read), "write": list(write), "admin": admin, "role": role}

    def human(d: dict) -> None:
        click.echo(f"Added account {username}.")
        if generated:
            click.echo(f"Password: {password}  (shown once; only its hash is stored)")

    emit(as_json, data, human)


@accounts_group.command("list")
@json_option
@handle_errors
def accounts_list(as_json: bool) -> None:
    """List accounts and their rights (never passwords)."""
    settings, db = _open_hub()
    with db.session() as session:
        data = accounts.list_accounts(session)

    def human(items: list[dict]) -> None:
        for item in items:
            flags = " admin" if item["admin"] else ""
            flags += f" role={item['role']}" if item["role"] else ""
            flags += " disabled" if item["disabled"] else ""
            click.echo(f"{item['username']:<20} read={','.join(item['read']) or '-'} "
                       f"write={','.join(item['write']) or '-'}{flags}")

    emit(as_json, data, human)


@accounts_group.command("grant")
@click.argument("username")
@click.option("--read", "read", multiple=True, metavar="ALIAS")
@click.option("--write", "write", multiple=True, metavar="ALIAS")
@json_option
@handle_errors
def accounts_grant(username: str, read: tuple[str, ...], write: tuple[str, ...],
                   as_json: bool) -> None:
    """Give an existing account more rights."""
    settings, db = _open_hub()
    with db.writing() as session:
        for alias in dict.fromkeys(read + write):
            accounts.grant(session, username, alias, read=alias in read, write=alias in write)
    data = {"username": username, "read": list(read), "write": list(write)}
    emit(as_json, data, lambda d: click.echo(f"Updated rights of {username}."))


@accounts_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(accounts.ROLES + ("none",)))
@json_option
@handle_errors
def accounts_role(username: str, role: str, as_json: bool) -> None:
    """Set what a person may do with advisories (none: nothing)."""
    settings, db = _open_hub()
    with db.writing() as session:
        accounts.set_role(session, username, None if role == "none" else role)
    emit(as_json, {"username": username, "role": None if role == "none" else role},
         lambda d: click.echo(f"{username} now has the role {role}."))


@main.group("nodes")
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
    settings, db = _open_hub()
    with db.writing() as session:
        data = nodes.add_node(session, slug, name, land, now=timestamps.now_us(),
                              token_ttl_hours=settings.enrollment_token_hours)
        if share_name:
            nodes.set_options(session, slug, share_name=True)

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
    settings, db = _open_hub()
    if callback and no_callback:
        raise CommandError("give either --callback URL or --no-callback")
    changes: dict = {"share_name": share_name}
    if callback or no_callback:
        changes["callback_url"] = None if no_callback else callback
    with db.writing() as session:
        data = nodes.set_options(session, slug, **changes)
    emit(as_json, data, lambda d: click.echo(
        f"{slug}: named to others: {'yes' if d['share_name'] else 'no'}; push to: "
        f"{d['callback_url'] or '- (polls only)'}"))


@nodes_group.command("new-token")
@click.argument("slug")
@json_option
@handle_errors
def nodes_new_token(slug: str, as_json: bool) -> None:
    """Issue a fresh enrolment token (and password) for a node."""
    settings, db = _open_hub()
    with db.writing() as session:
        data = nodes.new_enrollment_token(session, slug, now=timestamps.now_us(),
                                          token_ttl_hours=settings.enrollment_token_hours)
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
    from .. import stix

    settings, db = _open_hub()
    try:
        with open(jwk_file, "rb") as handle:
            jwk = stix.loads(handle.read(64 * 1024))
    except stix.JSONError as exc:
        raise CommandError(f"{jwk_file} is not valid JSON: {exc}") from None
    with db.writing() as session:
        kid = nodes.add_key(session, slug, jwk, now=timestamps.now_us())
    emit(as_json, {"slug": slug, "kid": kid},
          lambda d: click.echo(f"Registered key {kid} for {slug}."))


@nodes_group.command("list")
@json_option
@handle_errors
def nodes_list(as_json: bool) -> None:
    """List nodes with their keys."""
    settings, db = _open_hub()
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


@nodes_group.command("revoke-key")
@click.argument("slug")
@click.argument("kid")
@json_option
@handle_errors
def nodes_revoke_key(slug: str, kid: str, as_json: bool) -> None:
    """Revoke a node's key: nothing signed with it is accepted any more."""
    settings, db = _open_hub()
    with db.writing() as session:
        nodes.revoke_key(session, slug, kid, now=timestamps.now_us())
    emit(as_json, {"slug": slug, "kid": kid, "revoked": True},
          lambda d: click.echo(f"Revoked key {kid} of {slug}."))


@nodes_group.command("disable")
@click.argument("slug")
@json_option
@handle_errors
def nodes_disable(slug: str, as_json: bool) -> None:
    """Disable a node: its account can no longer log in and its keys sign nothing."""
    settings, db = _open_hub()
    with db.writing() as session:
        nodes.disable(session, slug)
    emit(as_json, {"slug": slug, "disabled": True},
          lambda d: click.echo(f"Disabled node {slug}."))


@main.command()
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
    from .. import publishing, stix

    settings, db = _open_hub()
    try:
        with open(file, "rb") as handle:
            data = stix.loads(handle.read(settings.max_content_length + 1))
    except stix.JSONError as exc:
        raise CommandError(f"{file} is not valid JSON: {exc}") from None
    objects = data.get("objects") if isinstance(data, dict) else data
    if not isinstance(objects, list) or not objects or not all(
            isinstance(o, dict) for o in objects):
        raise CommandError(f"{file} holds no STIX objects (a bundle, an envelope or a list)")
    key = hub_keys.load_private_key(settings.home / hub_keys.HUB_KEY_FILE)
    with db.writing() as session:
        target = collections.find(session, collection)
        if target is None:
            raise CommandError(f"no collection {collection!r}; see `cyberhub collections list`")
        if target.addressed:
            raise CommandError(f"{target.alias} is addressed to towns: advisories reach them "
                               "through `cyberhub advisories draft`, approve and publish")
        identity = hub.hub_identity(session)["id"]
        for obj in objects:
            creator = obj.get("created_by_ref", identity)
            foreign_identity = obj.get("type") == "identity" and obj.get("id") != identity
            if creator != identity or foreign_identity:
                raise CommandError(f"{obj.get('id')} is attributed to {creator}, not to this "
                                   f"hub ({identity}); the hub signs only what it wrote")
        try:
            stored = publishing.publish(session, target.id, objects, key=key,
                                        hub_identity=identity, now_us=timestamps.now_us())
        except ValueError as exc:
            raise CommandError(f"{file}: {exc}") from None
    emit(as_json, {"collection": target.alias or target.id, "stored": stored},
         lambda d: click.echo(f"published {len(objects)} object(s) with the hub's signature "
                              f"in {d['collection']}"))


@main.command()
@click.option("--advisory", "advisory_id", help="Only receipts for this advisory id.")
@json_option
@handle_errors
def receipts(advisory_id: str | None, as_json: bool) -> None:
    """What the nodes reported doing with each advisory: applied, withdrawn or refused."""
    from .. import receipts as node_receipts

    settings, db = _open_hub()
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


@main.group("campaigns")
def campaigns_group() -> None:
    """Campaigns the correlation engine found across towns."""


def _warninglists(settings: Settings):  # noqa: ANN202
    from ..correlation import warninglists

    try:
        return warninglists.load(settings.warninglists_dir)
    except warninglists.WarninglistError as exc:
        raise CommandError(f"warning list {exc}") from None


def _correlator(settings: Settings, db: Database):  # noqa: ANN202 - built here, used by two
    from ..correlation.service import Correlator, rules_from

    with db.session() as session:
        identity = hub.hub_identity(session)["id"]
    return Correlator(lists=_warninglists(settings), rules=rules_from(settings),
                      key=hub_keys.load_private_key(settings.home / hub_keys.HUB_KEY_FILE),
                      hub_identity=identity)


@campaigns_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include merged and withdrawn ones.")
@json_option
@handle_errors
def campaigns_list(show_all: bool, as_json: bool) -> None:
    """Campaigns, newest activity first."""
    from ..correlation import report

    settings, db = _open_hub()
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
    from ..correlation import report

    settings, db = _open_hub()
    with db.session() as session:
        data = report.detail(session, campaign_id)
    if data is None:
        raise CommandError(f"no campaign {campaign_id!r}; see `cyberhub campaigns list`")
    emit(as_json, data, lambda d: click.echo(report.render(d)))


@campaigns_group.command("rescan")
@json_option
@handle_errors
def campaigns_rescan(as_json: bool) -> None:
    """Run the full correlation pass now (the scheduler runs it every hour)."""
    import time

    settings, db = _open_hub()
    started = time.monotonic()
    rows, written = _correlator(settings, db).full_pass(db)
    data = {"index_rows": rows, "campaigns_written": written,
            "seconds": round(time.monotonic() - started, 2)}
    emit(as_json, data, lambda d: click.echo(
        f"full pass over {d['index_rows']} index rows in {d['seconds']} s; "
        f"{len(d['campaigns_written'])} campaign(s) written"))


@main.command()
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 1440),
              help="Minutes between full correlation passes.")
@handle_errors
@click.option("--push-seconds", default=10, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds between rounds of advisory push notifications.")
def scheduler(minutes: int, push_seconds: int) -> None:
    """Run the hub's scheduled jobs (full correlation pass, advisory pushes) until stopped."""
    import logging

    from .. import scheduler as jobs

    settings, db = _open_hub()
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    correlator = _correlator(settings, db)
    push = pusher(settings, db)
    jobs.run(lambda: correlator.full_pass(db), minutes=minutes, push=push,
             push_seconds=push_seconds)


def pusher(settings: Settings, db: Database):  # noqa: ANN201 - a job for the scheduler
    """One round of due advisory pushes, with the hub's key."""
    from ..advisories import delivery

    key = hub_keys.load_private_key(settings.home / hub_keys.HUB_KEY_FILE)
    with db.session() as session:
        identity = hub.hub_identity(session)["id"]
    return lambda: delivery.push_due(db, key=key, hub_identity=identity,
                                     now=timestamps.now_us())


from . import advisories as _advisories  # noqa: E402,F401 - registers `cyberhub advisories`
from . import demo as _demo  # noqa: E402,F401 - registers `cyberhub demo`

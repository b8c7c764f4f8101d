"""`cyberhub init`, `serve`, `info` and `scheduler`: setting the hub up and running it."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import emit, json_option
from cyberhub.hub import collections, jobs, setup
from cyberhub.hub.cli.common import handle_errors, open_database, open_hub, settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.web import server


@click.command()
@json_option
@handle_errors
def init(as_json: bool) -> None:
    """Create or upgrade the database, the hub identity and key, and the default collections."""
    loaded = settings()
    db = Database(loaded.effective_database_url)
    report = setup.initialise(loaded, db, now=timestamps.now_us())
    data = {
        "hub_identity": report.hub_identity,
        "home": str(loaded.home),
        "key_file": report.key_file,
        "created": report.created,
        "discovery_url": loaded.discovery_url,
    }
    if report.admin_password:
        data["admin"] = {"username": setup.ADMIN_USERNAME, "password": report.admin_password}

    def human(_: Any) -> None:
        if report.created:
            click.echo("Created: " + ", ".join(report.created) + ".")
        else:
            click.echo("Everything was already in place; nothing changed.")
        click.echo(f"Data directory: {loaded.home}")
        click.echo(f"Hub identity:   {report.hub_identity}")
        if report.admin_password:
            click.echo(f"Admin login:    {setup.ADMIN_USERNAME} / {report.admin_password}")
            click.echo("                (shown once; keep it safe - only its hash is stored)")
        click.echo(f"Start the hub with `cyberhub serve`; discovery at {loaded.discovery_url}")

    emit(as_json, data, human)


@click.command()
@click.option("--host", help="Address to listen on (default from settings: 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default from settings: 8000).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (gunicorn).")
@json_option
@handle_errors
def serve(host: str | None, port: int | None, workers: int | None, as_json: bool) -> None:
    """Serve the TAXII 2.1 API (gunicorn underneath)."""
    loaded = settings()
    changes = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v}
    if changes:
        loaded = loaded.model_copy(update=changes)
    # Built once here and thrown away: a missing init, a broken key or warning list is an
    # error now, not in every worker or on the first report.
    open_hub(loaded).close()
    data = {
        "discovery_url": loaded.discovery_url,
        "api_root": loaded.api_root_url,
        "workers": loaded.workers,
    }

    def human(_: Any) -> None:
        click.echo(f"cyberhub listening on http://{loaded.host}:{loaded.port}/ "
                   f"with {loaded.workers} worker(s)")
        click.echo(f"  TAXII discovery: {loaded.discovery_url}")
        click.echo(f"  API root:        {loaded.api_root_url}")
        click.echo("  Log in with HTTP Basic as the admin account `cyberhub init` printed, or "
                   "add accounts with `cyberhub accounts add`. Stop with Ctrl-C.")

    emit(as_json, data, human)
    sys.stdout.flush()
    server.run(loaded)


@click.command()
@json_option
@handle_errors
def info(as_json: bool) -> None:
    """Show the hub identity, its URLs and its collections."""
    loaded, db = open_database()
    with db.session() as session:
        identity = setup.hub_identity(session) or {}
        items = [collections.summary(c) for c in collections.list_collections(session)]
    data = {
        "hub_identity": identity.get("id"),
        "discovery_url": loaded.discovery_url,
        "api_root": loaded.api_root_url,
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


@click.command()
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 1440),
              help="Minutes between full correlation passes.")
@click.option("--push-seconds", default=10, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds between rounds of advisory push notifications.")
@handle_errors
def scheduler(minutes: int, push_seconds: int) -> None:
    """Run the hub's scheduled jobs until stopped: the full correlation pass, advisory pushes,
    housekeeping (expired statuses and replay records, database statistics), the external
    feeds that are on, e-mail notifications when set up, and forwarding to upstream hubs."""
    hub = open_hub()
    logging.basicConfig(level=hub.settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    jobs.run(hub, minutes=minutes, push_seconds=push_seconds)


COMMANDS = (init, serve, info, scheduler)

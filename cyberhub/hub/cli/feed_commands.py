"""`cyberhub feeds`: the external feeds - list them, add one of one's own, switch them on and
off, run one now, and read their health. Changes are audited with the actor `cli`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import jobs
from cyberhub.hub.cli.account_commands import ACTOR
from cyberhub.hub.cli.common import handle_errors, open_database, open_hub
from cyberhub.hub.feeds import registry, runs, schedule


def _when(us: int | None) -> str:
    return timestamps.format_us(us)[:19].replace("T", " ") if us else "-"



@click.group("feeds")
def feeds_group() -> None:
    """External threat feeds: CSAF advisories, CISA KEV, abuse.ch lists, MISP, TAXII."""


@feeds_group.command("list")
@json_option
@handle_errors
def feeds_list(as_json: bool) -> None:
    """List the feeds, whether each is on, and when it last ran."""
    loaded, db = open_database()
    with db.session() as session:
        data = [item.health() for item in registry.known(session, loaded.feeds_dir)]

    def human(items: list[dict[str, Any]]) -> None:
        if not items:
            click.echo(f"No feeds (feed files go in {loaded.feeds_dir}).")
        for item in items:
            state = "on " if item["enabled"] else "off"
            click.echo(f"{item['feed']:<24} {state} {item['format']:<12} every "
                       f"{item['every']:<4} TLP:{item['tlp']:<13} last success "
                       f"{_when(item['last_success'])}  {item['title']}")

    emit(as_json, data, human)


@feeds_group.command("add")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@json_option
@handle_errors
def feeds_add(path: Path, as_json: bool) -> None:
    """Add a feed of one's own from a feed file (TOML, as those in the feeds directory)."""
    loaded, db = open_database()
    with db.writing() as session:
        feed = registry.add(session, loaded.feeds_dir, path, actor=ACTOR,
                            now=timestamps.now_us())
        data = {"feed": feed.name, "format": feed.format, "enabled": feed.enabled}
    emit(as_json, data, lambda d: click.echo(
        f"Added feed {d['feed']} ({d['format']}, {'on' if d['enabled'] else 'off'})."))


def _switch(name: str, enabled: bool, as_json: bool) -> None:
    loaded, db = open_database()
    with db.writing() as session:
        item = registry.set_enabled(session, loaded.feeds_dir, name, enabled, actor=ACTOR,
                                    now=timestamps.now_us())
        data = item.health()
    emit(as_json, data, lambda d: click.echo(
        f"Feed {d['feed']} is {'on' if d['enabled'] else 'off'}."))


@feeds_group.command("enable")
@click.argument("name")
@json_option
@handle_errors
def feeds_enable(name: str, as_json: bool) -> None:
    """Switch the feed NAME on: the scheduler runs it from its next look."""
    _switch(name, True, as_json)


@feeds_group.command("disable")
@click.argument("name")
@json_option
@handle_errors
def feeds_disable(name: str, as_json: bool) -> None:
    """Switch the feed NAME off (what it brought stays, and expires in its time)."""
    _switch(name, False, as_json)


@feeds_group.command("due")
@click.argument("name")
@json_option
@handle_errors
def feeds_due(name: str, as_json: bool) -> None:
    """Make the feed NAME due now: the scheduler runs it on its next look (about 30 s)."""
    loaded, db = open_database()
    with db.writing() as session:
        item = schedule.due_now(session, loaded.feeds_dir, name, actor=ACTOR,
                                now=timestamps.now_us())
        data = item.health()
    emit(as_json, data, lambda d: click.echo(
        f"Feed {d['feed']} is due now; the scheduler runs it on its next look."))


@feeds_group.command("sync")
@click.argument("name")
@json_option
@handle_errors
def feeds_sync(name: str, as_json: bool) -> None:
    """Run the feed NAME now, in the foreground (also when it is off)."""
    hub = open_hub()
    now = timestamps.now_us()
    with hub.db.writing() as session:
        item = registry.find(session, hub.settings.feeds_dir, name)
        claimed = schedule.claim(session, item.feed, now=now, force=True)
    if not claimed:
        raise CommandError(f"feed {name} is being synced by another process right now")
    bar = tqdm(desc=name, unit=" entries", disable=None, leave=False)

    def progress(result: runs.Result) -> None:
        bar.update(result.fetched + result.skipped - bar.n)

    result = jobs.run_feed(hub, item.feed, now=now, progress=progress)
    bar.close()

    def human(counts: dict[str, Any]) -> None:
        click.echo(f"{counts['feed']}: {counts['fetched']} fetched, {counts['added']} added, "
                   f"{counts['updated']} updated, {counts['expired']} expired, "
                   f"{counts['skipped']} skipped"
                   + (" (unchanged since the last run)" if result.unchanged else ""))
        for error in counts["errors"]:
            click.echo(f"  {error}")

    emit(as_json, result.counts(), human)
    if result.failed:
        raise SystemExit(1)


@feeds_group.command("status")
@click.argument("name", required=False)
@json_option
@handle_errors
def feeds_status(name: str | None, as_json: bool) -> None:
    """The health of every feed, or of the feed NAME: last attempt and success, the counts
    of the last run and its first error."""
    loaded, db = open_database()
    with db.session() as session:
        items = ([registry.find(session, loaded.feeds_dir, name)] if name
                 else registry.known(session, loaded.feeds_dir))
        data = [item.health() for item in items]

    def human(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            counts = row["last_counts"] or {}
            click.echo(f"{row['feed']} ({'on' if row['enabled'] else 'off'}): last attempt "
                       f"{_when(row['last_attempt'])}, last success "
                       f"{_when(row['last_success'])}, failures in a row {row['failures']}, "
                       f"next due {_when(row['next_due'])}")
            if counts:
                click.echo(f"  last run: {counts.get('fetched', 0)} fetched, "
                           f"{counts.get('added', 0)} added, {counts.get('updated', 0)} "
                           f"updated, {counts.get('expired', 0)} expired, "
                           f"{counts.get('skipped', 0)} skipped")
            if row["last_error"]:
                click.echo(f"  last error: {row['last_error']}")

    emit(as_json, data if name is None else data[0], human if name is None
         else lambda row: human([row]))


COMMANDS = (feeds_group,)

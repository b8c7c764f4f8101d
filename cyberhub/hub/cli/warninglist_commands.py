"""`cyberhub warninglists`: values that must never link two towns' reports.

The operator's own entries (`add`, `list`, `remove`; kept in the database, audited with the
actor `cli`), which list covers a value (`check`), and a run of the warning-list feeds now
(`update`). Every hub process follows a change within `warninglists.CHECK_SECONDS`; the
scheduler's next full pass re-marks the correlation index.
"""

from __future__ import annotations

from typing import Any

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub import jobs
from cyberhub.hub.cli.account_commands import ACTOR
from cyberhub.hub.cli.common import handle_errors, open_database, open_hub
from cyberhub.hub.correlation import index_keys, values
from cyberhub.hub.correlation import warninglists as lists_
from cyberhub.hub.feeds import registry, schedule

KIND_HELP = ("cidr (an address or network), hostname (a name and all below it), or an exact "
             "url, email or hash (ALGORITHM:HEX); guessed when not given")


def _kind(value: str, kind: str | None) -> str:
    if kind:
        return kind
    guessed = values.guess_kind(value.strip())
    if guessed in ("ipv4", "ipv6"):
        return "cidr"
    if guessed == "domain":
        return "hostname"
    if guessed in ("url", "email"):
        return guessed
    if ":" in value:
        return "hash"
    raise CommandError(f"cannot tell what {value!r} is; give --kind")


_KIND = click.option("--kind", type=click.Choice(lists_.LOCAL_KINDS), help=KIND_HELP)


@click.group("warninglists")
def warninglists_group() -> None:
    """Warning lists: values that never link reports (local entries, MISP lists)."""


@warninglists_group.command("add")
@click.argument("value")
@_KIND
@click.option("--note", required=True, help="Why it must never link (shown where it silences).")
@json_option
@handle_errors
def warninglists_add(value: str, kind: str | None, note: str, as_json: bool) -> None:
    """Add VALUE (e.g. the Land's own mail gateway) to the local allow entries."""
    _, db = open_database()
    kind = _kind(value, kind)
    with db.writing() as session:
        entry = lists_.add_local(session, kind, value, note=note, actor=ACTOR,
                                 now=timestamps.now_us())
        data = {"kind": entry.kind, "value": entry.value, "note": entry.note,
                "list": lists_.local_name(entry.note)}
    emit(as_json, data, lambda d: click.echo(
        f"Added {d['kind']} {d['value']}: it no longer links reports (list '{d['list']}')."))


@warninglists_group.command("remove")
@click.argument("value")
@_KIND
@json_option
@handle_errors
def warninglists_remove(value: str, kind: str | None, as_json: bool) -> None:
    """Remove VALUE from the local allow entries."""
    _, db = open_database()
    kind = _kind(value, kind)
    with db.writing() as session:
        lists_.remove_local(session, kind, value, actor=ACTOR, now=timestamps.now_us())
    emit(as_json, {"kind": kind, "value": value, "removed": True},
         lambda d: click.echo(f"Removed {d['kind']} {d['value']}."))


@warninglists_group.command("list")
@json_option
@handle_errors
def warninglists_list(as_json: bool) -> None:
    """The local allow entries and the lists the warning-list feeds brought."""
    _, db = open_database()
    with db.session() as session:
        data = {"local": lists_.local_entries(session), "feeds": lists_.stored_lists(session)}

    def human(d: dict[str, Any]) -> None:
        click.echo(f"Local allow entries ({len(d['local'])}):")
        for e in d["local"]:
            click.echo(f"  {e['kind']:<8} {e['value']:<40} {e['note']} "
                       f"({e['added_by']}, {timestamps.format_us(e['added'])[:10]})")
        click.echo(f"Lists from warning-list feeds ({len(d['feeds'])}):")
        for r in d["feeds"]:
            click.echo(f"  {r['ident']:<38} {r['type']:<8} {r['count']:>6}  {r['name']}")

    emit(as_json, data, human)


def _keys(value: str, kind: str | None) -> list[tuple[str, str]]:
    """The index keys a report with this value would have."""
    text = value.strip()
    kind = kind or values.guess_kind(text) or ("hash" if ":" in text else None)
    if kind in ("cidr", "ipv4", "ipv6"):
        return index_keys.ip_keys(text)
    if kind in ("hostname", "domain"):
        return index_keys.domain_keys(text)
    if kind == "url":
        return index_keys.url_keys(text)
    if kind == "email":
        return index_keys.email_keys(text)
    if kind == "hash":
        algorithm, _, digest = text.partition(":")
        key = index_keys.hash_key(algorithm, digest)
        return [key] if key else []
    return []


@warninglists_group.command("check")
@click.argument("value")
@_KIND
@json_option
@handle_errors
def warninglists_check(value: str, kind: str | None, as_json: bool) -> None:
    """Which list, if any, keeps VALUE (and the keys made of it) from linking."""
    keys = _keys(value, kind)
    if not keys:
        raise CommandError(f"cannot tell what {value!r} is; give --kind")
    hub = open_hub()
    data = lists_.covering(hub.correlator.lists, keys)

    def human(rows: list[dict[str, Any]]) -> None:
        for row in rows:
            where = (f"listed: {row['list']} ({row['origin']})" if row["list"]
                     else "not listed: it links")
            click.echo(f"{row['kind']:<10} {row['value']:<45} {where}")

    emit(as_json, data, human)
    hub.close()


@warninglists_group.command("update")
@json_option
@handle_errors
def warninglists_update(as_json: bool) -> None:
    """Run the warning-list feeds now (also those that are off), as the scheduler does."""
    hub = open_hub()
    now = timestamps.now_us()
    with hub.db.session() as session:
        feeds = [item.feed for item in registry.known(session, hub.settings.feeds_dir)
                 if item.feed.format == "warninglists"]
    if not feeds:
        raise CommandError("no warning-list feed; see `cyberhub feeds list`")
    results = []
    for feed in feeds:
        with hub.db.writing() as session:
            if not schedule.claim(session, feed, now=now, force=True):
                raise CommandError(f"feed {feed.name} is being synced by another process")
        results.append(jobs.run_feed(hub, feed, now=now))

    def human(rows: list[dict[str, Any]]) -> None:
        for counts in rows:
            click.echo(f"{counts['feed']}: {counts['fetched']} lists read, {counts['added']} "
                       f"added, {counts['updated']} changed, {counts['expired']} removed, "
                       f"{counts['skipped']} lists or entries not used")
            for error in counts["errors"][:5]:
                click.echo(f"  {error}")

    emit(as_json, [r.counts() for r in results], human)
    hub.close()
    if any(r.failed for r in results):
        raise SystemExit(1)


COMMANDS = (warninglists_group,)

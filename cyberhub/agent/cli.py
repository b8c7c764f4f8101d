"""The `cyberhub-agent` command. Every subcommand takes `--json`; errors are one line and a
non-zero exit. The data directory is CYBERHUB_AGENT_HOME (default ~/.cyberhub-agent)."""

from __future__ import annotations

import functools
import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import click

from cyberhub.agent import (
    advisory_views,
    answer_views,
    collecting,
    daemon,
    enrolment,
    questions,
    reporting,
    sender,
)
from cyberhub.agent.context import Agent, NotEnrolled, open_agent
from cyberhub.agent.description import DescriptionError, load
from cyberhub.agent.hub_client import HubError
from cyberhub.agent.node_key import KeyFileError
from cyberhub.agent.node_settings import ConfigError, load_settings
from cyberhub.agent.store import StoreError
from cyberhub.core.clitools import CommandError, emit, json_option


def handle_errors(func: Callable) -> Callable:
    """Failures an operator can cause become one-line errors, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (ConfigError, DescriptionError, enrolment.EnrolmentError, HubError,
                KeyFileError, NotEnrolled, StoreError) as exc:
            raise CommandError(str(exc)) from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            raise CommandError(f"{exc.strerror or exc}{where}") from None

    return wrapper


def _agent(daemon: bool = False) -> Agent:
    settings = load_settings()
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise CommandError(f"invalid setting log_level: {settings.log_level!r} is not one of "
                           "DEBUG, INFO, WARNING, ERROR")
    # A command's own output already says what happened; its log adds only the warnings.
    logging.basicConfig(level=level if daemon else max(level, logging.WARNING),
                        stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    return open_agent(settings)


def _ago(epoch: float | None) -> str:
    if not epoch:
        return "never"
    seconds = int(time.time() - epoch)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _when(epoch: float | None) -> str | None:
    if not epoch:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cyberhub")
def main() -> None:
    """cyberhub-agent: report incidents to the hub, and act on its advisories.

    Start with `cyberhub-agent enroll --hub URL --token TOKEN`, then `report FILE`
    (see config/incident.example.yaml) or `report --interactive`, and run `cyberhub-agent run`
    as a service (config/cyberhub-agent.service).
    """


@main.command()
@click.option("--hub", "hub_url", required=True,
              help="The hub's base URL, e.g. https://hub.example.org")
@click.option("--token", required=True, help="The one-time enrolment token from the analysts.")
@json_option
@handle_errors
def enroll(hub_url: str, token: str, as_json: bool) -> None:
    """Make this node's key, register it with the hub, and store the hub's keys."""
    agent = _agent()
    result = enrolment.enroll(agent, hub_url, token)
    emit(as_json, result, lambda r: click.echo(
        f"enrolled as {r['slug']} ({r['identity']}) with {r['hub']}\n"
        f"signing key {r['kid']} stays in {agent.settings.home}; only its public half was sent\n"
        "next: `cyberhub-agent report FILE` or `cyberhub-agent report --interactive`"))


def _send_now(agent: Agent) -> dict[str, Any]:
    result = sender.send_due(agent)
    return {"delivered": len(result.delivered), "refused": len(result.refused),
            "waiting": agent.store.counts()["queued"], "error": result.error}


@main.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option("--interactive", "-i", is_flag=True, help="Answer a few questions instead.")
@click.option("--no-send", is_flag=True, help="Only queue it; `run` or `send` sends it.")
@json_option
@handle_errors
def report(file: Path | None, interactive: bool, no_send: bool, as_json: bool) -> None:
    """Queue an incident report from a description FILE (YAML or JSON) and send it."""
    agent = _agent()
    agent.require_enrolled()
    if interactive == (file is not None):
        raise CommandError("give a description FILE or --interactive (one of them)")
    if interactive:
        description, saved = questions.ask(agent)
        source = "interactive"
    else:
        description, saved, source = load(file), file, "file"
    queued = reporting.queue_report(agent, description, source=source)
    queued["file"] = str(saved)
    if not no_send:
        queued["send"] = _send_now(agent)
    # Judged by the report's state, not this process's send: the service may have sent it.
    queued["state"] = agent.store.report_state(queued["seq"])

    def human(q: dict[str, Any]) -> None:
        what = "a new version of" if q["new_version"] else "a report of"
        click.echo(f"queued {what} incident {q['incident_key']} ({q['stage']}, "
                   f"TLP:{q['tlp'].upper()}, {q['objects']} STIX objects) as report {q['seq']}")
        if interactive:
            click.echo(f"the description is saved in {q['file']}: edit it and report it again "
                       "for the next stage")
        sent = q.get("send")
        if sent and q["state"] == "delivered":
            click.echo("delivered to the hub")
        elif sent and q["state"] == "refused":
            click.echo("the hub refused it; see `cyberhub-agent queue`")
        elif sent:
            click.echo(f"not delivered yet ({sent['error'] or 'waiting'}); it stays queued "
                       "and `cyberhub-agent run` keeps trying")

    emit(as_json, queued, human)


@main.command()
@click.option("--all", "show_all", is_flag=True, help="Include delivered reports.")
@json_option
@handle_errors
def queue(show_all: bool, as_json: bool) -> None:
    """List the reports waiting to be sent (and those the hub refused)."""
    agent = _agent()
    states = ("queued", "refused", "delivered") if show_all else ("queued", "refused")
    rows = [{"seq": r.seq, "state": r.state, "incident": r.incident, "stage": r.stage,
             "title": r.title, "source": r.source, "objects": len(r.objects),
             "queued": _when(r.queued_at), "attempts": r.attempts,
             "next_attempt": _when(r.next_attempt) if r.state == "queued" else None,
             "last_error": r.last_error, "delivered": _when(r.delivered_at)}
            for r in agent.store.reports(states=states)]

    def human(data: list[dict[str, Any]]) -> None:
        if not data:
            click.echo("nothing waits in the queue" if not show_all else "no reports yet")
        for row in data:
            line = (f"{row['seq']:>4}  {row['state']:<9}  {row['incident']} ({row['stage']}): "
                    f"{row['title']}")
            if row["state"] == "queued" and row["attempts"]:
                line += f"  [{row['attempts']} tries, next {row['next_attempt']}]"
            click.echo(line)
            if row["last_error"] and row["state"] != "delivered":
                click.echo(f"      last problem: {row['last_error']}")

    emit(as_json, rows, human)


@main.command()
@json_option
@handle_errors
def send(as_json: bool) -> None:
    """Send every queued report now, without waiting for the retry schedule."""
    agent = _agent()
    agent.require_enrolled()
    sender.retry_now(agent)
    result = _send_now(agent)
    if result["error"] and not result["delivered"]:
        raise CommandError(f"nothing sent: {result['error']}; {result['waiting']} report(s) "
                           "stay queued")
    emit(as_json, result, lambda r: click.echo(
        f"{r['delivered']} delivered, {r['refused']} refused, {r['waiting']} still queued"))


@main.command()
@handle_errors
def run() -> None:
    """Run the agent: send the queue, poll for advisories, read the logs (until stopped)."""
    daemon.run(_agent(daemon=True))


@main.command()
@click.option("--send", "send_now", is_flag=True, help="Queue the report instead of a draft.")
@json_option
@handle_errors
def collect(send_now: bool, as_json: bool) -> None:
    """Read the configured logs once and write a draft report of what they show."""
    agent = _agent()
    agent.require_enrolled()
    if not agent.settings.collectors:
        raise CommandError("no collectors are configured; add [[collectors]] to agent.toml "
                           "(see config/node.example.toml)")
    result = collecting.collect(agent, send=send_now)
    data = {"findings": len(result.findings), "explanations": result.explanations,
            "draft": str(result.draft) if result.draft else None, "queued": result.queued,
            "sightings": len(result.sightings), "errors": result.errors}

    def human(d: dict[str, Any]) -> None:
        for error in d["errors"]:
            click.echo(f"warning: {error}", err=True)
        if not d["findings"]:
            click.echo("nothing worth reporting in the new log lines")
        for line in d["explanations"]:
            click.echo(line)
        if d["draft"]:
            click.echo(f"draft written: {d['draft']}\nread it, then send it with "
                       f"`cyberhub-agent report {d['draft']}`")
        if d["queued"]:
            click.echo(f"queued as report {d['queued']}")
        if d["sightings"]:
            click.echo(f"{d['sightings']} sighting(s) of advisory indicators queued")

    emit(as_json, data, human)


@main.group(name="advisories", invoke_without_command=True)
@click.pass_context
def advisories_group(ctx: click.Context) -> None:
    """The advisories the hub sent, and what was done with them."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(advisories_list)


@advisories_group.command(name="list")
@json_option
@handle_errors
def advisories_list(as_json: bool = False) -> None:
    """List advisories, newest first."""
    data = advisory_views.summaries(_agent())

    def human(rows: list[dict[str, Any]]) -> None:
        if not rows:
            click.echo("no advisories yet")
        for row in rows:
            severity = f" [{row['severity']}]" if row["severity"] else ""
            click.echo(f"{row['id']}  {row['state']:<9} {row['received']}{severity}  "
                       f"{row['title']}")

    emit(as_json, data, human)


@advisories_group.command(name="show")
@click.argument("advisory_id")
@json_option
@handle_errors
def advisories_show(advisory_id: str, as_json: bool) -> None:
    """Show one advisory: what to block and what to do."""
    data = advisory_views.detail(_agent(), advisory_id)
    if data is None:
        raise CommandError(f"no advisory {advisory_id!r}; see `cyberhub-agent advisories list`")

    def human(d: dict[str, Any]) -> None:
        click.echo(f"{d['title']}\n{d['id']} (version {d['version']}, {d['state']}, "
                   f"TLP:{(d['tlp'] or 'none').upper()}"
                   + (f", severity {d['severity']}" if d["severity"] else "") + ")")
        if d["description"]:
            click.echo("\n" + d["description"])
        if d["blocked"]:
            click.echo("\nblocked by the blocklists:")
            for value in d["blocked"]:
                click.echo(f"  {value}")
        if d["playbook"]:
            click.echo("\nwhat to do:")
            for number, step in enumerate(d["playbook"], 1):
                click.echo(f"  {number}. {step}")

    emit(as_json, data, human)


@main.command(name="answers", help=answer_views.TEXTS["command"],
              short_help=answer_views.TEXTS["command_short"])
@click.option("--unread", "unread_only", is_flag=True, help=answer_views.TEXTS["unread_option"])
@json_option
@handle_errors
def answers_command(unread_only: bool, as_json: bool) -> None:
    agent = _agent()
    data = answer_views.listing(agent, unread_only=unread_only)
    emit(as_json, data, lambda rows: click.echo(answer_views.render(
        rows, unread_only=unread_only)))
    # Shown is read: `status` counts only what nobody has seen yet.
    agent.store.mark_answers_read([row["id"] for row in data], at=time.time())


@main.command()
@json_option
@handle_errors
def status(as_json: bool) -> None:
    """Queue depth, last contact with the hub, key id, advisories applied."""
    agent = _agent()
    store = agent.store
    counts = store.counts()
    oldest = store.oldest_queued()
    drafts = sorted(agent.settings.drafts.glob("*.yaml")) if agent.settings.drafts.exists() \
        else []
    data = {
        "enrolled": agent.enrolled, "node": store.get("slug"), "identity": store.get("identity"),
        "hub": store.get("hub_url"), "key_id": agent.kid() if agent.enrolled else None,
        "last_contact": _when(store.get("last_contact")),
        "queue": {**counts, "oldest_queued": _when(oldest)},
        "advisories": store.advisory_counts(),
        "refused_advisory_content": store.refusal_count(),
        "answers": store.answer_counts(),
        "blocklists": str(agent.settings.blocklists), "drafts": [str(p) for p in drafts],
        "home": str(agent.settings.home),
    }

    def human(d: dict[str, Any]) -> None:
        if not d["enrolled"]:
            click.echo(f"not enrolled yet (data in {d['home']}); run `cyberhub-agent enroll "
                       "--hub URL --token TOKEN`")
            return
        q = d["queue"]
        click.echo(f"node         {d['node']} ({d['identity']})")
        click.echo(f"hub          {d['hub']}, last contact {_ago(store.get('last_contact'))}")
        click.echo(f"signing key  {d['key_id']}")
        waiting = f"{q['queued']} waiting" + (f" (oldest since {q['oldest_queued']})"
                                              if q["oldest_queued"] else "")
        click.echo(f"reports      {waiting}, {q['delivered']} delivered, {q['refused']} refused")
        adv = d["advisories"]
        click.echo(f"advisories   {adv.get('applied', 0)} in force, {adv.get('withdrawn', 0)} "
                   f"withdrawn, {d['refused_advisory_content']} refused as unsigned or "
                   "tampered")
        click.echo(f"blocklists   {d['blocklists']}")
        if d["answers"]["total"]:
            click.echo(answer_views.status_line(d["answers"]))
        if d["drafts"]:
            click.echo(f"drafts       {len(d['drafts'])} to review in {agent.settings.drafts}")

    emit(as_json, data, human)


@main.group(name="keys")
def keys_group() -> None:
    """The node's signing key."""


@keys_group.command(name="rotate")
@json_option
@handle_errors
def keys_rotate(as_json: bool) -> None:
    """Make a new key, register it with the hub, and retire the old one."""
    result = enrolment.rotate_key(_agent())
    emit(as_json, result, lambda r: click.echo(
        f"new signing key {r['kid']} registered; the old key {r['retired']} is retired and "
        "deleted"))

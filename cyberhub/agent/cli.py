"""The `cyberhub-agent` command. Every subcommand takes `--json`; errors are one line and a
non-zero exit. The data directory is CYBERHUB_AGENT_HOME (default ~/.cyberhub-agent).

Everything a person reads comes from the catalog (tables `agent.cli` and `agent.help`), German
unless the locale or CYBERHUB_LANGUAGE asks for English. The help texts are fixed when click
builds the commands, so they take the language of the process at import; the output takes the
language once per run, in the group's callback. `--json` output stays as it is, for programs."""

from __future__ import annotations

import logging
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from cyberhub.agent import (
    advisory_views,
    answer_views,
    clocks,
    collecting,
    daemon,
    enrolment,
    install_commands,
    questions,
    reporting,
    sender,
)
from cyberhub.agent.command_line import (
    LANGUAGE_KEY,
    AgentGroup,
    Failure,
    handle_errors,
    json_option,
)
from cyberhub.agent.command_line import help_text as _h
from cyberhub.agent.command_line import run_language as _lang
from cyberhub.agent.command_line import run_say as _say
from cyberhub.agent.context import Agent, open_agent
from cyberhub.agent.description import load
from cyberhub.agent.node_settings import load_settings
from cyberhub.agent.texts import moment, stix_moment
from cyberhub.core import messages
from cyberhub.core.clitools import emit


def _agent(daemon: bool = False) -> Agent:
    settings = load_settings()
    level = logging.getLevelName(settings.log_level.upper())
    if not isinstance(level, int):
        raise Failure(_say("agent.cli.bad_log_level", value=repr(settings.log_level)))
    # A command's own output already says what happened; its log adds only the warnings.
    logging.basicConfig(level=level if daemon else max(level, logging.WARNING),
                        stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    return open_agent(settings)


def _when(epoch: float | None) -> str | None:
    """A time for `--json`: ISO 8601 in UTC, as programs read it."""
    if not epoch:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _stage(stage: str) -> str:
    return messages.label("agent.stage", stage, _lang())


@click.group(cls=AgentGroup, name="cyberhub-agent", help=_h("agent.help.main"),
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cyberhub", help=_h("agent.help.version"),
                      message=_h("agent.help.version_message"))
@click.pass_context
def main(ctx: click.Context) -> None:
    ctx.meta[LANGUAGE_KEY] = messages.from_environment(os.environ)


@main.command(help=_h("agent.help.enroll"))
@click.option("--hub", "hub_url", required=True, help=_h("agent.help.enroll_hub"))
@click.option("--token", required=True, help=_h("agent.help.enroll_token"))
@json_option
@handle_errors
def enroll(hub_url: str, token: str, as_json: bool) -> None:
    agent = _agent()
    result = enrolment.enroll(agent, hub_url, token)
    emit(as_json, result, lambda r: click.echo(_say(
        "agent.cli.enrolled", slug=r["slug"], identity=r["identity"], hub=r["hub"],
        kid=r["kid"], home=agent.settings.home)))


def _send_now(agent: Agent) -> dict[str, Any]:
    result = sender.send_due(agent)
    return {"delivered": len(result.delivered), "refused": len(result.refused),
            "waiting": agent.store.counts()["queued"], "error": result.error}


@main.command(help=_h("agent.help.report"))
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False),
                metavar=f"[{_h('agent.help.file_metavar')}]")
@click.option("--interactive", "-i", is_flag=True, help=_h("agent.help.report_interactive"))
@click.option("--no-send", is_flag=True, help=_h("agent.help.report_no_send"))
@json_option
@handle_errors
def report(file: Path | None, interactive: bool, no_send: bool, as_json: bool) -> None:
    agent = _agent()
    agent.require_enrolled()
    if interactive == (file is not None):
        raise Failure(_say("agent.cli.file_or_interactive"))
    if interactive:
        description, saved = questions.ask(agent)
        source = "interactive"
    else:
        description, saved, source = load(file, language=_lang()), file, "file"
    queued = reporting.queue_report(agent, description, source=source)
    if interactive:
        questions.finished(agent)  # the answers' draft is done with
    queued["file"] = str(saved)
    if not no_send:
        queued["send"] = _send_now(agent)
    # Judged by the report's state, not this process's send: the service may have sent it.
    queued["state"] = agent.store.report_state(queued["seq"])

    def human(q: dict[str, Any]) -> None:
        click.echo(_say("agent.cli.queued_new_version" if q["new_version"]
                        else "agent.cli.queued_report", incident=q["incident_key"],
                        stage=_stage(q["stage"]), tlp=q["tlp"].upper(),
                        objects=messages.number(q["objects"], _lang()), seq=q["seq"]))
        if interactive:
            click.echo(_say("agent.cli.description_saved", file=q["file"]))
        sent = q.get("send")
        if sent and q["state"] == "delivered":
            click.echo(_say("agent.cli.delivered"))
        elif sent and q["state"] == "refused":
            click.echo(_say("agent.cli.refused"))
        elif sent:
            click.echo(_say("agent.cli.not_delivered_yet",
                            reason=sent["error"] or _say("agent.cli.waiting")))

    emit(as_json, queued, human)


@main.group(name="queue", invoke_without_command=True, help=_h("agent.help.queue"))
@click.option("--all", "show_all", is_flag=True, help=_h("agent.help.queue_all"))
@json_option
@click.pass_context
@handle_errors
def queue_group(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    if ctx.invoked_subcommand is not None:
        return
    agent = _agent()
    states = ("queued", "refused", "delivered") if show_all else ("queued", "refused")
    reports = agent.store.reports(states=states)
    rows = [{"seq": r.seq, "state": r.state, "incident": r.incident, "stage": r.stage,
             "title": r.title, "source": r.source, "objects": len(r.objects),
             "queued": _when(r.queued_at), "attempts": r.attempts,
             "next_attempt": _when(r.next_attempt) if r.state == "queued" else None,
             "last_error": r.last_error, "delivered": _when(r.delivered_at)}
            for r in reports]
    next_attempt = {r.seq: r.next_attempt for r in reports}

    def human(data: list[dict[str, Any]]) -> None:
        if not data:
            click.echo(_say("agent.cli.queue_empty" if not show_all else "agent.cli.no_reports"))
        for row in data:
            state = messages.label("agent.state", row["state"], _lang())
            line = (f"{row['seq']:>4}  {state:<12}  {row['incident']} "
                    f"({_stage(row['stage'])}): {row['title']}")
            if row["state"] == "queued" and row["attempts"]:
                line += "  " + _say("agent.cli.queue_attempts", attempts=row["attempts"],
                                    next=moment(next_attempt[row["seq"]], _lang()))
            click.echo(line)
            if row["last_error"] and row["state"] != "delivered":
                click.echo("      " + _say("agent.cli.last_problem", problem=row["last_error"]))

    emit(as_json, rows, human)


def _confirmed(question: str) -> bool:
    """Yes in the reader's words ("j" or "ja" in German); anything else, or no answer, is no."""
    try:
        answer = click.prompt(f"{question} {_say('agent.confirm.yes_no')}", default="",
                              show_default=False, err=True)
    except click.Abort:  # end of input
        return False
    return answer.strip().lower() in _say("agent.confirm.yes_words").split(",")


@queue_group.command(name="remove", help=_h("agent.help.queue_remove"))
@click.argument("seq", type=int, metavar=_h("agent.help.queue_remove_metavar"))
@click.option("--yes", "-y", "confirmed", is_flag=True, help=_h("agent.help.queue_remove_yes"))
@json_option
@handle_errors
def queue_remove(seq: int, confirmed: bool, as_json: bool) -> None:
    agent = _agent()
    found = agent.store.report(seq)
    if found is None:
        raise Failure(_say("agent.sender.no_such_report", seq=seq))
    if not confirmed:
        question = _say("agent.cli.remove_question", seq=seq, incident=found.incident,
                        stage=_stage(found.stage), title=found.title)
        if not _confirmed(question):
            raise Failure(_say("agent.cli.remove_cancelled", seq=seq))
    removed = sender.remove(agent, seq)
    data = {"removed": removed.seq, "incident": removed.incident, "stage": removed.stage,
            "title": removed.title}
    emit(as_json, data, lambda d: click.echo(_say(
        "agent.cli.removed", seq=d["removed"], incident=d["incident"],
        stage=_stage(d["stage"]))))


@main.command(help=_h("agent.help.send"))
@json_option
@handle_errors
def send(as_json: bool) -> None:
    agent = _agent()
    agent.require_enrolled()
    sender.retry_now(agent)
    result = _send_now(agent)
    if result["error"] and not result["delivered"]:
        raise Failure(_say("agent.cli.nothing_sent", error=result["error"],
                           waiting=result["waiting"]))
    emit(as_json, result, lambda r: click.echo(_say(
        "agent.cli.sent", delivered=r["delivered"], refused=r["refused"], waiting=r["waiting"])))


@main.command(help=_h("agent.help.run"))
@handle_errors
def run() -> None:
    daemon.run(_agent(daemon=True))


@main.command(help=_h("agent.help.collect"))
@click.option("--send", "send_now", is_flag=True, help=_h("agent.help.collect_send"))
@json_option
@handle_errors
def collect(send_now: bool, as_json: bool) -> None:
    agent = _agent()
    agent.require_enrolled()
    if not agent.settings.collectors:
        raise Failure(_say("agent.cli.no_collectors"))
    result = collecting.collect(agent, send=send_now)
    data = {"findings": len(result.findings), "explanations": result.explanations,
            "draft": str(result.draft) if result.draft else None, "queued": result.queued,
            "sightings": len(result.sightings), "errors": result.errors}

    def human(d: dict[str, Any]) -> None:
        for error in d["errors"]:
            click.echo(_say("agent.cli.warning", message=error), err=True)
        if not d["findings"]:
            click.echo(_say("agent.cli.nothing_found"))
        for line in d["explanations"]:
            click.echo(line)
        if d["draft"]:
            click.echo(_say("agent.cli.draft_written", draft=d["draft"]))
        if d["queued"]:
            click.echo(_say("agent.cli.collected_queued", seq=d["queued"]))
        if d["sightings"]:
            click.echo(_say("agent.cli.sightings_queued", count=d["sightings"]))

    emit(as_json, data, human)


@main.group(name="advisories", invoke_without_command=True, help=_h("agent.help.advisories"))
@click.pass_context
def advisories_group(ctx: click.Context) -> None:
    if ctx.invoked_subcommand is None:
        ctx.invoke(advisories_list)


@advisories_group.command(name="list", help=_h("agent.help.advisories_list"))
@json_option
@handle_errors
def advisories_list(as_json: bool = False) -> None:
    data = advisory_views.summaries(_agent())
    emit(as_json, data, lambda rows: click.echo(advisory_views.render_list(rows, _lang())))


@advisories_group.command(name="show", help=_h("agent.help.advisories_show"))
@click.argument("advisory_id", metavar="ID")
@json_option
@handle_errors
def advisories_show(advisory_id: str, as_json: bool) -> None:
    data = advisory_views.detail(_agent(), advisory_id)
    if data is None:
        raise Failure(_say("agent.cli.no_advisory", advisory=repr(advisory_id)))
    emit(as_json, data, lambda d: click.echo(advisory_views.render_detail(d, _lang())))


@advisories_group.command(name="fetch", help=_h("agent.help.advisories_fetch"))
@json_option
@handle_errors
def advisories_fetch(as_json: bool) -> None:
    agent = _agent()
    agent.require_enrolled()
    result = daemon.poll_once(agent)
    data = {"applied": result.applied, "withdrawn": result.withdrawn, "refused": result.refused,
            "answers": len(result.answers), "blocklist_changes": result.blocklist_changes}
    emit(as_json, data, lambda d: click.echo(advisory_views.render_fetched(
        d, agent.store, _lang())))


@main.command(name="answers", help=_h("agent.help.answers"),
              short_help=_h("agent.help.answers_short"))
@click.option("--unread", "unread_only", is_flag=True, help=_h("agent.help.answers_unread"))
@json_option
@handle_errors
def answers_command(unread_only: bool, as_json: bool) -> None:
    agent = _agent()
    data = answer_views.listing(agent, unread_only=unread_only)
    emit(as_json, data, lambda rows: click.echo(answer_views.render(
        rows, _lang(), unread_only=unread_only)))
    # Shown is read: `status` counts only what nobody has seen yet.
    agent.store.mark_answers_read([row["id"] for row in data], at=time.time())


def _clock(clock: clocks.Clock) -> dict[str, Any]:
    return {"incident": clock.incident, "stage": clock.stage,
            "due": clock.due.isoformat(timespec="seconds"), "overdue": clock.overdue,
            "queued": clock.queued}


@main.command(help=_h("agent.help.status"))
@json_option
@handle_errors
def status(as_json: bool) -> None:
    agent = _agent()
    store = agent.store
    counts = store.counts()
    oldest = store.oldest_queued()
    drafts = sorted(agent.settings.drafts.glob("*.yaml")) if agent.settings.drafts.exists() \
        else []
    open_clocks = clocks.open_clocks(store, now=datetime.now(timezone.utc))
    data = {
        "enrolled": agent.enrolled, "node": store.get("slug"), "identity": store.get("identity"),
        "hub": store.get("hub_url"), "key_id": agent.kid() if agent.enrolled else None,
        "last_contact": _when(store.get("last_contact")),
        "queue": {**counts, "oldest_queued": _when(oldest)},
        "advisories": store.advisory_counts(),
        "refused_advisory_content": store.refusal_count(),
        "answers": store.answer_counts(),
        "reporting_clocks": [_clock(clock) for clock in open_clocks],
        "blocklists": str(agent.settings.blocklists), "drafts": [str(p) for p in drafts],
        "home": str(agent.settings.home),
    }

    def line(label: str, text: str) -> None:
        click.echo(f"{_say(label):<12} {text}")

    def human(d: dict[str, Any]) -> None:
        if not d["enrolled"]:
            click.echo(_say("agent.cli.not_enrolled", home=d["home"]))
            return
        q, adv = d["queue"], d["advisories"]
        line("agent.cli.status_node", f"{d['node']} ({d['identity']})")
        line("agent.cli.status_hub", _say("agent.cli.status_hub_text", hub=d["hub"],
                                          contact=moment(store.get("last_contact"), _lang())))
        line("agent.cli.status_key", d["key_id"])
        waiting = _say("agent.cli.status_waiting", count=q["queued"])
        if oldest:
            waiting += " " + _say("agent.cli.status_oldest", since=moment(oldest, _lang()))
        line("agent.cli.status_reports", _say("agent.cli.status_reports_text", waiting=waiting,
                                              delivered=q["delivered"], refused=q["refused"]))
        line("agent.cli.status_advisories", _say(
            "agent.cli.status_advisories_text", applied=adv.get("applied", 0),
            withdrawn=adv.get("withdrawn", 0), refused=d["refused_advisory_content"]))
        line("agent.cli.status_blocklists", d["blocklists"])
        if d["answers"]["total"]:
            click.echo(answer_views.status_line(d["answers"], _lang()))
        if d["drafts"]:
            line("agent.cli.status_drafts", _say("agent.cli.status_drafts_text",
                                                 count=len(d["drafts"]),
                                                 directory=agent.settings.drafts))
        for number, clock in enumerate(open_clocks):
            text = _say("agent.cli.clock_overdue" if clock.overdue else "agent.cli.clock_due",
                        incident=clock.incident, stage=_stage(clock.stage),
                        due=stix_moment(clock.due, _lang()))
            if clock.queued:
                text += " " + _say("agent.cli.clock_queued")
            label = _say("agent.cli.status_clocks") if number == 0 else ""
            click.echo(f"{label:<12} {text}")

    emit(as_json, data, human)


@main.group(name="keys", help=_h("agent.help.keys"))
def keys_group() -> None:
    pass


@keys_group.command(name="rotate", help=_h("agent.help.keys_rotate"))
@json_option
@handle_errors
def keys_rotate(as_json: bool) -> None:
    result = enrolment.rotate_key(_agent())
    emit(as_json, result, lambda r: click.echo(_say(
        "agent.cli.rotated", kid=r["kid"], retired=r["retired"])))


# Setting up the town's server (as root): the commands live with their plan in install.py.
main.add_command(install_commands.install_command)
main.add_command(install_commands.uninstall_command)

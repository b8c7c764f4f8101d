"""`cyberhub-agent install` and `cyberhub-agent uninstall`: the plans of `install`, printed step
by step. They need root (a dry run does not); every other command then runs as the service user
through the wrapper these write."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from cyberhub.agent import install
from cyberhub.agent.install import InstallError, Layout, Outcome
from cyberhub.core import messages
from cyberhub.core.clitools import CommandError, emit, json_option


def text(key: str, **values: object) -> str:
    """A text of these commands (catalog table agent.install_command), in the administrator's
    language: German unless the locale or CYBERHUB_LANGUAGE asks for English."""
    return messages.text(f"agent.install_command.{key}", messages.from_environment(os.environ),
                         **values)


def _layout_options(func: Any) -> Any:
    options = [
        click.option("--user", default=install.DEFAULT_USER, show_default=True,
                     help=text("user")),
        click.option("--data-dir", type=click.Path(path_type=Path), default=None,
                     help=text("data_dir", default=install.DEFAULT_DATA_DIR)),
        click.option("--blocklist-dir", type=click.Path(path_type=Path), default=None,
                     help=text("blocklist_dir", default=install.DEFAULT_BLOCKLIST_DIR)),
        click.option("--root", type=click.Path(path_type=Path, file_okay=False),
                     default=Path("/"), help=text("root")),
        click.option("--dry-run", is_flag=True, help=text("dry_run")),
        json_option,
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _layout(user: str, data_dir: Path | None, blocklist_dir: Path | None, root: Path,
            resolver_group: str | None = None, installed: bool = False) -> Layout:
    """With uninstall, the directories not given are those the installed unit names."""
    known = _installed_dirs(root) if installed else {}
    return Layout(user=user, resolver_group=resolver_group, root=root.absolute(),
                  data_dir=(data_dir or known.get("CYBERHUB_AGENT_HOME")
                            or install.DEFAULT_DATA_DIR).absolute(),
                  blocklist_dir=(blocklist_dir or known.get("CYBERHUB_AGENT_BLOCKLIST_DIR")
                                 or install.DEFAULT_BLOCKLIST_DIR).absolute())


def _installed_dirs(root: Path) -> dict[str, Path]:
    unit = root.absolute() / "etc/systemd/system" / install.SERVICE
    found = {}
    try:
        lines = unit.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return found
    for line in lines:
        key, _, value = line.removeprefix("Environment=").partition("=")
        if line.startswith("Environment=") and value.startswith("/"):
            found[key] = Path(value)
    return found


def _require_root(command: str, dry_run: bool) -> None:
    if not dry_run and os.geteuid() != 0:
        raise CommandError(text("not_root", command=command))


def _report(outcomes: list[Outcome], dry_run: bool, as_json: bool, notes: list[str]) -> None:
    changed = sum(o.state != "already" for o in outcomes)
    data = {"dry_run": dry_run, "changed": 0 if dry_run else changed,
            "steps": [{"step": o.text, "state": o.state} for o in outcomes], "notes": notes}

    def human(d: dict[str, Any]) -> None:
        for outcome in outcomes:
            click.echo(f"  {text(outcome.state):<16} {outcome.text}")
        if dry_run:
            click.echo(text("summary_dry", count=changed))
        else:
            click.echo(text("summary_changed" if changed else "summary_none", count=changed))
        for note in notes:
            click.echo(note)

    emit(as_json, data, human)


def _carry_out(steps: list[install.Step], dry_run: bool, as_json: bool) -> list[Outcome]:
    try:
        return install.carry_out(steps, dry_run)
    except InstallError as exc:
        if not as_json:  # what was done before the failure, so the admin knows where it stands
            for outcome in exc.outcomes:
                click.echo(f"  {text(outcome.state):<16} {outcome.text}")
        raise CommandError(text("stopped", count=len(exc.outcomes), why=exc)) from None


@click.command(name="install", help=text("install_help"))
@click.option("--resolver-group", default=None, help=text("resolver_group"))
@_layout_options
def install_command(user: str, data_dir: Path | None, blocklist_dir: Path | None, root: Path,
                    dry_run: bool, as_json: bool, resolver_group: str | None) -> None:
    _require_root("install", dry_run)
    layout = _layout(user, data_dir, blocklist_dir, root, resolver_group)
    try:
        steps = install.install_plan(layout)
    except InstallError as exc:
        raise CommandError(str(exc)) from None
    outcomes = _carry_out(steps, dry_run, as_json)
    notes = [] if layout.systemd else [text("next_no_systemd")]
    _report(outcomes, dry_run, as_json, notes + [text("next_systemd")])


@click.command(name="uninstall", help=text("uninstall_help"))
@click.option("--purge", is_flag=True, help=text("purge"))
@click.option("--yes", is_flag=True, help=text("yes"))
@_layout_options
def uninstall_command(user: str, data_dir: Path | None, blocklist_dir: Path | None, root: Path,
                      dry_run: bool, as_json: bool, purge: bool, yes: bool) -> None:
    _require_root("uninstall", dry_run)
    layout = _layout(user, data_dir, blocklist_dir, root, installed=True)
    try:
        steps = install.uninstall_plan(layout, purge)
    except InstallError as exc:
        raise CommandError(str(exc)) from None
    if purge and not dry_run and not yes:
        question = text("purge_question", data=layout.data_dir,
                                                  blocklists=layout.blocklist_dir)
        try:
            confirmed = click.confirm(question, default=False, err=True)
        except click.Abort:  # no answer (end of input): as good as no
            click.echo(err=True)
            confirmed = False
        if not confirmed:
            raise CommandError(text("purge_declined"))
    outcomes = _carry_out(steps, dry_run, as_json)
    notes = [] if layout.systemd or layout.root != Path("/") else [
        text("next_no_systemd_uninstall")]
    if not purge:
        notes.append(text("kept", data=layout.data_dir, blocklists=layout.blocklist_dir))
    _report(outcomes, dry_run, as_json, notes)

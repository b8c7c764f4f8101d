"""What the `cyberhub` and `cyberhub-agent` commands share: one-line errors and `--json`.
Pure click; it imports nothing of the hub, so the agent can use it."""

from __future__ import annotations

import json
from typing import Any, Callable

import click


class CommandError(click.ClickException):
    """A failure to report as one line on stderr (exit status 1)."""

    def show(self, file=None) -> None:  # noqa: D401 - click's signature
        click.echo(f"error: {self.message}", err=True)


def emit(as_json: bool, data: Any, human: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        human(data)


def json_option(func: Callable) -> Callable:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(func)

"""The `cyberhub` command: the hub's command groups and the demo, registered explicitly.
Every subcommand takes `--json`; errors are one line and exit 1."""

from __future__ import annotations

import click

from cyberhub.demo.command import demo
from cyberhub.hub.cli import COMMANDS


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cyberhub")
def main() -> None:
    """cyberhub: the TAXII 2.1 hub of the municipal incident sharing network.

    Settings come from the TOML file in CYBERHUB_CONFIG and CYBERHUB_* variables;
    CYBERHUB_HOME is the data directory (default ~/.cyberhub).
    """


for command in (*COMMANDS, demo):
    main.add_command(command)

"""The `cyberhub` command: every command group of the hub, and the demo, registered here and
nowhere else. Every subcommand takes `--json`; errors are one line and exit 1."""

from __future__ import annotations

import click

from cyberhub.demo.command import demo
from cyberhub.hub.cli import (
    account_commands,
    advisory_commands,
    audit_commands,
    campaign_commands,
    collection_commands,
    export_commands,
    feed_commands,
    hub_commands,
    node_commands,
    notification_commands,
    peer_commands,
    publish_commands,
    report_commands,
    warninglist_commands,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cyberhub")
def main() -> None:
    """cyberhub: the TAXII 2.1 hub of the municipal incident sharing network.

    Settings come from the TOML file in CYBERHUB_CONFIG and CYBERHUB_* variables;
    CYBERHUB_HOME is the data directory (default ~/.cyberhub).
    """


for _command in (*hub_commands.COMMANDS, *collection_commands.COMMANDS,
                 *account_commands.COMMANDS, *node_commands.COMMANDS,
                 *publish_commands.COMMANDS, *campaign_commands.COMMANDS,
                 *notification_commands.COMMANDS, *feed_commands.COMMANDS,
                 *advisory_commands.COMMANDS, *audit_commands.COMMANDS,
                 *report_commands.COMMANDS, *export_commands.COMMANDS,
                 *warninglist_commands.COMMANDS, *peer_commands.COMMANDS, demo):
    main.add_command(_command)

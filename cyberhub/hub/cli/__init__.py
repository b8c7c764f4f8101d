"""The hub's commands, one module per group, each listing its commands in `COMMANDS`; the
`cyberhub` entry point (`cyberhub.cli`) registers them here, in this order."""

from __future__ import annotations

from cyberhub.hub.cli import (
    account_commands,
    advisory_commands,
    campaign_commands,
    collection_commands,
    hub_commands,
    node_commands,
    publish_commands,
)

COMMANDS = (*hub_commands.COMMANDS, *collection_commands.COMMANDS, *account_commands.COMMANDS,
            *node_commands.COMMANDS, *publish_commands.COMMANDS, *campaign_commands.COMMANDS,
            *advisory_commands.COMMANDS)

"""Putting the advisories in force into effect: the blocklist files, then the apply command.

The files are rebuilt from every indicator in force (see `blocklists` for what qualifies and
how the files are written); only when one of them changed does the configured apply command
(e.g. `nft -f .../cyberhub.nft`) run. A failing command is logged, never raised: the files are
in place for the next try.
"""

from __future__ import annotations

import logging
import shlex
import subprocess
from datetime import datetime, timezone

from cyberhub.agent import blocklists
from cyberhub.agent.context import Agent
from cyberhub.core.timestamps import stix_time

log = logging.getLogger("cyberhub.agent")


def refresh_blocklists(agent: Agent) -> list[str]:
    """Rewrite the blocklists from the advisories in force; run the apply command on change."""
    now = stix_time(datetime.now(timezone.utc))
    blocklist = blocklists.build(agent.store.indicators_in_force(), now=now)
    count = len(agent.store.advisories_in_force())
    header = (f"written by cyberhub-agent from {count} advisor{'y' if count == 1 else 'ies'}"
              f" ({len(blocklist)} entries); do not edit, changes are overwritten")
    changed = blocklists.write(agent.settings.blocklists,
                               blocklists.render(blocklist, header=header))
    if changed:
        log.info("blocklists updated in %s: %d addresses or networks, %d domains, %d URLs",
                 agent.settings.blocklists, len(blocklist.networks), len(blocklist.domains),
                 len(blocklist.urls))
        run_apply_command(agent)
    return changed


def run_apply_command(agent: Agent) -> None:
    command = agent.settings.apply_command.strip()
    if not command:
        return
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=60,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.error("the apply command %r failed to run: %s", command, exc)
        return
    if done.returncode != 0:
        log.error("the apply command %r exited with %d: %s", command, done.returncode,
                  (done.stderr or done.stdout).strip()[:300])
    else:
        log.info("the apply command %r loaded the new blocklists", command)

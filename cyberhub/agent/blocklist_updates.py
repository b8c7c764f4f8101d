"""Putting the advisories in force into effect: the blocklist files, then the apply command.

The files are rebuilt from every indicator in force (see `blocklists` for what qualifies and
how the files are written); only when one of them changed does the configured apply command
(e.g. `nft -f .../cyberhub.nft`, or a script that also runs `postmap` and reloads the
resolver and clamd) run. A failing command is logged, never raised: the files are
in place for the next try.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
from datetime import datetime, timezone
from typing import Any

from cyberhub.agent import blocklists
from cyberhub.agent.context import Agent
from cyberhub.core import messages
from cyberhub.core.timestamps import stix_time

log = logging.getLogger("cyberhub.agent")


def refresh_blocklists(agent: Agent) -> list[str]:
    """Rewrite the blocklists from the advisories in force; run the apply command on change.
    A blocklist directory the agent cannot write (or a group it cannot use) is logged, not
    raised: the files stay as they were, and the next poll tries again."""
    now = stix_time(datetime.now(timezone.utc))
    groups = agent.store.advisories_in_force()
    indicators, advisories = in_force(groups)
    blocklist = blocklists.build(indicators, now=now, advisories=advisories)
    count = len(groups)
    header = (f"written by cyberhub-agent from {count} advisor{'y' if count == 1 else 'ies'}"
              f" ({len(blocklist)} entries); do not edit, changes are overwritten")
    directory = agent.settings.blocklists
    language = messages.from_environment(os.environ)
    try:
        files = blocklists.render(blocklist, header=header,
                                  previous_zone=blocklists.current(directory / blocklists.RPZ))
        changed = blocklists.write(directory, files, group=agent.settings.blocklist_group)
    except (blocklists.BlocklistError, OSError) as exc:
        log.error("%s", messages.text("agent.blocklists.not_written", language,
                                      directory=directory, reason=exc))
        return []
    if changed:
        log.info("%s", messages.text(
            "agent.blocklists.updated", language, directory=directory,
            networks=len(blocklist.networks), domains=len(blocklist.domains),
            urls=len(blocklist.urls), senders=len(blocklist.senders),
            hashes=len(blocklist.hashes)))
        run_apply_command(agent)
    return changed


def in_force(groups: list[list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The indicators of the advisories' object groups, and each indicator's advisory (the
    group's report) by id, which the mail and virus lists cite."""
    indicators: list[dict[str, Any]] = []
    advisories: dict[str, str] = {}
    for group in groups:
        report = next((o.get("id", "") for o in group if o.get("type") == "report"), "")
        for item in group:
            if item.get("type") == "indicator":
                indicators.append(item)
                if report:
                    advisories[item.get("id", "")] = report
    return indicators, advisories


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

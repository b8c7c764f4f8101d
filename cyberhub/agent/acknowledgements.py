"""Receipts to the hub: what this node did with each advisory version it received.

Every version applied or withdrawn, and every refused one that claimed to be an advisory, is
acknowledged once. The store keeps what the hub has not confirmed yet, so a receipt that could
not be sent goes out on the next poll.
"""

from __future__ import annotations

import logging
import time

from cyberhub.agent.context import Agent
from cyberhub.agent.hub_client import HubError
from cyberhub.agent.texts import say

log = logging.getLogger("cyberhub.agent")


def send_receipts(agent: Agent) -> None:
    """Tell the hub what was done with each advisory version; kept until the hub has it."""
    pending = agent.store.unacknowledged_advisories()
    refused = agent.store.unacknowledged_refusals()
    client = agent.client()
    try:
        for advisory_id, version, state in pending:
            client.acknowledge(advisory_id, version,
                               "withdrawn" if state == "withdrawn" else "applied")
            agent.store.acknowledge_advisory(advisory_id, version, at=time.time())
        for seq, advisory_id, version, reason in refused:
            client.acknowledge(advisory_id, version, "refused", reason)
            agent.store.acknowledge_refusal(seq, at=time.time())
    except HubError as exc:
        log.warning("%s", say("agent.receipts.not_sent_log", error=exc))

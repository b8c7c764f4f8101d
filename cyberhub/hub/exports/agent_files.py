"""The node agent's own blocklist files (`cyberhub.agent.blocklists`), made by the agent's own
code: plain IP, domain and URL lists with a comment line, an nftables file, a response-policy
zone and an Unbound include. What a town's agent would write from the same indicators, for a
firewall or resolver that no agent runs beside. The agent keeps only indicators in force, so
these files never hold an expired or revoked one."""

from __future__ import annotations

from typing import Any

from cyberhub.agent import blocklists
from cyberhub.core import timestamps

# Export format name -> the agent's file name.
FILES = {"ip-blocklist": "ip-blocklist.txt", "domain-blocklist": "domain-blocklist.txt",
         "url-blocklist": "url-blocklist.txt", "nft": "cyberhub.nft", "rpz": "cyberhub.rpz",
         "unbound": "unbound-cyberhub.conf"}


def render(indicators: list[dict[str, Any]], name: str, *, now_us: int, source: str) -> str:
    built = blocklists.build(indicators, now=timestamps.stix_time(now_us))
    header = f"cyberhub export of {source} at {timestamps.stix_time(now_us)}"
    # The zone's serial is the export's own time, the one its header names.
    return blocklists.render(built, header=header, now_seconds=now_us // 1_000_000)[FILES[name]]

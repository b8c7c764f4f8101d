"""Putting advisories into effect with a real agent store: the zone's serial carries on across
restarts, an unchanged set rewrites nothing, and a directory it cannot use is logged."""

from __future__ import annotations

import logging
import time

import pytest

from cyberhub.agent import blocklist_formats as formats
from cyberhub.agent import blocklists
from cyberhub.agent.blocklist_updates import refresh_blocklists
from cyberhub.agent.context import open_agent
from cyberhub.agent.node_settings import load_settings

ADVISORY = "report--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"


def _agent(home, **environ):
    return open_agent(load_settings(environ={"CYBERHUB_AGENT_HOME": str(home), **environ}))


def _publish(agent, version: str, *patterns: str) -> None:
    indicators = [{"type": "indicator", "spec_version": "2.1",
                   "id": f"indicator--{n:08d}-0000-4000-8000-000000000000",
                   "pattern": p, "pattern_type": "stix", "valid_from": version}
                  for n, p in enumerate(patterns)]
    report = {"type": "report", "spec_version": "2.1", "id": ADVISORY, "modified": version,
              "name": "Warnung", "object_refs": [i["id"] for i in indicators]}
    with agent.store.write() as conn:
        agent.store.add_advisory(conn, advisory_id=ADVISORY, version=version,
                                 received_at=time.time(), state="applied", title="Warnung",
                                 objects=[*indicators, report])


def _serial(agent) -> int:
    return formats.zone_serial((agent.settings.blocklists / blocklists.RPZ).read_text())


def test_the_zone_serial_grows_with_each_change_also_after_a_restart(tmp_path):
    agent = _agent(tmp_path)
    _publish(agent, "2026-11-21T08:00:00.000Z", "[domain-name:value = 'a.example']")
    assert blocklists.RPZ in refresh_blocklists(agent)
    first = _serial(agent)
    assert refresh_blocklists(agent) == []  # nothing new: no file rewritten, same serial
    assert _serial(agent) == first
    # A second change within the same second still gets a larger serial.
    _publish(agent, "2026-11-22T08:00:00.000Z", "[domain-name:value = 'b.example']")
    assert blocklists.RPZ in refresh_blocklists(agent)
    second = _serial(agent)
    assert formats.serial_after(second, first)
    agent.close()

    # A restart knows nothing but the files: the serial comes from the zone in place.
    agent = _agent(tmp_path)
    assert refresh_blocklists(agent) == []
    _publish(agent, "2026-11-23T08:00:00.000Z", "[domain-name:value = 'c.example']")
    assert blocklists.RPZ in refresh_blocklists(agent)
    assert formats.serial_after(_serial(agent), second)
    agent.close()


def test_senders_and_hashes_cite_the_advisory(tmp_path):
    agent = _agent(tmp_path)
    digest = "ab" * 32
    _publish(agent, "2026-11-21T08:00:00.000Z", "[email-addr:value = 'x@evil.example']",
             f"[file:hashes.'SHA-256' = '{digest}']")
    refresh_blocklists(agent)
    directory = agent.settings.blocklists
    assert ("x@evil.example REJECT Absender gesperrt laut Sicherheitswarnung 1a2b3c4d "
            "(cyberhub)\n") in (directory / "sender-access").read_text()
    assert f"{digest}:*:Cyberhub.Advisory.1a2b3c4d:73\n" in (
        directory / "cyberhub.hsb").read_text()
    agent.close()


def test_a_group_that_does_not_exist_is_logged_and_changes_nothing(tmp_path, caplog,
                                                                  monkeypatch):
    monkeypatch.setenv("CYBERHUB_LANGUAGE", "en")  # the log speaks the locale's language
    agent = _agent(tmp_path)
    _publish(agent, "2026-11-21T08:00:00.000Z", "[ipv4-addr:value = '203.0.113.5']")
    refresh_blocklists(agent)
    before = (agent.settings.blocklists / "ip-blocklist.txt").read_text()
    agent.close()
    agent = _agent(tmp_path, CYBERHUB_AGENT_BLOCKLIST_GROUP="no-such-group")
    _publish(agent, "2026-11-22T08:00:00.000Z", "[ipv4-addr:value = '198.51.100.7']")
    with caplog.at_level(logging.ERROR, logger="cyberhub.agent"):
        assert refresh_blocklists(agent) == []
    assert "could not be written" in caplog.text
    assert "there is no group 'no-such-group'" in caplog.text
    assert "Traceback" not in caplog.text
    assert (agent.settings.blocklists / "ip-blocklist.txt").read_text() == before
    agent.close()


@pytest.mark.parametrize("value", ["bind bind", "../etc", "-x", "a" * 33])
def test_a_malformed_group_name_is_a_settings_error(tmp_path, value):
    from cyberhub.agent.node_settings import ConfigError

    with pytest.raises(ConfigError, match="blocklist_group"):
        load_settings(environ={"CYBERHUB_AGENT_HOME": str(tmp_path),
                               "CYBERHUB_AGENT_BLOCKLIST_GROUP": value})

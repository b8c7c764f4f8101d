"""The CACAO 2.0 response playbooks in playbooks/: valid against the vendored OASIS schema,
mapped to incidents by their labels, proposed for the right incidents, readable as steps."""

from __future__ import annotations

import copy
import json
import re
import socket

import pytest
from conftest import REPO

from cyberhub.hub import playbook_schema
from cyberhub.hub import playbooks as pb

FILES = sorted(pb.PLAYBOOKS_DIR.glob("*.json"))
EXPECTED = {
    "ransomware-file-server.json",
    "phishing-citizens-office.json",
    "ddos-citizen-portal.json",
    "exploited-vpn-appliance.json",
    "credential-stuffing-citizen-accounts.json",
}
SCHEMA = json.loads((playbook_schema.SCHEMA_DIR / "playbook.json").read_text(encoding="utf-8"))
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def _read(name: str) -> dict:
    return json.loads((pb.PLAYBOOKS_DIR / name).read_text(encoding="utf-8"))


def _by_file() -> dict[str, dict]:
    return {path.name: _read(path.name) for path in FILES}


def test_the_five_playbooks_are_there():
    assert EXPECTED <= {path.name for path in FILES}
    assert len(pb.load()) == len(FILES)


@pytest.mark.parametrize("name", [path.name for path in FILES])
def test_playbook_validates_against_the_official_schema(name):
    assert playbook_schema.validate(_read(name)) == []


@pytest.mark.parametrize("prop", SCHEMA["required"])
def test_removing_a_required_property_fails(prop, tmp_path):
    # On a copy written out and loaded back, the way a broken file would arrive.
    broken = _read("ransomware-file-server.json")
    del broken[prop]
    (tmp_path / "broken.json").write_text(json.dumps(broken), encoding="utf-8")
    [loaded] = pb.load(tmp_path)
    errors = playbook_schema.validate(loaded)
    assert errors and any(f"'{prop}' is a required property" in e for e in errors)


@pytest.mark.parametrize("prop", ["agent", "commands"])
def test_an_action_step_without_its_required_property_fails(prop):
    broken = copy.deepcopy(_read("phishing-citizens-office.json"))
    step_id = next(k for k in broken["workflow"] if k.startswith("action--"))
    del broken["workflow"][step_id][prop]
    errors = playbook_schema.validate(broken)
    assert any(e.startswith(f"workflow/{step_id}") and f"'{prop}'" in e for e in errors)


def test_bad_values_are_named():
    broken = _read("ddos-citizen-portal.json")
    broken["spec_version"] = "cacao-1.0"
    broken["created"] = "yesterday"
    errors = playbook_schema.validate(broken)
    assert any(e.startswith("spec_version:") for e in errors)
    assert any(e.startswith("created:") for e in errors)


def test_refs_resolve_without_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("validation tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    playbook_schema._validator.cache_clear()
    try:
        assert playbook_schema.validate(_read("exploited-vpn-appliance.json")) == []
    finally:
        playbook_schema._validator.cache_clear()


def test_playbook_ids_are_unique_and_well_formed():
    playbooks = pb.load()
    ids = [p["id"] for p in playbooks]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(f"playbook--{UUID4}", i) for i in ids)
    # Step ids too: CACAO wants a step's UUID unique across all objects.
    steps = [k for p in playbooks for k in p["workflow"]]
    assert len(steps) == len(set(steps))
    assert len({p["created_by"] for p in playbooks}) == 1


def test_labels_follow_the_convention():
    for name, playbook in _by_file().items():
        types, techniques = [], []
        for label in playbook["labels"]:
            if label.startswith(pb.INCIDENT_TYPE_PREFIX):
                types.append(label[len(pb.INCIDENT_TYPE_PREFIX):])
            elif label.startswith(pb.ATTACK_PREFIX):
                techniques.append(label[len(pb.ATTACK_PREFIX):])
            else:
                pytest.fail(f"{name}: label {label!r} is neither incident-type: nor attack:")
        assert types and all(pb.INCIDENT_TYPE_RE.fullmatch(t) for t in types), name
        assert techniques and all(pb.TECHNIQUE_RE.fullmatch(t) for t in techniques), name
        # Every technique has its ATT&CK page among the external references.
        pages = {r.get("external_id"): r.get("url") for r in playbook["external_references"]}
        for technique in techniques:
            path = technique.replace(".", "/")
            assert pages.get(technique) == f"https://attack.mitre.org/techniques/{path}/", name


def test_only_properties_the_schema_defines():
    # Draft-07 ignores the schemas' unevaluatedProperties, so a misspelt optional property
    # would pass validation; this keeps our own files honest.
    for name, playbook in _by_file().items():
        assert set(playbook) <= set(SCHEMA["properties"]), name


def test_workflows_hang_together():
    for name, playbook in _by_file().items():
        workflow = playbook["workflow"]
        assert workflow[playbook["workflow_start"]]["type"] == "start", name
        order, step_id = [], playbook["workflow_start"]
        while workflow[step_id]["type"] != "end":
            order.append(step_id)
            step_id = workflow[step_id]["on_completion"]
            assert step_id in workflow and step_id not in order, name
        assert set(order) | {step_id} == set(workflow), f"{name}: unreachable steps"
        activities = set()
        for step in workflow.values():
            if step["type"] != "action":
                continue
            assert step["agent"] in playbook["agent_definitions"], name
            assert "English:" in step["description"], name
            for command in step["commands"]:
                assert command["type"] == "manual" and command["command"].strip(), name
                activities.add(command["playbook_activity"])
        # CACAO: every listed activity is reflected in a step.
        assert set(playbook["playbook_activities"]) == activities, name


def test_every_playbook_reports_to_the_hub_early():
    for name, playbook in _by_file().items():
        text = " ".join(pb.steps(playbook))
        commands = " ".join(c["command"] for s in playbook["workflow"].values()
                            for c in s.get("commands", []))
        assert "24" in text and "NIS2" in text, name
        assert "cyberhub-agent report" in commands, name


def test_propose_ransomware_by_incident_type():
    chosen = pb.propose(pb.load(), incident_types=["ransomware"], techniques=[])
    assert chosen == _read("ransomware-file-server.json")


def test_propose_phishing_by_subtechnique():
    chosen = pb.propose(pb.load(), incident_types=[], techniques=["T1566.001"])
    assert chosen == _read("phishing-citizens-office.json")


def test_propose_vpn_by_type_and_technique():
    chosen = pb.propose(pb.load(), incident_types=["exploit-attempt"], techniques=["T1190"])
    assert chosen == _read("exploited-vpn-appliance.json")


def test_propose_the_others():
    playbooks = pb.load()
    assert pb.propose(playbooks, incident_types=["denial-of-service"]) == _read(
        "ddos-citizen-portal.json")
    assert pb.propose(playbooks, incident_types=["brute-force-attempt"],
                      techniques=["T1110.004"]) == _read(
        "credential-stuffing-citizen-accounts.json")


@pytest.mark.parametrize("types, techniques", [
    ([], []),
    (["data-exfiltration"], []),
    ([], ["T9999", "T1566X"]),
    (["unspecified"], ["T1059.001"]),
])
def test_propose_nothing_matching(types, techniques):
    assert pb.propose(pb.load(), incident_types=types, techniques=techniques) is None


def _playbook(*labels: str) -> dict:
    return {"name": ",".join(labels), "labels": list(labels)}


def test_a_subtechnique_matches_its_parent_and_exact_wins_a_tie():
    parent, child = _playbook("attack:T1566"), _playbook("attack:T1566.001")
    assert pb.propose([parent], techniques=["T1566.001"]) is parent
    assert pb.propose([parent, child], techniques=["T1566.001"]) is child
    # The other way round is no match: T1566 alone does not say which sub-technique.
    assert pb.propose([child], techniques=["T1566"]) is None


def test_propose_counts_matches_and_normalises_case():
    one = _playbook("incident-type:exploit-attempt")
    two = _playbook("incident-type:exploit-attempt", "attack:T1190")
    assert pb.propose([one, two], incident_types=["Exploit-Attempt"],
                      techniques=["t1190"]) is two
    # Ties go to the earlier playbook; a lone string is one value, not characters.
    assert pb.propose([one, two], incident_types="exploit-attempt") is one


def test_steps_are_the_action_steps_in_workflow_order():
    playbook = _read("ransomware-file-server.json")
    listed = pb.steps(playbook)
    assert len(listed) == 6
    for line, start in zip(listed, ["Eindämmen", "Melden", "Beweise", "Bereinigen",
                                    "Wiederherstellen", "Nachbereiten"]):
        assert line.startswith(start)
    actions = [s for s in playbook["workflow"].values() if s["type"] == "action"]
    assert sorted(listed) == sorted(f"{s['name']}: {s['description']}" for s in actions)


def test_steps_follow_the_links_not_the_file_order():
    workflow = {
        "end--1": {"type": "end"},
        "action--b": {"type": "action", "name": "B", "description": "second",
                      "on_success": "end--1"},
        "action--a": {"type": "action", "name": "A", "description": "first",
                      "on_completion": "action--b"},
        "start--1": {"type": "start", "on_completion": "action--a"},
    }
    assert pb.steps({"workflow_start": "start--1", "workflow": workflow}) == [
        "A: first", "B: second"]
    # A cycle or a dangling link ends the walk instead of looping or failing.
    workflow["action--b"]["on_success"] = "action--a"
    assert pb.steps({"workflow_start": "start--1", "workflow": workflow}) == [
        "A: first", "B: second"]
    workflow["action--b"]["on_success"] = "action--missing"
    assert pb.steps({"workflow_start": "start--1", "workflow": workflow}) == [
        "A: first", "B: second"]


def test_playbooks_dir_is_the_repository_folder():
    assert pb.PLAYBOOKS_DIR == REPO / "playbooks"

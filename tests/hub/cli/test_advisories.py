"""`cyberhub advisories` and `cyberhub audit` from the command line: the steps as a person,
JSON output, and one-line errors that change nothing."""

from __future__ import annotations

import json

import pytest
from conftest import REPO

from cyberhub.cli import main

EXAMPLE = REPO / "config" / "advisory.example.yaml"
PASSWORD = "two analysts look twice"


@pytest.fixture
def team(runner):
    assert runner.invoke(main, ["init"]).exit_code == 0
    for name, role in (("anna", "analyst"), ("carla", "coordinator")):
        result = runner.invoke(main, ["accounts", "add", name, "--role", role,
                                      "--password-stdin"], input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output
    return runner


def _as(runner, *args, person="anna", password=PASSWORD):
    return runner.invoke(main, [*args, "--as", person, "--json"],
                         env={"CYBERHUB_PASSWORD": password})


def test_the_example_document_goes_through_every_step(team):
    drafted = json.loads(_as(team, "advisories", "draft", "--file", str(EXAMPLE)).output)
    advisory_id = drafted["id"]
    assert drafted["state"] == "draft" and drafted["tlp"] == "green"
    own = _as(team, "advisories", "approve", advisory_id)
    assert own.exit_code == 1 and "second analyst" in own.output
    assert _as(team, "advisories", "approve", advisory_id, person="carla").exit_code == 0
    published = _as(team, "advisories", "publish", advisory_id[:16], person="carla")
    assert published.exit_code == 0, published.output
    assert json.loads(published.output)["state"] == "published"
    shown = team.invoke(main, ["advisories", "show", advisory_id])
    assert "rechnung-stadtwerke.example" in shown.output and "--- English ---" in shown.output
    document = json.loads(team.invoke(main, ["advisories", "show", advisory_id, "--document",
                                             "--json"]).output)
    assert document["indicators"][0]["value"] == "rechnung-stadtwerke.example"
    listed = json.loads(team.invoke(main, ["advisories", "list", "--json"]).output)
    assert [a["id"] for a in listed] == [advisory_id]
    status = json.loads(team.invoke(main, ["advisories", "status", advisory_id,
                                           "--json"]).output)
    assert status["addressed"] == 0  # no town is a member yet
    withdrawn = _as(team, "advisories", "withdraw", advisory_id, "--reason", "Test",
                    person="carla")
    assert withdrawn.exit_code == 0, withdrawn.output
    audit = json.loads(team.invoke(main, ["audit", "--action", "advisory.", "--json"]).output)
    assert [(e["actor"], e["action"]) for e in audit] == [
        ("anna", "advisory.draft"), ("anna", "advisory.approve-refused"),
        ("carla", "advisory.approve"), ("carla", "advisory.publish"),
        ("carla", "advisory.withdraw")]


@pytest.mark.parametrize("content, fragment", [
    ("title: !!python/object/apply:os.system ['true']\n", "is not valid YAML"),
    ("- just a list\n", "must hold a mapping"),
    ("title: {de: a, en: b}\nsummary: {de: a, en: b}\nseverity: high\ntlp: green\n"
     "indicators: [{kind: domain, value: \"x.example\\nrm -rf /\"}]\n",
     "indicators.0.value: the value holds control characters"),
    ("title: {de: a, en: b}\nsummary: {de: a, en: b}\nseverity: urgent\ntlp: green\n",
     "severity: Input should be"),
    ("title: {de: a, en: b}\nsummary: {de: a, en: b}\nseverity: high\ntlp: green\nextra: 1\n",
     "extra: Extra inputs are not permitted"),
    ("a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\ntitle: *b\n",
     "aliases (*name) are not allowed"),
    ("title: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
])
def test_a_bad_document_is_refused_in_one_line(team, tmp_path, content, fragment):
    path = tmp_path / "advisory.yaml"
    path.write_text(content, encoding="utf-8")
    result = _as(team, "advisories", "draft", "--file", str(path))
    assert result.exit_code == 1
    assert fragment in result.output and len(result.output.strip().splitlines()) == 1
    assert json.loads(team.invoke(main, ["advisories", "list", "--json"]).output) == []


def test_people_and_ids_are_checked(team):
    wrong = _as(team, "advisories", "draft", "--file", str(EXAMPLE), password="not it at all")
    assert wrong.exit_code == 1 and "wrong password for 'anna'" in wrong.output
    nobody = _as(team, "advisories", "draft", "--file", str(EXAMPLE), person="zed")
    assert nobody.output == wrong.output.replace("'anna'", "'zed'")
    neither = _as(team, "advisories", "draft")
    assert neither.exit_code == 1 and "either --campaign ID or --file" in neither.output
    unknown = team.invoke(main, ["advisories", "show", "report--nothing"])
    assert unknown.exit_code == 1 and "no advisory 'report--nothing'" in unknown.output
    campaign = _as(team, "advisories", "draft", "--campaign",
                   "campaign--00000000-0000-4000-8000-000000000000")
    assert campaign.exit_code == 1 and "no campaign" in campaign.output
    assert json.loads(team.invoke(main, ["advisories", "list", "--json"]).output) == []
    assert json.loads(team.invoke(main, ["audit", "--action", "advisory.", "--json"]).output) == []


def test_roles_are_set_and_shown(team):
    assert team.invoke(main, ["accounts", "role", "anna", "coordinator"]).exit_code == 0
    listed = {a["username"]: a["role"] for a in json.loads(
        team.invoke(main, ["accounts", "list", "--json"]).output)}
    assert listed == {"admin": "admin", "anna": "coordinator", "carla": "coordinator"}
    bad = team.invoke(main, ["accounts", "role", "anna", "boss"])
    assert bad.exit_code == 2 and "'boss' is not one of" in bad.output


def test_node_options(team):
    team.invoke(main, ["nodes", "add", "aue", "--name", "Stadt Aue", "--land", "SN"])
    set_ = json.loads(team.invoke(main, ["nodes", "set", "aue", "--share-name", "--callback",
                                         "https://aue.example/push", "--json"]).output)
    assert set_ == {"slug": "aue", "share_name": True,
                    "callback_url": "https://aue.example/push"}
    bad = team.invoke(main, ["nodes", "set", "aue", "--callback", "file:///etc/passwd"])
    assert bad.exit_code == 1 and "not an http(s) URL" in bad.output
    off = json.loads(team.invoke(main, ["nodes", "set", "aue", "--no-callback",
                                        "--json"]).output)
    assert off["callback_url"] is None and off["share_name"] is True

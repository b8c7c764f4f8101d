"""`cyberhub warninglists`: the operator's own entries (add, list, remove; audited), which
list covers a value (check), and a run of the warning-list feeds now (update)."""

from __future__ import annotations

import json

from cyberhub.cli import main
from cyberhub.hub import audit
from hub.feeds.conftest import SHIPPED


def _call(runner, *args: str):
    return runner.invoke(main, ["warninglists", *args],
                         env={"CYBERHUB_FEEDS_DIR": str(SHIPPED)})


def test_add_list_check_and_remove_a_local_entry(runner, initialised, db):
    added = _call(runner, "add", "80.147.33.10", "--note", "Mail-Gateway des Landes", "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output) == {"kind": "cidr", "value": "80.147.33.10/32",
                                        "note": "Mail-Gateway des Landes",
                                        "list": "Local allow entry: Mail-Gateway des Landes"}
    again = _call(runner, "add", "80.147.33.10", "--note", "noch einmal")
    assert again.exit_code == 1 and again.output == \
        "error: warning list cidr 80.147.33.10/32 is listed already\n"

    listed = json.loads(_call(runner, "list", "--json").output)
    assert [(e["kind"], e["value"], e["added_by"]) for e in listed["local"]] == [
        ("cidr", "80.147.33.10/32", "cli")]

    checked = _call(runner, "check", "80.147.33.10")
    assert checked.exit_code == 0, checked.output
    lines = checked.output.splitlines()
    assert lines[0].startswith("ipv4       80.147.33.10") and \
        "listed: Local allow entry: Mail-Gateway des Landes (local" in lines[0]
    assert lines[1].startswith("ipv4-24    80.147.33.0/24") and "listed: Local" in lines[1]

    removed = _call(runner, "remove", "80.147.33.10")
    assert removed.exit_code == 0, removed.output
    assert "not listed: it links" in _call(runner, "check", "80.147.33.10").output
    missing = _call(runner, "remove", "80.147.33.10")
    assert missing.exit_code == 1 and "no local entry" in missing.output
    with db.session() as session:
        actions = [e["action"] for e in audit.entries(session)
                   if e["subject"].startswith("warninglist:")]
    assert actions == ["warninglist.add", "warninglist.remove"]


def test_bad_entries_are_refused_in_one_line(runner, initialised):
    for args, message in [
        (("add", "0.0.0.0/0", "--note", "x"), "0.0.0.0/0 is too wide to never link"),
        (("add", "nicht ein name", "--kind", "hostname", "--note", "x"), "is not a host name"),
        (("add", "abc", "--kind", "hash", "--note", "x"), "is not a hash"),
        (("add", "x.example"), "Missing option '--note'"),
    ]:
        result = _call(runner, *args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_update_runs_the_warning_list_feed_and_check_names_the_misp_list(runner, initialised):
    updated = _call(runner, "update", "--json")
    assert updated.exit_code == 0, updated.output
    (counts,) = json.loads(updated.output)
    assert counts["feed"] == "misp-warninglists" and counts["added"] > 50
    shown = json.loads(_call(runner, "check", "https://login.microsoftonline.com/common",
                             "--json").output)
    assert {row["kind"]: row["list"] for row in shown} == {
        "url": "List of known Office 365 URLs", "domain": "List of known Office 365 URLs",
        "regdomain": "List of known microsoft domains"}
    assert shown[0]["origin"].startswith("feed misp-warninglists: microsoft-office365")
    lists = json.loads(_call(runner, "list", "--json").output)["feeds"]
    assert {"cloudflare", "empty-hashes"} <= {row["ident"] for row in lists}
    status = runner.invoke(main, ["feeds", "status", "misp-warninglists", "--json"],
                           env={"CYBERHUB_FEEDS_DIR": str(SHIPPED)})
    assert json.loads(status.output)["last_counts"]["added"] == counts["added"]

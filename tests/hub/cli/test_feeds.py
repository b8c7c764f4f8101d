"""`cyberhub feeds`: list, add, enable, disable, sync and status, each with --json, and
one-line errors for what an operator can get wrong."""

from __future__ import annotations

import json

import pytest

from cyberhub.cli import main
from cyberhub.hub import audit
from hub.feeds.conftest import SHIPPED, fixture_bytes, indicators


@pytest.fixture
def feeds(runner, tmp_path):
    """The runner with a feeds directory of its own, and a function to call it."""
    directory = tmp_path / "feeds"
    directory.mkdir()

    def call(*args: str):
        return runner.invoke(main, ["feeds", *args],
                             env={"CYBERHUB_FEEDS_DIR": str(directory)})

    call.directory = directory
    return call


def _feed_file(path, name: str, url: str, **extra: str) -> None:
    lines = [f'name = "{name}"', f'title = "Liste {name}"', 'format = "text"', f'url = "{url}"']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_the_shipped_feed_files_are_all_valid_and_off(runner, initialised):
    result = runner.invoke(main, ["feeds", "list", "--json"],
                           env={"CYBERHUB_FEEDS_DIR": str(SHIPPED)})
    assert result.exit_code == 0, result.output
    listed = {item["feed"]: item for item in json.loads(result.output)}
    assert {"abusech-feodo", "abusech-urlhaus", "abusech-threatfox"} <= set(listed)
    # Every source that needs the Internet ships off; the warning lists come with the
    # installed package and are on.
    assert {name for name, item in listed.items() if item["enabled"]} == {"misp-warninglists"}
    assert listed["misp-warninglists"]["format"] == "warninglists"


def test_add_enable_sync_status_and_disable_a_feed(feeds, initialised, db, httpserver, tmp_path):
    httpserver.expect_request("/list.txt").respond_with_data(fixture_bytes("blocklist.txt"))
    own = tmp_path / "mine.toml"
    _feed_file(own, "stadt-liste", httpserver.url_for("/list.txt"))

    added = feeds("add", str(own), "--json")
    assert added.exit_code == 0, added.output
    assert json.loads(added.output) == {"feed": "stadt-liste", "format": "text",
                                        "enabled": False}
    assert json.loads(feeds("enable", "stadt-liste", "--json").output)["enabled"] is True

    synced = feeds("sync", "stadt-liste", "--json")
    assert synced.exit_code == 0, synced.output
    counts = json.loads(synced.output)
    assert set(counts) == {"feed", "fetched", "added", "updated", "expired", "skipped",
                           "errors"}
    assert (counts["fetched"], counts["added"], counts["skipped"]) == (7, 4, 3)
    assert len(indicators(db)) == 4

    status = json.loads(feeds("status", "stadt-liste", "--json").output)
    assert status["last_counts"]["added"] == 4 and status["failures"] == 0
    assert "203.0.113.7" in status["last_error"]  # the first refused line, named
    human = feeds("status").output
    assert "stadt-liste (on)" in human and "4 added" in human

    due = json.loads(feeds("due", "stadt-liste", "--json").output)
    assert due["next_due"] is not None and due["next_due"] <= status["next_due"]
    assert json.loads(feeds("disable", "stadt-liste", "--json").output)["enabled"] is False
    refused = feeds("due", "stadt-liste")
    assert refused.exit_code == 1 and "is off; switch it on first" in refused.output
    with db.session() as session:
        actions = [e["action"] for e in audit.entries(session, "feed:stadt-liste")]
    assert set(actions) == {"feed.add", "feed.enable", "feed.disable", "feed.due-now"}


def test_a_second_sync_of_an_unchanged_feed_says_so(feeds, initialised, httpserver):
    httpserver.expect_request("/list.txt").respond_with_data(b"51.75.72.240\n")
    _feed_file(feeds.directory / "eins.toml", "eins", httpserver.url_for("/list.txt"))
    assert feeds("sync", "eins").exit_code == 0
    again = feeds("sync", "eins")
    assert again.exit_code == 0
    assert "0 added, 0 updated, 0 expired, 0 skipped (unchanged since the last run)" in \
        again.output


@pytest.mark.parametrize("content, message", [
    ('name = "x"\ntitle = "X"\nformat = "csv"\nurl = "https://a.example/l.csv"\n',
     "format 'csv' needs a [csv] table"),
    ('name = "x"\ntitle = "X"\nformat = "text"\nurl = "file:///etc/passwd"\n',
     "url: must be an http(s) URL"),
    ('name = "x"\ntitle = "X"\nformat = "text"\nurl = "https://a.example/"\nevery = "1m"\n',
     "every: must be at least 5m"),
    ('name = "x"\ntitle = "X"\nformat = "text"\nurl = "https://a.example/"\ntlp = "WHITE"\n',
     "tlp: must be a TLP 2.0 name"),
    ('name = "x"\ntitle = "X"\nformat = "text"\nurl = "https://a.example/"\npassword = "1"\n',
     "password: Extra inputs are not permitted"),
    ('name = "x"\ntitle = "X"\nformat = "text"\nurl = "https://a.example/"\n'
     'max_bytes = 99999999999999999999\n', "max_bytes: Input should be less than or equal"),
    ('name = "x"\ntitle = \n', "not a TOML file"),
])
def test_a_broken_feed_file_is_one_line_and_adds_nothing(feeds, initialised, tmp_path,
                                                         content, message):
    bad = tmp_path / "bad.toml"
    bad.write_text(content, encoding="utf-8")
    result = feeds("add", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith("error: bad.toml: ") and message in result.output
    assert result.output.count("\n") == 1
    assert json.loads(feeds("list", "--json").output) == []


def test_unknown_feeds_and_name_clashes_are_refused(feeds, initialised, tmp_path):
    _feed_file(feeds.directory / "eins.toml", "eins", "https://a.example/l.txt")
    clash = tmp_path / "clash.toml"
    _feed_file(clash, "eins", "https://b.example/l.txt")
    assert "a feed named 'eins' exists already" in feeds("add", str(clash)).output
    for command in (("enable", "zwei"), ("sync", "zwei"), ("status", "zwei")):
        result = feeds(*command)
        assert result.exit_code == 1 and "no feed named 'zwei'" in result.output

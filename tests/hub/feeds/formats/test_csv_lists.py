"""CSV lists as abuse.ch publishes them, read with the shipped feed files' column mappings."""

from __future__ import annotations

from cyberhub.core import tlp
from hub.feeds.conftest import entries, fixture_bytes, indicators, shipped


def test_feodo_list_becomes_signed_indicators_and_refuses_what_a_feed_must_not_bring(
        hub, run_feed, httpserver):
    httpserver.expect_request("/ipblocklist.csv").respond_with_data(
        fixture_bytes("feodo-ipblocklist.csv"), content_type="text/csv")
    feed = shipped("abusech-feodo", httpserver.url_for("/ipblocklist.csv"))

    result = run_feed(feed)

    assert (result.fetched, result.added, result.skipped) == (8, 3, 5)
    found = indicators(hub.db)
    emotet = found["[ipv4-addr:value = '51.75.72.240']"]
    assert emotet["name"] == "Emotet C2 51.75.72.240:443 laut Feodo Tracker"
    assert emotet["labels"] == ["emotet"]
    assert emotet["valid_from"] == "2026-09-17T07:44:46.000Z"
    assert emotet["object_marking_refs"] == [tlp.IDS["clear"]]
    assert emotet["external_references"][0]["source_name"] == "abuse.ch Feodo Tracker"
    assert "valid_until" not in emotet
    # The list says Pikabot's server is offline: valid until now, not forgotten.
    assert "valid_until" in found["[ipv4-addr:value = '185.117.90.11']"]
    problems = "\n".join(result.errors)
    assert "line 13" in problems and "warning list" in problems          # 8.8.8.8
    assert "line 14" in problems and "not a public address" in problems  # 10.1.2.3
    assert "line 15" in problems and "not a date" in problems
    assert "line 16" in problems and "formula" in problems
    assert "line 17" in problems and "columns" in problems
    assert set(entries(hub.db, "abusech-feodo")) == {
        "ipv4:51.75.72.240", "ipv4:45.33.54.28", "ipv4:185.117.90.11"}


def test_urlhaus_urls_keep_their_page_and_tags(hub, run_feed, httpserver):
    httpserver.expect_request("/csv_recent/").respond_with_data(
        fixture_bytes("urlhaus-recent.csv"))
    feed = shipped("abusech-urlhaus", httpserver.url_for("/csv_recent/"))

    result = run_feed(feed)

    assert (result.added, result.skipped) == (3, 1)
    assert "cannot be true" in result.errors[0]  # dated 1970
    mozi = indicators(hub.db)["[url:value = 'http://176.65.144.3/bins/mips']"]
    assert mozi["labels"] == ["malware_download", "32-bit", "elf", "mips", "mozi"]
    assert mozi["external_references"][0]["url"] == "https://urlhaus.abuse.ch/url/3311201/"

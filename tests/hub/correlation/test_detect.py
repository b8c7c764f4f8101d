"""The detection rules on hand-made index rows."""

from __future__ import annotations

from cyberhub.hub.correlation.detect import DAY_US, Rules, evaluate, link_pairs, peak_towns
from cyberhub.hub.correlation.index import Row

RULES = Rules()


def row(key: str, town: int, incident: str, day: float, listed: str | None = None) -> Row:
    return Row(key, key.split(":", 1)[0], town, incident, incident, int(day * DAY_US), "amber",
               listed)


def test_links_only_within_the_window():
    postings = [row("ipv4:45.1.1.1", 1, "a", 0), row("ipv4:45.1.1.1", 2, "b", 6),
                row("ipv4:45.1.1.1", 3, "c", 14)]
    assert link_pairs(postings, RULES.window_us) == [("a", "b")]


def test_peak_towns_counts_distinct_towns_in_one_window():
    times = {1: [0, DAY_US], 2: [2 * DAY_US], 3: [9 * DAY_US], 4: [10 * DAY_US]}
    assert peak_towns(times, 7 * DAY_US) == 2
    assert peak_towns(times, 8 * DAY_US) == 3   # days 1-9 or 2-10
    assert peak_towns(times, 9 * DAY_US) == 4   # days 1-10


def test_a_shared_hash_in_three_towns_is_a_campaign():
    rows = [row("hash:SHA-256:aa", town, f"i{town}", town * 0.5) for town in (1, 2, 3)]
    found = evaluate({"i1", "i2", "i3"}, rows, {"hash:SHA-256:aa": 3}, RULES)
    assert found.is_campaign and found.score == 8.0 and found.anchor == "i1"


def test_two_towns_are_not_enough_and_neither_is_a_spread_in_time():
    two = [row("hash:SHA-256:aa", town, f"i{town}", 0) for town in (1, 2)]
    assert not evaluate({"i1", "i2"}, two, {"hash:SHA-256:aa": 2}, RULES).is_campaign
    spread = [row("hash:SHA-256:aa", town, f"i{town}", town * 5) for town in (1, 2, 3)]
    assert not evaluate({"i1", "i2", "i3"}, spread, {"hash:SHA-256:aa": 3},
                        RULES).is_campaign


def test_listed_and_saturated_keys_are_explained_not_counted():
    rows = [row("ipv4:8.8.8.8", t, f"i{t}", 0, "Public DNS resolvers") for t in (1, 2, 3)]
    rows += [row("ipv4:45.1.1.1", t, f"i{t}", 0) for t in (1, 2, 3)]
    found = evaluate({"i1", "i2", "i3"}, rows, {"ipv4:8.8.8.8": 500, "ipv4:45.1.1.1": 80},
                     RULES)
    assert found.score == 0 and not found.is_campaign
    notes = {e.key: e.note for e in found.ignored}
    assert notes["ipv4:8.8.8.8"] == "on the warning list 'Public DNS resolvers'"
    assert notes["ipv4:45.1.1.1"] == "in 80 incidents, more than 50: it no longer links"


def test_rarity_and_linking():
    assert RULES.rarity(10) == 1.0 and RULES.rarity(40) == 0.25
    assert RULES.links(row("ipv4:45.1.1.1", 1, "a", 0), 40)      # 3 × 0.25 = 0.75
    assert not RULES.links(row("ipv4:45.1.1.1", 1, "a", 0), 41)
    assert not RULES.links(row("technique:T1110", 1, "a", 0), 2)  # supports, never links
    assert not RULES.links(row("malware:emotet", 1, "a", 0), 2)

"""Campaign detection over index rows: pure functions, so the incremental run after a report
and the scheduled full pass apply literally the same rules.

Linking. Two incidents are linked when they share a linking key (not technique or malware alone:
those are everywhere) within the window W of each other, unless the key is on a warning list,
or has more than `max_postings` incidents (it then stops linking, and the explanation says so),
or its weight after rarity is below `link_weight`. Linked incidents form a component.

Scoring. A key shared by n > 1 towns in the component adds weight(kind) × rarity × (n - 1);
rarity is 1 for a key in at most `common_after` incidents and halves each time the count
doubles beyond: an address seen in 40 incidents says a quarter of what one seen in 10 says.

A component is a campaign when at least K distinct towns fall within one window W and its score
reaches the threshold.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable

from cyberhub.hub.correlation.index import Row
from cyberhub.hub.correlation.index_keys import LINKING, WEIGHTS

DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True)
class Rules:
    min_towns: int = 3                 # K
    window_us: int = 7 * DAY_US        # W
    threshold: float = 3.0
    max_postings: int = 50
    link_weight: float = 0.75
    common_after: int = 10

    def rarity(self, postings: int) -> float:
        """1 up to `common_after` incidents, then halved each time the count doubles. In
        steps, so that a key's weight changes only when its count crosses a step: that is
        when the campaigns holding it must be scored again, and only then."""
        if postings <= self.common_after:
            return 1.0
        return 0.5 ** math.ceil(math.log2(postings / self.common_after))

    def crossed(self, postings: int) -> bool:
        """Whether a key that has just reached this count now weighs or links differently."""
        if postings == self.max_postings + 1:
            return True
        if postings <= self.common_after:
            return False
        return self.rarity(postings) != self.rarity(postings - 1)

    def strength(self, kind: str, postings: int) -> float:
        return WEIGHTS.get(kind, 0.0) * self.rarity(postings)

    def links(self, row: Row, postings: int) -> bool:
        return (row.listed is None and row.kind in LINKING and postings <= self.max_postings
                and self.strength(row.kind, postings) >= self.link_weight)


@dataclass
class Evidence:
    key: str
    kind: str
    towns: int
    postings: int
    score: float
    note: str = ""


@dataclass
class Component:
    incidents: set[str]
    towns: dict[int, list[int]] = field(default_factory=dict)  # node id → seen times
    first_seen: int = 0
    last_seen: int = 0
    score: float = 0.0
    evidence: list[Evidence] = field(default_factory=list)
    ignored: list[Evidence] = field(default_factory=list)
    anchor: str = ""  # the earliest incident (ties: the smallest id)
    is_campaign: bool = False
    peak_towns: int = 0
    # From the same rows, for the campaign's explanation and STIX (so that publishing it
    # reads them no second time): every (incident, node, seen) of the rows, and the
    # indicators that carry each key.
    timeline: set[tuple[str, int, int]] = field(default_factory=set)
    indicators: dict[str, set[str]] = field(default_factory=dict)


def link_pairs(postings: list[Row], window_us: int) -> list[tuple[str, str]]:
    """The links one key makes: consecutive postings in time, within the window."""
    ordered = sorted(postings, key=lambda r: (r.seen, r.incident_id))
    return [(a.incident_id, b.incident_id) for a, b in zip(ordered, ordered[1:])
            if b.seen - a.seen <= window_us and a.incident_id != b.incident_id]


def peak_towns(times: dict[int, list[int]], window_us: int) -> int:
    """The most distinct towns inside any one window."""
    events = sorted((t, node) for node, seen in times.items() for t in seen)
    best, start = 0, 0
    inside: dict[int, int] = defaultdict(int)
    for t, node in events:
        inside[node] += 1
        while events[start][0] < t - window_us:
            old = events[start][1]
            inside[old] -= 1
            if not inside[old]:
                del inside[old]
            start += 1
        best = max(best, len(inside))
    return best


def evaluate(incidents: set[str], rows: Iterable[Row], postings: dict[str, int],
             rules: Rules) -> Component:
    """Score a component from all its incidents' rows."""
    component = Component(incidents=set(incidents))
    by_key: dict[str, list[Row]] = defaultdict(list)
    seen_of: dict[str, tuple[int, int]] = {}
    for row in rows:
        if row.incident_id not in incidents:
            continue
        by_key[row.key].append(row)
        seen_of[row.incident_id] = (row.seen, row.node_id)
        component.timeline.add((row.incident_id, row.node_id, row.seen))
        if row.object_id.startswith("indicator--"):
            component.indicators.setdefault(row.key, set()).add(row.object_id)
    for incident, (seen, node) in seen_of.items():
        component.towns.setdefault(node, []).append(seen)
    times = [seen for seen, _ in seen_of.values()]
    component.first_seen, component.last_seen = min(times), max(times)
    component.anchor = min(seen_of, key=lambda i: (seen_of[i][0], i))
    for key, key_rows in sorted(by_key.items()):
        towns = len({r.node_id for r in key_rows})
        if towns < 2:
            continue
        first = key_rows[0]
        count = postings.get(key, len(key_rows))
        if first.listed:
            component.ignored.append(Evidence(key, first.kind, towns, count, 0.0,
                                              f"on the warning list '{first.listed}'"))
            continue
        if count > rules.max_postings:
            component.ignored.append(Evidence(
                key, first.kind, towns, count, 0.0,
                f"in {count} incidents, more than {rules.max_postings}: it no longer links"))
            continue
        score = rules.strength(first.kind, count) * (towns - 1)
        component.evidence.append(Evidence(key, first.kind, towns, count, round(score, 3)))
    component.evidence.sort(key=lambda e: (-e.score, e.key))
    component.score = round(sum(e.score for e in component.evidence), 3)
    component.peak_towns = peak_towns(component.towns, rules.window_us)
    component.is_campaign = (component.peak_towns >= rules.min_towns
                             and component.score >= rules.threshold)
    return component


class UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        root = self.parent.setdefault(item, item)
        while self.parent[root] != root:
            root = self.parent[root]
        while item != root:  # path compression, without recursion
            self.parent[item], item = root, self.parent[item]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller id becomes the root: the result does not depend on the order of work.
            low, high = sorted((ra, rb))
            self.parent[high] = low

    def groups(self) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for item in list(self.parent):
            found[self.find(item)].add(item)
        return found

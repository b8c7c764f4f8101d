"""Running detection: incrementally for the incidents a report touched, or as a full pass.

Both find components with the same linking rule (detect.Rules.links and detect.link_pairs over
the complete postings of each linking key) and score them with the same function, so a full
pass over the index finds exactly the campaigns the incremental runs found.

The incremental run walks outwards from the new incidents: their keys, the postings of those
keys that link, the keys of the incidents reached, and so on until nothing new is reached.
Saturated and listed keys are never followed, which keeps the walk small however large the
index grows. The full pass streams the index once, ordered by key, and keeps only the
incidents that link in memory.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.hub.correlation import index
from cyberhub.hub.correlation.detect import Component, Rules, UnionFind, evaluate, link_pairs
from cyberhub.hub.correlation.index_keys import LINKING
from cyberhub.hub.storage.models import Observation


@dataclass
class Found:
    components: list[Component]
    examined: int  # incidents looked at
    reads: Reads | None = None  # what an incremental run read, to tell whether it still holds


class Reads:
    """The index reads of one incremental run, remembered: which incidents' rows it read (and
    how many there were), the postings count of every key it looked at, and how often the
    warning lists were re-applied. Index rows are otherwise only ever added, so when none of
    these has moved the same run would read exactly the same rows again, and find the same
    components. A value that moved between two reads of one run (another transaction's
    commit, on PostgreSQL) makes the run stale at once: its first reading decided something."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.rows: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.relisted = index.relisted(session)
        self.moved = False

    def _note(self, seen: dict[str, int], found: dict[str, int]) -> None:
        for name, value in found.items():
            if seen.setdefault(name, value) != value:
                self.moved = True

    def keys_of(self, incidents: set[str]) -> list[index.Row]:
        found = index.keys_of(self.session, incidents)
        per_incident = dict.fromkeys(incidents, 0)
        for row in found:
            per_incident[row.incident_id] += 1
        self._note(self.rows, per_incident)
        return found

    def postings_counts(self, keys: Iterable[str]) -> dict[str, int]:
        keys = set(keys)
        found = index.postings_counts(self.session, keys)
        self._note(self.counts, {key: found.get(key, 0) for key in keys})
        return found

    def postings_of(self, keys: Iterable[str]) -> list[index.Row]:
        """Rows of keys whose counts were read before (so that they are checked too)."""
        return index.postings_of(self.session, keys)

    def still_current(self, session: Session) -> bool:
        """Whether the index, as `session` sees it now, still has exactly what was read."""
        if self.moved or index.relisted(session) != self.relisted:
            return False
        rows = index.rows_per_incident(session, self.rows)
        if any(rows.get(incident, 0) != n for incident, n in self.rows.items()):
            return False
        counts = index.postings_counts(session, self.counts)
        return all(counts.get(key, 0) == n for key, n in self.counts.items())


def component_of(reads: Reads, start: str, rules: Rules) -> tuple[set[str], list[index.Row],
                                                                  dict[str, int]]:
    """The incidents linked to `start`, all their rows, and the posting counts of their keys."""
    links = UnionFind()
    links.find(start)
    expanded: set[str] = set()
    followed: set[str] = set()
    rows: list[index.Row] = []
    counts: dict[str, int] = {}
    frontier = {start}
    while frontier:
        new_rows = reads.keys_of(frontier)
        expanded |= frontier
        rows += new_rows
        candidates = {r.key: r for r in new_rows
                      if r.listed is None and r.kind in LINKING and r.key not in followed}
        counts.update(reads.postings_counts(candidates))
        linking = [key for key, row in candidates.items()
                   if rules.links(row, counts.get(key, 1))]
        followed |= set(candidates)
        by_key: dict[str, list[index.Row]] = defaultdict(list)
        for posting in reads.postings_of(linking):
            by_key[posting.key].append(posting)
        for postings in by_key.values():
            for a, b in link_pairs(postings, rules.window_us):
                links.union(a, b)
        root = links.find(start)
        members = {item for item, _ in links.parent.items() if links.find(item) == root}
        frontier = members - expanded
    root = links.find(start)
    members = {item for item in links.parent if links.find(item) == root}
    counts.update(reads.postings_counts({r.key for r in rows} - set(counts)))
    return members, [r for r in rows if r.incident_id in members], counts


def may_link(session: Session, added: index.Added, rules: Rules) -> set[str]:
    """The incidents among those that gained rows whose detection could find anything, decided
    from the counts the index step got back. An incident may be skipped when it is new (all
    its rows were just written) and none of its keys links it to another incident (a linking
    key now in 2 to `max_postings` incidents, with weight enough to link) or just crossed a
    step of rarity or the postings limit (the campaigns holding that key weigh or link
    differently now). Then the incremental run would find the incident alone, reach no
    campaign and rescore none, so skipping it changes no result. Technique and malware keys,
    in most reports and shared by hundreds, do not stop the skip: they link nothing. The
    common case, and one indexed query."""
    by_incident: dict[str, list[index.Row]] = defaultdict(list)
    for row in added.rows:
        by_incident[row.incident_id].append(row)
    stored = index.rows_per_incident(session, by_incident)
    found = set()
    for incident, rows in by_incident.items():
        if stored.get(incident, 0) > len(rows):  # a later stage: its component may change
            found.add(incident)
            continue
        for row in rows:
            count = added.counts.get(row.key, 1)
            if row.listed is None and (rules.crossed(count)
                                       or (count > 1 and rules.links(row, count))):
                found.add(incident)
                break
    return found


def incremental(session: Session, incidents: Iterable[str], rules: Rules,
                campaigns: dict[str, tuple[set[str], set[str]]] | None = None
                ) -> tuple[Found, set[str]]:
    """The components containing these incidents, and those of every campaign (id → member
    incidents and keys, from `campaigns`) the new incidents' keys reach: a key that stops linking
    (it became too common) must dissolve what it held together, just as a full pass would.
    Returns the components and the ids of the campaigns re-examined."""
    start = set(incidents)
    reached = set(start)
    reads = Reads(session)
    new_rows = reads.keys_of(start)
    # One read of the counts of the new incidents' keys serves both questions below.
    all_counts = reads.postings_counts({r.key for r in new_rows if r.listed is None})
    nearby = [r.key for r in new_rows if r.listed is None and r.kind in LINKING
              and all_counts.get(r.key, 1) <= rules.max_postings + 1]
    reached |= {posting.incident_id for posting in reads.postings_of(nearby)}
    # A campaign is scored again when it reaches the new incidents, or when one of its keys
    # just crossed a step of rarity or the postings limit (its weight or its links changed).
    # Otherwise its score is what a full pass would compute: nothing it depends on moved.
    crossed = {key for key, count in all_counts.items() if rules.crossed(count)}
    affected = {cid for cid, (members, keys) in (campaigns or {}).items()
                if members & reached or keys & crossed}
    for cid in affected:
        start |= campaigns[cid][0]  # type: ignore[index]
    done: set[str] = set()
    components = []
    for incident in sorted(start):
        if incident in done:
            continue
        members, rows, key_counts = component_of(reads, incident, rules)
        done |= members
        components.append(evaluate(members, rows, key_counts, rules))
    return Found(components, len(done), reads), affected


def full_pass(session: Session, rules: Rules, *, batch: int = 20000,
              progress: Callable[[int], None] | None = None) -> Found:
    """Every component with at least K incidents, from one ordered read of the index."""
    links = UnionFind()
    statement = (select(*index.ROW_COLUMNS)
                 .order_by(Observation.key, Observation.seen, Observation.incident_id)
                 .execution_options(yield_per=batch, stream_results=True))
    current: list[index.Row] = []
    read = 0

    def close_key() -> None:
        if len(current) > 1 and rules.links(current[0], len(current)):
            for a, b in link_pairs(current, rules.window_us):
                links.union(a, b)

    for values in session.execute(statement):
        row = index.Row(*values)
        read += 1
        if current and row.key != current[0].key:
            close_key()
            current = []
        current.append(row)
        if progress is not None and read % batch == 0:
            progress(read)
    close_key()
    components = []
    for members in sorted(links.groups().values(), key=min):
        if len(members) < rules.min_towns:
            continue
        rows = index.keys_of(session, members)
        counts = index.postings_counts(session, {r.key for r in rows})
        components.append(evaluate(members, rows, counts, rules))
    return Found(components, read)

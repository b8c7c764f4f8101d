"""Coordinates for the campaign page's two pictures, drawn by the template as SVG on the
server: no script, nothing for the CSP to allow, and the same picture with JavaScript off.

Both pictures have a table beside them with the same facts (WCAG 1.1.1): the drawing helps the
eye, it never carries anything the tables do not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

ROW = 28  # pixels per town or per piece of evidence
LEFT, RIGHT, WIDTH = 190, 450, 640
TIMELINE_LEFT, TIMELINE_WIDTH = 170, 440


@dataclass
class Graph:
    """Towns on the left, the evidence they share on the right, a line where a town has it."""

    height: int
    towns: list[tuple[str, int]] = field(default_factory=list)  # label, y
    evidence: list[tuple[str, int]] = field(default_factory=list)  # label, y
    lines: list[tuple[int, int]] = field(default_factory=list)  # y of town, y of evidence
    left: int = LEFT
    right: int = RIGHT
    width: int = WIDTH


def _short(text: str, limit: int = 34) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def graph(towns: list[tuple[str, str]], evidence: list[tuple[str, str]],
          edges: Iterable[tuple[str, str]], *, limit: int = 20) -> Graph:
    """`towns` and `evidence` as (key, label) in the order to draw; `edges` as (town key,
    evidence key). At most `limit` of each, so that the picture stays readable."""
    towns, evidence = towns[:limit], evidence[:limit]
    rows = max(len(towns), len(evidence), 1)
    drawn = Graph(height=rows * ROW + 20)
    town_y = {key: 20 + i * ROW + (rows - len(towns)) * ROW // 2
              for i, (key, _) in enumerate(towns)}
    evidence_y = {key: 20 + i * ROW + (rows - len(evidence)) * ROW // 2
                  for i, (key, _) in enumerate(evidence)}
    drawn.towns = [(_short(label, 26), town_y[key]) for key, label in towns]
    drawn.evidence = [(_short(label), evidence_y[key]) for key, label in evidence]
    drawn.lines = sorted({(town_y[t], evidence_y[e]) for t, e in edges
                          if t in town_y and e in evidence_y})
    return drawn


@dataclass
class Timeline:
    """One row per town, a dot per report, time running left to right."""

    height: int
    rows: list[tuple[str, int]] = field(default_factory=list)  # label, y
    dots: list[tuple[int, int, str]] = field(default_factory=list)  # x, y, tooltip
    left: int = TIMELINE_LEFT
    width: int = TIMELINE_LEFT + TIMELINE_WIDTH + 20


def timeline(rows: list[tuple[str, str]], events: Iterable[tuple[str, int, str]]) -> Timeline:
    """`rows` as (key, label) in order; `events` as (row key, time in µs, tooltip)."""
    events = list(events)
    drawn = Timeline(height=max(len(rows), 1) * ROW + 20)
    y_of = {key: 20 + i * ROW for i, (key, _) in enumerate(rows)}
    drawn.rows = [(_short(label, 24), y_of[key]) for key, label in rows]
    if not events:
        return drawn
    first = min(at for _, at, _ in events)
    span = max(max(at for _, at, _ in events) - first, 1)
    drawn.dots = [(TIMELINE_LEFT + round((at - first) * TIMELINE_WIDTH / span), y_of[key], tip)
                  for key, at, tip in events if key in y_of]
    return drawn

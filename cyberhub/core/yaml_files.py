"""YAML as people write it (incident descriptions, advisory documents), read safely.

Safe loading alone still expands aliases: a few hundred bytes of nested `*aliases` (the
"billion laughs") grow into gigabytes. Nobody writes aliases in these files, so they are
refused, as is nesting deep enough to exhaust the recursion of the parser.
"""

from __future__ import annotations

from typing import Any

import yaml


class YAMLRefused(yaml.YAMLError):
    """The text is YAML we do not read; `problem` says why, `problem_mark` where."""

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


class _Loader(yaml.SafeLoader):
    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise YAMLRefused("aliases (*name) are not allowed", self.peek_event().start_mark)
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """The document in `text`; yaml.YAMLError (with `problem`) when it cannot be read."""
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader without aliases
    except RecursionError:
        raise YAMLRefused("the document is nested too deeply") from None

"""Detection in rounds: the POSTs of one worker that ask for campaigns at the same time share
one detection run.

Every signed report that may link asks for a run right after its commit. A run reads the whole
component around its incidents and writes the campaigns they touch, under the correlation lock
(on SQLite, the database's one write lock). When the reports of a wave arrive together, their
runs read and rewrite the same campaign one after the other, each a little larger. So a caller
that arrives while a run is under way queues its incidents instead; when that run ends, the
first caller waiting leads one run for everything queued, and every caller returns only once a
run that began after it arrived has ended. What a POST caused is published when it returns,
as before; a run that fails fails every caller in it (ingest logs it; the full pass repeats it).
"""

from __future__ import annotations

import threading
from typing import Callable

LIMIT = 32
"""At most this many callers share a run, so that one run stays short."""

Run = Callable[[set[str]], list[str]]


class _Ticket:
    def __init__(self, incidents: set[str]) -> None:
        self.incidents = incidents
        self.woken = threading.Event()
        self.leads = False
        self.written: list[str] = []
        self.error: BaseException | None = None

    def outcome(self) -> list[str]:
        if self.error is not None:
            raise self.error
        return self.written


class Rounds:
    """Runs `run` for the union of the incidents its callers bring, one run at a time."""

    def __init__(self) -> None:
        self._state = threading.Lock()
        self._queue: list[_Ticket] = []
        self._busy = False

    def join(self, incidents: set[str], run: Run) -> list[str]:
        """The campaigns the run that covered these incidents wrote. `run` is the caller's
        way to detect; the callers of one `Rounds` all pass the same one."""
        ticket = _Ticket(set(incidents))
        with self._state:
            self._queue.append(ticket)
            leads, self._busy = not self._busy, True
        if not leads:
            ticket.woken.wait()
            if not ticket.leads:
                return ticket.outcome()
        with self._state:  # the leader is first in the queue: it arrived or was handed the turn
            batch, self._queue = self._queue[:LIMIT], self._queue[LIMIT:]
        try:
            written = run(set().union(*(t.incidents for t in batch)))
            for t in batch:
                t.written = written
        except BaseException as exc:
            for t in batch:
                t.error = exc
        finally:
            with self._state:
                if self._queue:
                    self._queue[0].leads = True
                    self._queue[0].woken.set()
                else:
                    self._busy = False
            for t in batch:
                t.woken.set()
        return ticket.outcome()

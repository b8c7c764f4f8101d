"""Sending the queue: one process at a time. The service and an operator's `report` share a
queue; each send signs a new carrier version stamped to the millisecond, so two processes
posting one report at once could collide at the hub. The second waits for the first and then
sends only what is still queued."""

from __future__ import annotations

import threading
import time

from cyberhub.agent import reporting, sender
from cyberhub.agent.description import load
from cyberhub.agent.store import Store

from .conftest import EXAMPLE


def test_a_second_sender_waits_and_does_not_send_what_the_first_delivered(local_agent):
    queued = reporting.queue_report(local_agent, load(EXAMPLE), source="file")
    other = Store(local_agent.store.path)  # what another agent process opens
    results: list[sender.SendResult] = []
    waiting = threading.Thread(target=lambda: results.append(sender.send_due(local_agent)))
    with other.sending():
        waiting.start()
        time.sleep(0.3)
        assert waiting.is_alive()  # held back while the other process sends
        with other.write() as conn:
            other.mark_delivered(conn, queued["seq"], at=time.time())
    waiting.join(timeout=10)
    # Nothing left to send: had it posted, the hub address (a closed port) would have failed.
    assert results == [sender.SendResult(delivered=[], refused=[], retrying=[])]
    assert local_agent.store.report_state(queued["seq"]) == "delivered"
    other.close()


def test_without_a_competitor_a_due_report_is_tried(local_agent):
    queued = reporting.queue_report(local_agent, load(EXAMPLE), source="file")
    result = sender.send_due(local_agent)
    assert result.retrying == [queued["report"]]  # no hub listens: tried, and kept queued
    assert local_agent.store.report_state(queued["seq"]) == "queued"

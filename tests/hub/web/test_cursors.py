"""`next` tokens: they bring back the position, for the same caller and query, until they
expire; anything else about them is refused with its own error code."""

from __future__ import annotations

import pytest

from cyberhub.hub.web.cursors import Cursors
from cyberhub.hub.web.errors import TaxiiError


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _refused(cursors: Cursors, token: str, *args) -> str:
    with pytest.raises(TaxiiError) as raised:
        cursors.position(token, *(args or (7, "objects", "q")))
    return raised.value.error_code


def test_a_token_brings_back_its_position_for_the_same_caller_and_query():
    cursors = Cursors("secret", 60)
    token = cursors.issue(7, "objects", "q", 1_765_000_000_123_456)
    assert cursors.position(token, 7, "objects", "q") == 1_765_000_000_123_456
    assert _refused(cursors, token, 8, "objects", "q") == "next-mismatch"
    assert _refused(cursors, token, 7, "manifest", "q") == "next-mismatch"
    assert _refused(cursors, token, 7, "objects", "other filters") == "next-mismatch"


def test_an_edited_forged_or_foreign_token_is_invalid():
    cursors = Cursors("secret", 60)
    token = cursors.issue(7, "objects", "q", 5)
    scope, position, issued, mac = token.split(".")
    for bad in (f"{scope}.6.{issued}.{mac}", f"{scope}.{position}.{int(issued) + 1}.{mac}",
                Cursors("another hub's secret", 60).issue(7, "objects", "q", 5),
                token + "A", "garbage", "x" * 500, "", f"{scope}.{position}.{issued}",
                f"{scope}.-5.{issued}.{mac}"):
        assert _refused(cursors, bad) == "next-invalid", bad


def test_a_token_expires_after_max_age():
    clock = Clock()
    cursors = Cursors("secret", 60, clock=clock)
    token = cursors.issue(7, "objects", "q", 5)
    clock.now += 60
    assert cursors.position(token, 7, "objects", "q") == 5
    clock.now += 1
    assert _refused(cursors, token) == "next-expired"

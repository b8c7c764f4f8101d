"""Fixtures for the hub's password checks (a cheap real Argon2 hasher that counts, and an
account whose hash it made), and `run_feed`: claim and run a feed as `cyberhub feeds sync`
does, with the test's clock."""

from typing import Any

import pytest
from argon2 import PasswordHasher
from conftest import PASSWORD

from cyberhub.core import timestamps
from cyberhub.hub import accounts
from cyberhub.hub.feeds import runs, schedule, sync
from cyberhub.hub.feeds.definitions import Feed


class CountingHasher(PasswordHasher):
    """A real Argon2 hasher, with cheap parameters, that counts its verifications."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verifications = 0

    def verify(self, hash, password):
        self.verifications += 1
        return super().verify(hash, password)


@pytest.fixture
def hasher():
    return CountingHasher()


@pytest.fixture
def anna(db, initialised, hasher):
    """An account whose hash has the cheap hasher's parameters (as verification uses them)."""
    with db.writing() as session:
        account = accounts.create_account(session, "anna", PASSWORD, now=timestamps.now_us())
        account.password_hash = hasher.hash(PASSWORD)
    return "anna"


@pytest.fixture
def run_feed(hub):
    """Claim and run a feed at `now` (µs), as `cyberhub feeds sync` does."""

    def run(feed: Feed, now: int | None = None, **options: Any) -> runs.Result:
        now = now if now is not None else timestamps.now_us()
        with hub.db.writing() as session:
            assert schedule.claim(session, feed, now=now, force=True)
        return sync.run(hub.db, feed, signer=hub.signer, lists=hub.correlator.lists, now=now,
                        client=runs.client_for(feed), **options)

    return run

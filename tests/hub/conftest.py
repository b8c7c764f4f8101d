"""Fixtures for the hub's password checks: a cheap real Argon2 hasher that counts, and an
account whose hash it made."""

import pytest
from argon2 import PasswordHasher
from conftest import PASSWORD

from cyberhub.core import timestamps
from cyberhub.hub import accounts


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

"""Who is asking, remembered in each worker until anything that decides it changes.

Authenticating a request in full costs three queries and the start of a transaction before
the request's own work (the login locks, the account, its rights): a third of the server's
time on a page of 100 objects. Every change to what decides a principal - an account's name,
password, admin flag or disabled flag, its rights, its API tokens, which account is a town,
any failed login or lock - moves one counter in the database (triggers, migration 0019), in
the same transaction as the change and whichever process made it, the CLI included. A worker
reads that counter first on every request; an entry made under another value is never used,
so a revoked token, a disabled account or a withdrawn right takes effect on the very next
request on every worker.

An entry is found only with the same username, the same password or token and the same
client address (a lock may hold for one address and not for another), under a per-process
key no client knows: like `accounts.CredentialCache`, it can only answer a client who sent
what was verified before, and it holds no password.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from cyberhub.hub.accounts import Principal
from cyberhub.hub.storage.models import AuthVersion

_VERSION = select(AuthVersion.version).where(AuthVersion.id == 1)


def current_version(session: Session) -> int:
    """The counter as this session sees it (one indexed read)."""
    return session.connection().execute(_VERSION).scalar_one()


class PrincipalCache:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._key = secrets.token_bytes(32)
        self._max = max_entries
        self._entries: dict[bytes, tuple[int, Principal]] = {}
        self._lock = threading.Lock()

    def _slot(self, username: str, password: str, address: str | None) -> bytes:
        message = b"\0".join((username.encode(), password.encode("utf-8", "surrogatepass"),
                              (address or "").encode()))
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def get(self, version: int, username: str, password: str, address: str | None
            ) -> Principal | None:
        with self._lock:
            entry = self._entries.get(self._slot(username, password, address))
        if entry is None or entry[0] != version:
            return None
        return entry[1]

    def put(self, version: int, username: str, password: str, address: str | None,
            principal: Principal) -> None:
        slot = self._slot(username, password, address)
        with self._lock:
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[slot] = (version, principal)

"""Who is asking, remembered per worker: the counter every deciding change moves (by trigger,
whoever writes), and the next request after a change is judged on it - in one process and
across the two workers of a real server."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import requests
from conftest import PASSWORD, basic
from hubprocess import RunningHub
from sqlalchemy import delete

from cyberhub.core import timestamps
from cyberhub.hub import accounts, api_tokens, logins, principals
from cyberhub.hub.accounts import Principal
from cyberhub.hub.principals import PrincipalCache
from cyberhub.hub.storage.models import Permission


def _version(db) -> int:
    with db.session() as session:
        return principals.current_version(session)


def test_every_change_that_decides_who_is_asking_moves_the_counter(db, initialised):
    now = timestamps.now_us()
    moves = {}

    def change(name, action):
        before = _version(db)
        with db.writing() as session:
            action(session)
        moves[name] = _version(db) - before

    change("account added", lambda s: accounts.create_account(s, "leser", PASSWORD, now=now,
                                                               read=["reports"]))
    change("right granted", lambda s: accounts.grant(s, "leser", "advisories", read=True,
                                                     write=False, actor="admin", now=now))
    change("right withdrawn", lambda s: s.execute(delete(Permission)))
    token = {}
    change("token made", lambda s: token.update(api_tokens.issue(s, "leser", "bot",
                                                                 actor="admin", now=now)))
    change("token used", lambda s: api_tokens.record_use(s, token["id"], now=now))
    change("token revoked", lambda s: api_tokens.revoke(s, "leser", token["id"],
                                                        actor="admin", now=now))
    change("failed login", lambda s: logins.record_failure(
        s, {logins.ACCOUNT: "leser"}, now=now, policy=logins.Policy()))
    change("account disabled", lambda s: accounts.set_disabled(s, "leser", True,
                                                               actor="admin", now=now))
    assert moves.pop("token used") == 0  # the last use is not who is asking
    assert all(moved >= 1 for moved in moves.values()), moves


def test_an_entry_answers_only_the_same_credentials_address_and_counter():
    cache = PrincipalCache()
    someone = Principal(1, "leser", False, {"c": (True, False)})
    cache.put(7, "leser", "geheim", "203.0.113.0", someone)
    assert cache.get(7, "leser", "geheim", "203.0.113.0") is someone
    assert cache.get(8, "leser", "geheim", "203.0.113.0") is None  # something changed
    assert cache.get(7, "leser", "falsch", "203.0.113.0") is None
    assert cache.get(7, "leser", "geheim", "198.51.100.0") is None  # locks are per address
    assert cache.get(7, "leserin", "geheim", "203.0.113.0") is None


def test_a_change_takes_effect_on_the_next_request(client, db, make_account):
    headers = make_account("leser", read=["reports"])
    assert client.get("/taxii2/", headers=headers).status_code == 200
    assert client.get("/taxii2/", headers=headers).status_code == 200  # from the cache
    with db.writing() as session:
        accounts.set_disabled(session, "leser", True, actor="admin", now=timestamps.now_us())
    assert client.get("/taxii2/", headers=headers).status_code == 401


def test_revocations_reach_every_worker_at_once(settings, initialised):
    """Two workers, each having answered (and remembered) the reader by password and by
    token; the CLI - another process - revokes the token, then disables the account: every
    request after each change is refused, whichever worker takes it."""
    hub = RunningHub(settings, 2, initialised.admin_password)
    try:
        def cli(*args: str) -> str:
            done = subprocess.run([sys.executable, "-m", "cyberhub", *args], env=hub.env,
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            return done.stdout

        password = json.loads(cli("accounts", "add", "leser", "--read", "reports",
                                  "--json"))["password"]
        token = json.loads(cli("accounts", "token", "add", "leser", "bot", "--json"))

        def statuses(secret: str, n: int = 24) -> list[int]:
            # Fresh connections from 8 threads at once, so both workers take some.
            def one(_):
                return requests.get(hub.url, headers=basic("leser", secret),
                                    timeout=30).status_code
            with ThreadPoolExecutor(8) as pool:
                return list(pool.map(one, range(n)))

        assert set(statuses(password)) == {200}
        assert set(statuses(token["token"])) == {200}
        cli("accounts", "token", "revoke", "leser", str(token["id"]))
        # Fewer than the 10 failures that would lock the account (then 429 for all).
        assert set(statuses(token["token"], 8)) == {401}, hub.log()
        assert set(statuses(password)) == {200}
        cli("accounts", "disable", "leser")
        assert set(statuses(password, 8)) == {401}, hub.log()
    finally:
        hub.stop()

"""`cyberhub peers` as two operators use it, on both sides of a real loopback connection:
the keys pinned only when the thumbprint read out matches, the Land hub enrolled at the
federal hub, every refusal one line with nothing stored."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import func, select

from cyberhub.cli import main
from cyberhub.hub import audit
from cyberhub.hub.storage.models import Node, Peer
from hub.federation.conftest import federal, land, pin  # noqa: F401 - fixtures


def _runner_for(settings) -> CliRunner:
    return CliRunner(env={"CYBERHUB_HOME": str(settings.home),
                          "CYBERHUB_DATABASE_URL": settings.effective_database_url,
                          "CYBERHUB_CONFIG": None})


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _peers(hub) -> int:
    with hub.db.session() as session:
        return session.scalar(select(func.count()).select_from(Peer))


def test_two_operators_peer_their_hubs(federal, land):  # noqa: F811
    at_federal, at_land = _runner_for(federal.hub.settings), _runner_for(land.hub.settings)
    land_key, federal_key = pin(land).thumbprints[0], pin(federal).thumbprints[0]

    added = _json(at_federal.invoke(main, [
        "peers", "add", "sachsen", "--url", land.url, "--role", "downstream", "--land", "sn",
        "--thumbprint", land_key, "--json"]))
    assert added["land"] == "SN" and added["thumbprints"] == [land_key]
    enrolled = _json(at_land.invoke(main, [
        "peers", "add", "bund", "--url", federal.url, "--role", "upstream", "--token",
        added["enrollment_token"], "--thumbprint", federal_key, "--json"]))
    assert enrolled["username"] == "node-sachsen"

    listed = _json(at_land.invoke(main, ["peers", "list", "--json"]))
    assert [(p["peer"], p["role"], p["identity"]) for p in listed] == [
        ("bund", "upstream", federal.hub.identity)]
    status = _json(at_federal.invoke(main, ["peers", "status", "sachsen", "--json"]))
    assert status[0]["relayed_towns"] == 0 and status[0]["identity"] == land.hub.identity
    # The Land hub's JWKS now vouches for the federal key, for the Land's towns.
    keys = land.client.get("/.well-known/cyberhub/jwks.json").get_json()["keys"]
    assert [k.get("cyberhub_hub") for k in keys] == [None, federal.hub.identity]
    forwarded = _json(at_land.invoke(main, ["peers", "forward", "--json"]))
    assert forwarded[0]["errors"] == []
    assert forwarded[0]["original"] == forwarded[0]["pseudonymised"] == 0  # no town yet

    with federal.hub.db.session() as session:
        actions = [e["action"] for e in audit.entries(session)
                   if e["subject"] in ("peer:sachsen", "node:sachsen")]
    assert actions[:2] == ["node.added", "node.token-issued"] and "peer.added" in actions

    removed = _json(at_federal.invoke(main, ["peers", "remove", "sachsen", "--json"]))
    assert removed["removed"] is True
    with federal.hub.db.session() as session:
        assert session.scalar(select(Node.disabled).where(Node.slug == "sachsen")) is True
    # The Land hub's account no longer opens anything at the federal hub.
    result = at_land.invoke(main, ["peers", "forward", "--json"])
    assert result.exit_code == 1 and "401" in json.loads(result.output)[0]["errors"][0]


def test_a_thumbprint_that_does_not_match_pins_nothing(federal, land):  # noqa: F811
    at_federal = _runner_for(federal.hub.settings)
    result = at_federal.invoke(main, ["peers", "add", "sachsen", "--url", land.url, "--role",
                                      "downstream", "--land", "SN", "--thumbprint", "x" * 43])
    assert result.exit_code == 1
    assert "do not pin it before its operator has confirmed it" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert _peers(federal.hub) == 0
    # Without --thumbprint and without a terminal to ask on, nothing is pinned either.
    result = at_federal.invoke(main, ["peers", "add", "sachsen", "--url", land.url, "--role",
                                      "downstream", "--land", "SN"])
    assert result.exit_code == 1 and "pass it as --thumbprint" in result.output
    assert _peers(federal.hub) == 0


def test_bad_input_is_one_line_and_changes_nothing(federal, land):  # noqa: F811
    at_federal, at_land = _runner_for(federal.hub.settings), _runner_for(land.hub.settings)
    land_key = pin(land).thumbprints[0]
    cases = [
        (at_federal, ["--url", land.url, "--role", "downstream"], "needs --land"),
        (at_federal, ["--url", land.url, "--role", "downstream", "--land", "XX",
                      "--thumbprint", land_key], "land must be one of"),
        (at_federal, ["--url", "ftp://nope/", "--role", "downstream", "--land", "SN"],
         "is not a hub's base URL"),
        (at_land, ["--url", federal.url, "--role", "upstream"], "needs --token"),
        (at_land, ["--url", federal.url, "--role", "upstream", "--token", "nope",
                   "--thumbprint", pin(federal).thumbprints[0]], "enrollment"),
        (at_federal, ["--url", "http://127.0.0.1:9/", "--role", "downstream", "--land", "SN"],
         "cannot be reached"),
    ]
    for runner, arguments, said in cases:
        result = runner.invoke(main, ["peers", "add", "peer-x", *arguments])
        assert result.exit_code != 0, arguments
        assert said in result.output, (arguments, result.output)
        assert "Traceback" not in result.output
    assert _peers(federal.hub) == _peers(land.hub) == 0
    result = at_federal.invoke(main, ["peers", "remove", "nobody"])
    assert result.exit_code == 1 and "no peer 'nobody'" in result.output

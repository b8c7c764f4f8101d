"""Warning lists keep what every town sees out of correlation."""

from __future__ import annotations

import pytest
from conftest import REPO

from cyberhub.hub.correlation import warninglists


@pytest.fixture(scope="module")
def lists():
    return warninglists.load(REPO / "config" / "warninglists")


@pytest.mark.parametrize("kind, value, listed", [
    ("ipv4", "8.8.8.8", "Public DNS resolvers"),
    ("ipv4-24", "8.8.8.0/24", "Public DNS resolvers"),  # the prefix around a listed address
    ("ipv4", "192.168.10.5", "Private, reserved and documentation address ranges"),
    ("ipv4", "203.0.113.9", "Private, reserved and documentation address ranges"),
    ("ipv6", "2001:db8::1", "Private, reserved and documentation address ranges"),
    ("domain", "ctldl.windowsupdate.com", "Operating system updates and large CDNs"),
    ("url", "http://deb.debian.org/debian/pool/x.deb", "Operating system updates and large CDNs"),
    ("email", "noreply@dns.google", "Public DNS resolver names"),
    ("hash", "SHA-256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "Hashes of empty input"),
    ("ipv4", "45.13.7.9", None),
    ("domain", "windowsupdate.com.evil.example", None),  # a suffix match, not a substring
])
def test_listed(lists, kind, value, listed):
    assert lists.listed(kind, value) == listed


def test_broken_list_files_are_named(tmp_path):
    (tmp_path / "bad.toml").write_text('name = "x"\ntype = "cidr"\nentries = ["not-an-ip"]\n')
    with pytest.raises(warninglists.WarninglistError) as caught:
        warninglists.load(tmp_path)
    assert "bad.toml" in str(caught.value) and "not-an-ip" in str(caught.value)
    (tmp_path / "bad.toml").write_text("type = \n")
    with pytest.raises(warninglists.WarninglistError):
        warninglists.load(tmp_path)


def test_a_missing_directory_is_an_error(tmp_path):
    with pytest.raises(warninglists.WarninglistError) as caught:
        warninglists.load(tmp_path / "nowhere")
    assert "no such directory" in str(caught.value)


def test_serve_refuses_a_broken_list_before_listening(runner, tmp_path):
    from cyberhub.cli import main

    runner.invoke(main, ["init"])
    (tmp_path / "lists").mkdir()
    (tmp_path / "lists" / "bad.toml").write_text('name = "x"\ntype = "cidr"\nentries = ["?"]\n')
    result = runner.invoke(main, ["serve"],
                           env={"CYBERHUB_WARNINGLISTS_DIR": str(tmp_path / "lists")})
    assert result.exit_code == 1
    assert result.output.startswith("error: warning list ") and "bad.toml" in result.output
    assert len(result.output.strip().splitlines()) == 1


# --- the hub's lists: the files, the MISP warning lists and the operator's entries --------

import json as _json  # noqa: E402
import uuid  # noqa: E402

from sqlalchemy import select  # noqa: E402

from cyberhub.core import timestamps  # noqa: E402
from cyberhub.hub import jobs  # noqa: E402
from cyberhub.hub.correlation import report  # noqa: E402
from cyberhub.hub.feeds import schedule, warninglist_sync  # noqa: E402
from cyberhub.hub.storage.models import CampaignRecord  # noqa: E402
from hub.feeds.conftest import make_feed, serve_conditional, shipped  # noqa: E402

# What five towns' suspicious-login reports share when nothing is wrong: Microsoft 365 and
# Google sign-in hosts, their sign-in URL, and the CDN and Microsoft addresses in the logs.
EVERYDAY = ["[domain-name:value = 'login.microsoftonline.com']",
            "[url:value = 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize']",
            "[domain-name:value = 'accounts.google.com']",
            "[domain-name:value = 'aadcdn.msauth.net']",
            "[ipv4-addr:value = '20.190.160.20']",    # Microsoft 365 sign-in
            "[ipv4-addr:value = '104.16.124.96']",    # Cloudflare
            "[ipv4-addr:value = '151.101.65.140']"]   # Fastly
ATTACKER = "[domain-name:value = 'm365-anmeldung-sicher.example']"


def _login_report(town, n: int, patterns: list[str]) -> list[dict]:
    stamp = f"2026-11-2{n % 3}T08:0{n}:00.000Z"
    incident = {"type": "incident", "spec_version": "2.1", "created_by_ref": town.identity,
                "id": f"incident--{uuid.uuid4()}", "created": stamp, "modified": stamp,
                "name": f"Verdaechtige Anmeldungen {n}"}
    return [town.identity_object, incident] + [{
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}",
        "created_by_ref": town.identity, "created": stamp, "modified": stamp,
        "name": "Anmeldung", "pattern": pattern, "pattern_type": "stix", "valid_from": stamp}
        for pattern in patterns]


def _report_all(db, correlator, towns, patterns) -> list[str]:
    written = []
    for n, town in enumerate(towns):
        with db.writing() as session:
            touched = correlator.index(session, [(town.identity, _login_report(
                town, n, patterns))], timestamps.now_us())
        written += correlator.detect(db, touched)
    return written


def _active(db) -> list[dict]:
    with db.session() as session:
        return [_json.loads(r.explanation) for r in session.scalars(
            select(CampaignRecord).where(CampaignRecord.state == "active"))]


def _load_misp(hub) -> None:
    feed = shipped("misp-warninglists", "https://lists.example/")
    now = timestamps.now_us()
    with hub.db.writing() as session:
        assert schedule.claim(session, feed, now=now, force=True)
    assert not warninglist_sync.run(hub.db, feed, now=now).failed
    assert hub.correlator.lists.refresh()


def test_everyday_logins_link_five_towns_without_the_misp_lists(hub, db, make_town):
    towns = [make_town(f"login-{n}") for n in range(5)]
    assert _report_all(db, hub.correlator, towns, EVERYDAY)  # the new user's "campaign"
    evidence = {e["key"] for e in _active(db)[0]["evidence"]}
    assert "domain:login.microsoftonline.com" in evidence and "ipv4:104.16.124.96" in evidence


def test_with_the_misp_lists_everyday_logins_make_no_campaign(hub, db, make_town):
    _load_misp(hub)
    towns = [make_town(f"login-{n}") for n in range(5)]
    assert _report_all(db, hub.correlator, towns, EVERYDAY) == []
    assert _active(db) == []
    jobs.full_pass(hub)
    assert _active(db) == []


def test_a_real_campaign_among_everyday_logins_is_still_found_and_explained(hub, db,
                                                                            make_town):
    _load_misp(hub)
    towns = [make_town(f"login-{n}") for n in range(4)]
    assert _report_all(db, hub.correlator, towns, EVERYDAY + [ATTACKER])
    (campaign,) = _active(db)
    assert [e["key"] for e in campaign["evidence"]] == [
        "domain:m365-anmeldung-sicher.example", "regdomain:m365-anmeldung-sicher.example"]
    ignored = {e["key"]: e["note"] for e in campaign["ignored"]}
    assert ignored["domain:login.microsoftonline.com"] == \
        "on the warning list 'List of known Office 365 URLs'"
    assert ignored["ipv4:104.16.124.96"] == "on the warning list 'List of known Cloudflare IP " \
        "ranges'"
    # `cyberhub campaigns show` names the lists that silenced the rest.
    with db.session() as session:
        with_ids = session.scalars(select(CampaignRecord.id)).all()
        shown = report.render(report.detail(session, with_ids[0]))
    assert "ipv4       151.101.65.140: on the warning list 'List of known Fastly IP address " \
        "ranges'" in shown
    assert "on the warning list 'List of known Office 365 URLs'" in shown


def test_an_operators_entry_silences_a_value(hub, db, make_town):
    from cyberhub.hub.correlation import warninglists as lists_

    towns = [make_town(f"gw-{n}") for n in range(3)]
    with db.writing() as session:
        lists_.add_local(session, "cidr", "80.147.33.10", note="Mail-Gateway des Landes",
                         actor="cli", now=timestamps.now_us())
    assert hub.correlator.lists.refresh()
    gateway = ["[ipv4-addr:value = '80.147.33.10']"]
    assert _report_all(db, hub.correlator, towns, gateway) == []
    assert hub.correlator.lists.listed("ipv4", "80.147.33.10") == \
        "Local allow entry: Mail-Gateway des Landes"


def test_a_list_update_that_drops_an_entry_links_again_after_the_full_pass(
        hub, db, make_town, httpserver):
    cdn = {"description": "CDN", "matching_attributes": ["ip-dst"], "name": "Test CDN ranges",
           "type": "cidr", "version": 1, "list": ["185.199.108.0/22"]}
    serve_conditional(httpserver, "/m/lists/cdn/list.json", _json.dumps(cdn).encode())
    feed = make_feed(name="test-lists", format="warninglists", url=httpserver.url_for("/m"),
                     warninglists={"include": ("cdn",), "from_package": False})

    def run(now):
        with db.writing() as session:
            assert schedule.claim(session, feed, now=now, force=True)
        return warninglist_sync.run(db, feed, now=now)

    run(timestamps.now_us())
    jobs.full_pass(hub)
    towns = [make_town(f"pages-{n}") for n in range(3)]
    shared = ["[ipv4-addr:value = '185.199.108.153']"]
    assert _report_all(db, hub.correlator, towns, shared) == []
    httpserver.clear()
    serve_conditional(httpserver, "/m/lists/cdn/list.json", _json.dumps(
        {**cdn, "version": 2, "list": ["151.101.0.0/16"]}).encode())
    assert run(timestamps.now_us()).updated == 1
    assert _active(db) == []                 # the index still says "listed" ...
    jobs.full_pass(hub)                       # ... until the scheduler's pass re-marks it
    (campaign,) = _active(db)
    assert campaign["evidence"][0]["key"] == "ipv4:185.199.108.153"


def test_every_process_follows_a_change_within_the_check_interval(hub, db, settings):
    from cyberhub.hub.correlation import warninglists as lists_

    other = lists_.load_hub(settings.warninglists_dir, db, every=0.0)  # another worker
    assert other.listed("domain", "mail.landesnetz.example") is None
    with db.writing() as session:
        lists_.add_local(session, "hostname", "landesnetz.example", note="Landesnetz",
                         actor="cli", now=timestamps.now_us())
    assert other.listed("domain", "mail.landesnetz.example") == "Local allow entry: Landesnetz"
    assert other.origins["Local allow entry: Landesnetz"].startswith("local")


def test_the_stamp_check_costs_nothing_noticeable(hub, db, settings):
    import time

    from cyberhub.hub.correlation import warninglists as lists_

    _load_misp(hub)
    lists = hub.correlator.lists
    start = time.perf_counter()
    for _ in range(200):
        with db.session() as session:
            lists_.stamp_of(session)
    per_check = (time.perf_counter() - start) / 200
    assert per_check < 0.005  # one look every CHECK_SECONDS: under a millisecond in practice
    start = time.perf_counter()
    for n in range(20000):
        lists.listed("ipv4", f"45.13.{n % 250}.9")
    assert (time.perf_counter() - start) / 20000 < 50e-6


def test_the_files_apply_when_the_database_does_not_answer(tmp_path):
    from cyberhub.hub.storage.database import Database

    empty = Database(f"sqlite:///{tmp_path / 'no-tables.db'}")  # not migrated: no lists table
    lists = warninglists.load_hub(REPO / "config" / "warninglists", empty)
    assert lists.listed("ipv4", "8.8.8.8") == "Public DNS resolvers"
    assert lists.stamp is None and not lists.refresh()
    empty.dispose()

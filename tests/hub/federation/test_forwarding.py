"""A Land hub forwards its towns' reports to the federal hub (a real server on loopback):
in the form its sharing rules say, incrementally, and never twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from conftest import post_objects
from sqlalchemy import func, select, update

from cyberhub.core import timestamps, tlp
from cyberhub.hub import collections, inbox
from cyberhub.hub.correlation import report as campaigns
from cyberhub.hub.services import provenance
from cyberhub.hub.storage.models import Node, Peer, Relay, StoredObject
from hub.federation.conftest import report


def send(land, town, objects) -> None:
    with land.hub.db.session() as session:
        reports = collections.find(session, "reports").id
    answer = post_objects(land.client, town.headers, reports, town.sign(objects))
    assert answer.status_code == 202
    assert not answer.get_json().get("failures"), answer.get_json()["failures"]


def stored(hub, object_id: str) -> list[dict]:
    with hub.db.session() as session:
        return [json.loads(body) for body in session.scalars(
            select(StoredObject.body).where(StoredObject.object_id == object_id))]


def count(hub, model=StoredObject, *where) -> int:
    with hub.db.session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_green_report_goes_up_with_the_towns_own_signature(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    objects = report(aue, level="green")
    send(land, aue, objects)

    result = land.hub.forwarder.run("bund")

    assert (result.original, result.pseudonymised, result.refused, result.errors) == \
        (1, 0, 0, [])
    incident = objects[2]
    assert stored(federal.hub, incident["id"]) == [incident]  # as the town sent it
    with federal.hub.db.session() as session:
        town = session.scalar(select(Node).where(Node.identity_id == aue.identity))
        hub_node = session.scalar(select(Node).where(Node.slug == "sachsen"))
        assert (town.name, town.land, town.relayed_by) == ("Stadt Aue", "SN", hub_node.id)
        row = inbox.get(session, incident["id"])
        assert (row["land"], row["tlp"]) == ("SN", "green")
        reports = collections.find(session, "reports").id
        carrier = provenance.signature_for(session, reports, incident["id"], row["versions"]
                                           and _added(session, incident["id"]))
        assert carrier["created_by_ref"] == aue.identity  # the town's signature, kept
        assert provenance.verify(session, reports, carrier).valid


def _added(session, object_id: str) -> int:
    return session.scalar(select(StoredObject.date_added).where(
        StoredObject.object_id == object_id))


def test_amber_goes_up_pseudonymised_and_the_pseudonym_stays_the_same(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    first, second = report(aue, level="amber", number=1), report(aue, level="amber", number=2)
    send(land, aue, first)
    land.hub.forwarder.run("bund")
    send(land, aue, second)
    result = land.hub.forwarder.run("bund")
    assert (result.pseudonymised, result.refused) == (1, 0)

    with federal.hub.db.session() as session:
        bodies = "\n".join(session.scalars(select(StoredObject.body)))
        towns = session.scalars(select(Node).where(Node.relayed_by.is_not(None))).all()
        in_inbox = [inbox.get(session, obj["id"]) for obj in bodies_of(session, "incident")]
    assert aue.identity not in bodies and "Stadt Aue" not in bodies
    assert first[2]["id"] not in bodies  # the incident's own id does not travel either
    assert len(towns) == 1 and towns[0].name.startswith("Kommune in Sachsen")
    assert towns[0].land == "SN"
    assert count(federal.hub, StoredObject, StoredObject.type == "incident") == 2
    assert [(row["town"], row["land"]) for row in in_inbox] == [(towns[0].slug, "SN")] * 2


def bodies_of(session, kind: str) -> list[dict]:
    return [json.loads(body) for body in session.scalars(
        select(StoredObject.body).where(StoredObject.type == kind))]


def test_red_and_amber_strict_stay_with_the_land_hub(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="red", number=1))
    send(land, aue, report(aue, level="amber+strict", number=2))
    result = land.hub.forwarder.run("bund")
    assert (result.original, result.pseudonymised, result.forwards) == (0, 0, 0)
    assert result.held_back >= 2
    assert count(federal.hub, StoredObject, StoredObject.type == "incident") == 0


def test_forwarding_resumes_where_it_stopped_and_stores_nothing_twice(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    towns = [make_town(slug) for slug in ("aue", "borna", "colditz")]
    for town in towns:
        send(land, town, report(town, level="green"))
    assert land.hub.forwarder.run("bund").original == 3
    assert land.hub.forwarder.run("bund").groups == 0  # nothing new: nothing sent
    before = count(federal.hub)

    # As if the Land hub died after the federal hub took the forward and before it moved
    # its cursor: the same groups go again, and the federal hub stores none of them twice.
    with land.hub.db.writing() as session:
        session.execute(update(Peer).values(cursor=0))
    again = land.hub.forwarder.run("bund")
    assert (again.original, again.refused) == (3, 0)
    assert count(federal.hub) == before

    later = make_town("delitzsch")
    send(land, later, report(later, level="green"))
    assert land.hub.forwarder.run("bund").original == 1
    assert count(federal.hub, StoredObject, StoredObject.type == "incident") == 4


def test_the_federal_hub_finds_the_campaign_its_land_hubs_forward(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    for slug in ("aue", "borna", "colditz"):
        town = make_town(slug)
        send(land, town, report(town, level="amber"))
    land.hub.forwarder.run("bund")
    with federal.hub.db.session() as session:
        found = campaigns.summaries(session)
    assert len(found) == 1 and found[0]["towns"] == 3
    with federal.hub.db.session() as session:
        detail = campaigns.detail(session, found[0]["id"])
    explained = detail["explanation"]
    assert explained["lands"] == ["SN"]
    assert {(town["land"], town["via"]) for town in explained["towns"]} == {("SN", "sachsen")}


def test_unreachable_upstream_backs_off_and_keeps_everything(peered, make_town):
    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green"))
    federal.close()
    result = land.hub.forwarder.run("bund")
    assert result.errors and "cannot be reached" in result.errors[0]
    with land.hub.db.session() as session:
        peer = session.get(Peer, "bund")
        assert (peer.cursor, peer.failures) == (0, 1) and peer.next_attempt > peer.last_attempt
    assert land.hub.forwarder.upstreams(due_only=True) == []


def test_marking_levels_are_what_the_rules_read(peered):
    # The Land hub holds the TLP 2.0 markings; a level name maps to the OASIS id the
    # reports carry, which the forward reads back.
    assert tlp.marking_definition("green")["id"] == tlp.IDS["green"]


def test_a_land_hub_killed_while_forwarding_loses_and_duplicates_nothing(peered, make_town):
    """A real `cyberhub peers forward` process, killed with SIGKILL after its first forward;
    once its hold on the peer has run out, the next run sends the rest, and the federal hub
    holds every report exactly once."""
    land, federal = peered["land"], peered["federal"]
    towns = [make_town(f"ort-{n}") for n in range(3)]
    total = 450  # three forwards of at most 200 groups
    for number in range(total):
        town = towns[number % 3]
        send(land, town, report(town, level="green", number=number,
                                domain=f"welle-{number}.example"))
    settings = land.hub.settings
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("CYBERHUB_")},
           "CYBERHUB_HOME": str(settings.home),
           "CYBERHUB_DATABASE_URL": settings.effective_database_url}
    process = subprocess.Popen([sys.executable, "-m", "cyberhub", "peers", "forward", "bund"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while count(federal.hub, Relay) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    taken_before = count(federal.hub, StoredObject, StoredObject.type == "incident")
    assert 0 < taken_before < total  # killed in the middle
    with land.hub.db.writing() as session:  # as when its hold runs out, two minutes later
        session.execute(update(Peer).values(running_until=timestamps.now_us() - 1))

    result = land.hub.forwarder.run("bund")

    assert result.errors == [] and result.refused == 0
    with federal.hub.db.session() as session:
        ids = list(session.scalars(select(StoredObject.object_id).where(
            StoredObject.type == "incident")))
    assert len(ids) == len(set(ids)) == total


def test_an_observable_two_towns_sent_with_other_markings_goes_in_two_forwards(peered,
                                                                              make_town):
    land, federal = peered["land"], peered["federal"]
    aue, borna, colditz = (make_town(slug) for slug in ("aue", "borna", "colditz"))
    send(land, aue, report(aue, level="green"))
    send(land, borna, report(borna, level="clear"))  # the same domain, marked CLEAR
    send(land, colditz, report(colditz, level="green"))

    result = land.hub.forwarder.run("bund")

    # One relay's manifest names each id once: the CLEAR copy of the domain takes a second
    # forward, and the third town's report (same variant as the first) joins the first.
    assert (result.forwards, result.original, result.refused) == (2, 3, 0)
    with federal.hub.db.session() as session:
        reports = collections.find(session, "reports").id
        carriers = [json.loads(body) for body in session.scalars(
            select(StoredObject.body).where(StoredObject.type == "x-cyberhub-signature"))]
        towns = [c for c in carriers if c["created_by_ref"] in
                 (aue.identity, borna.identity, colditz.identity)]
        assert len(towns) == 3
        assert all(provenance.verify(session, reports, c).valid for c in towns)


def test_a_relay_the_upstream_refuses_keeps_the_reports_for_the_next_try(peered, make_town):
    """The relay itself refused (here: the federal hub revoked the Land hub's key) judges no
    report: the position stays, and the run backs off."""
    from cyberhub.hub import nodes

    land, federal = peered["land"], peered["federal"]
    aue = make_town("aue")
    send(land, aue, report(aue, level="green"))
    with federal.hub.db.writing() as session:
        nodes.revoke_key(session, "sachsen", peered["enrolled"]["kid"],
                         now=timestamps.now_us())

    result = land.hub.forwarder.run("bund")

    assert result.errors and "refused the relay: key-revoked" in result.errors[0]
    with land.hub.db.session() as session:
        peer = session.get(Peer, "bund")
        assert (peer.cursor, peer.failures, peer.forwarded) == (0, 1, 0)

"""Who reads what in the advisories collection: decided per node at query time, on every
TAXII read path (objects, manifest, one object, versions) and on every `next` page."""

from __future__ import annotations

import pytest

from cyberhub.core import timestamps
from cyberhub.hub.advisories import document, drafting, lifecycle
from cyberhub.hub.storage.models import Advisory
from hub.advisories.conftest import publish_advisory
from hub.advisories.test_lifecycle import GREEN_DOCUMENT


def _read_all(client, headers, collection_id, path="objects", limit=1) -> list[dict]:
    """Every entry, one page at a time, following `next`."""
    found, token = [], None
    url = f"/taxii2/hub/collections/{collection_id}/{path}/"
    for _ in range(1000):
        query = f"?limit={limit}" + (f"&next={token}" if token else "")
        response = client.get(url + query, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        found += body.get("objects", [])
        token = body.get("next")
        if not body.get("more"):
            return found
    raise AssertionError("paging did not end")


@pytest.fixture
def amber(db, people, signer, campaign):
    campaign_id, towns, outside = campaign
    with db.session() as session:
        proposal = drafting.from_campaign(session, campaign_id)
    return publish_advisory(db, people, signer, proposal), towns, outside


def test_an_amber_advisory_reaches_campaign_towns_and_nobody_else(client, collection_ids,
                                                                  amber, admin):
    advisory_id, towns, outside = amber
    advisories = collection_ids["advisories"]
    everything = {o["id"] for o in _read_all(client, admin, advisories, limit=1000)}
    for town in towns:
        seen = _read_all(client, town.headers, advisories)
        ids = {o["id"] for o in seen}
        assert advisory_id in ids
        assert any(o["type"] == "indicator" for o in seen)
        assert ids <= everything
        manifest = _read_all(client, town.headers, advisories, path="manifest")
        assert {m["id"] for m in manifest} == ids
    # The town outside gets nothing on any path, page by page or whole.
    assert _read_all(client, outside.headers, advisories) == []
    assert _read_all(client, outside.headers, advisories, limit=1000) == []
    assert _read_all(client, outside.headers, advisories, path="manifest") == []
    one = f"/taxii2/hub/collections/{advisories}/objects/{advisory_id}/"
    assert client.get(one, headers=outside.headers).status_code == 404
    assert client.get(one + "versions/", headers=outside.headers).status_code == 404
    assert client.get(one, headers=towns[0].headers).status_code == 200
    filtered = client.get(f"/taxii2/hub/collections/{advisories}/objects/?match[id]="
                          f"{advisory_id}", headers=outside.headers)
    assert filtered.status_code == 200 and filtered.get_json() == {}


def test_a_next_token_is_filtered_again_and_bound_to_its_account(client, collection_ids,
                                                                 amber):
    advisory_id, towns, outside = amber
    url = f"/taxii2/hub/collections/{collection_ids['advisories']}/objects/?limit=1"
    first = client.get(url, headers=towns[0].headers).get_json()
    assert first["more"] and first["next"]
    stolen = client.get(url + f"&next={first['next']}", headers=outside.headers)
    assert stolen.status_code == 400
    assert stolen.get_json()["http_status"] == "400"


def test_tlp_is_decided_when_the_town_reads(client, db, collection_ids, amber):
    advisory_id, towns, _ = amber
    advisories = collection_ids["advisories"]
    assert _read_all(client, towns[0].headers, advisories, limit=1000)
    with db.writing() as session:  # an analyst tightens the advisory to RED
        session.get(Advisory, advisory_id).published_tlp = "red"
    assert _read_all(client, towns[0].headers, advisories, limit=1000) == []


def test_green_reaches_every_town_also_one_that_joins_later(client, db, people, signer,
                                                            collection_ids, amber,
                                                            make_town):
    amber_id, towns, outside = amber
    green_id = publish_advisory(db, people, signer, document.parse(GREEN_DOCUMENT))
    newcomer = make_town("zwickau")
    advisories = collection_ids["advisories"]
    for reader in (outside, newcomer):
        ids = {o["id"] for o in _read_all(client, reader.headers, advisories)}
        assert green_id in ids and amber_id not in ids
    assert {amber_id, green_id} <= {o["id"] for o in _read_all(client, towns[1].headers,
                                                                advisories)}


def test_a_withdrawal_reaches_the_towns_that_had_it(client, db, people, signer,
                                                    collection_ids, amber):
    advisory_id, towns, outside = amber
    with db.writing() as session:
        lifecycle.withdraw(session, people(session, "carla"), advisory_id, "wrong sender",
                           signer=signer, now=timestamps.now_us())
    advisories = collection_ids["advisories"]
    latest = [o for o in _read_all(client, towns[2].headers, advisories)
              if o["id"] == advisory_id]
    assert latest and latest[0]["revoked"] is True
    assert _read_all(client, outside.headers, advisories) == []


def test_amber_reaches_a_town_whose_own_report_carries_the_indicator(client, db, people,
                                                                     signer, make_town,
                                                                     collection_ids):
    from conftest import post_objects

    from hub.advisories.conftest import campaign_report

    long_url = "https://rechnung-stadtwerke.example/download?" + "k=v&" * 150  # > 400 chars
    sighted, other = make_town("gotha", "TH"), make_town("hof", "BY")
    objects = campaign_report(sighted, 1)
    objects[2]["pattern"] = f"[url:value = '{long_url}']"
    assert post_objects(client, sighted.headers, collection_ids["reports"],
                        sighted.sign(objects)).status_code == 202
    amber_doc = dict(GREEN_DOCUMENT, tlp="amber",
                     indicators=[{"kind": "url", "value": long_url}])
    advisory_id = publish_advisory(db, people, signer, document.parse(amber_doc))
    with db.session() as session:
        towns = {t["node"]: t["reason"] for t in lifecycle.status(session, advisory_id)["towns"]}
    assert towns == {"gotha": "sighting"}
    advisories = collection_ids["advisories"]
    assert advisory_id in {o["id"] for o in _read_all(client, sighted.headers, advisories)}
    assert _read_all(client, other.headers, advisories) == []


def test_a_stricter_revision_reaches_only_its_new_audience(client, db, people, signer,
                                                          make_town, collection_ids):
    kept, dropped = make_town("aue"), make_town("brilon")
    advisory_id = publish_advisory(db, people, signer, document.parse(GREEN_DOCUMENT))
    advisories = collection_ids["advisories"]
    assert advisory_id in {o["id"] for o in _read_all(client, dropped.headers, advisories)}
    tighter = document.parse(dict(GREEN_DOCUMENT, tlp="amber", towns=["aue"]))
    with db.writing() as session:
        lifecycle.revise(session, people(session, "bert"), advisory_id, tighter,
                         now=timestamps.now_us())
    with db.writing() as session:
        lifecycle.approve(session, people(session, "anna"), advisory_id,
                          now=timestamps.now_us())
    with db.writing() as session:
        lifecycle.publish(session, people(session, "carla"), advisory_id, signer=signer,
                          now=timestamps.now_us())
    assert _read_all(client, dropped.headers, advisories) == []
    latest = [o for o in _read_all(client, kept.headers, advisories) if o["id"] == advisory_id]
    assert latest[0]["object_marking_refs"] == [
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]

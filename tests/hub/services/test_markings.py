"""A marking the hub cannot resolve: the object is stored as sent, the status says the marking
is read as TLP:RED, and the audience decisions (the correlation index's TLP, from which drafts
take theirs) treat it so."""

from conftest import indicator, post_objects
from sqlalchemy import select

from cyberhub.core import tlp
from cyberhub.hub.storage.models import Observation

UNKNOWN = "marking-definition--00000000-0000-4000-8000-00000000abcd"
STATEMENT = {"type": "marking-definition", "spec_version": "2.1",
             "id": "marking-definition--00000000-0000-4000-8000-00000000beef",
             "created": "2026-01-01T00:00:00.000Z", "definition_type": "statement",
             "definition": {"statement": "Nur für Kommunen"}}


def _messages(response):
    body = response.get_json()
    assert response.status_code == 202, body
    return {s["id"]: s.get("message", "") for s in body["successes"]}


def test_the_status_says_an_unknown_marking_is_read_as_red(client, admin, collection_ids):
    unknown = indicator(1, object_marking_refs=[UNKNOWN])
    plain = indicator(2, object_marking_refs=[tlp.IDS["green"]])
    messages = _messages(post_objects(client, admin, collection_ids["scratch"], [unknown, plain]))
    assert UNKNOWN in messages[unknown["id"]] and "TLP:RED" in messages[unknown["id"]]
    assert messages[plain["id"]] == ""
    stored = client.get(f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/"
                        f"{unknown['id']}/", headers=admin).get_json()["objects"][0]
    assert stored["object_marking_refs"] == [UNKNOWN]  # stored as the sender wrote it


def test_a_marking_the_hub_holds_is_not_unknown(client, admin, collection_ids):
    scratch = collection_ids["scratch"]
    first = indicator(3, object_marking_refs=[STATEMENT["id"]])
    messages = _messages(post_objects(client, admin, scratch, [STATEMENT, first]))
    assert messages[first["id"]] == ""
    later = indicator(4, object_marking_refs=[STATEMENT["id"]])  # held from the last POST
    assert _messages(post_objects(client, admin, scratch, [later]))[later["id"]] == ""


def test_a_town_report_with_an_unknown_marking_is_indexed_as_red(client, db, collection_ids,
                                                                 make_town):
    town = make_town("aue")
    report = town.report()
    report[1]["object_marking_refs"] = [tlp.IDS["clear"], UNKNOWN]
    response = post_objects(client, town.headers, collection_ids["reports"], town.sign(report))
    assert "TLP:RED" in _messages(response)[report[1]["id"]]
    with db.session() as session:
        levels = set(session.scalars(select(Observation.tlp).where(
            Observation.incident_id == report[1]["id"])))
    assert levels == {"red"}

"""On a signed collection only an object's creator adds versions of it, and a signed group that
does not fit what is stored is refused whole: the stored signatures never cover content the hub
does not hold."""

import pytest
from conftest import TAXII, indicator, post_objects

from cyberhub.core import timestamps


@pytest.fixture
def reports(collection_ids):
    return collection_ids["reports"]


def _versions(client, admin, reports, object_id):
    response = client.get(f"/taxii2/hub/collections/{reports}/objects/{object_id}/versions/",
                          headers=admin)
    return response.get_json().get("versions", []) if response.status_code == 200 else []


def _signatures(client, admin, reports):
    body = client.get(f"/taxii2/hub/collections/{reports}/objects/?match[type]="
                      "x-cyberhub-signature&limit=1000", headers=admin).get_json()
    return body.get("objects", [])


def _later(obj, **changes):
    return {**obj, "modified": "2026-11-21T09:00:00.000Z", **changes}


def _refused_whole(response, code):
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.content_type == TAXII
    body = response.get_json()
    assert body["error_code"] == code
    return body["details"]["failures"]


@pytest.mark.parametrize("creator", ["own", "none"])
def test_a_town_cannot_version_another_towns_incident(client, admin, reports, make_town,
                                                      creator):
    aue, brilon = make_town("aue"), make_town("brilon")
    incident = aue.report()[1]
    assert post_objects(client, aue.headers, reports, aue.sign(aue.report())).status_code == 202
    forged = _later(incident, name="Entwarnung: alles gut")
    if creator == "own":
        forged["created_by_ref"] = brilon.identity
    else:
        del forged["created_by_ref"]
    extra = indicator(900, created_by_ref=brilon.identity)
    failures = _refused_whole(post_objects(client, brilon.headers, reports,
                                           brilon.sign([forged, extra])), "not-the-creator")
    assert {f["id"] for f in failures} >= {incident["id"], extra["id"]}
    assert aue.identity in next(f for f in failures if f["id"] == incident["id"])["message"]
    # Nothing of the group: not the version, not the other object, not the signature.
    assert [v for v in _versions(client, admin, reports, incident["id"])] == [incident["modified"]]
    assert _versions(client, admin, reports, extra["id"]) == []
    assert all(s["created_by_ref"] != brilon.identity
               for s in _signatures(client, admin, reports))


def test_the_creator_adds_a_version(client, admin, reports, make_town):
    aue = make_town("aue")
    incident = aue.report()[1]
    assert post_objects(client, aue.headers, reports, aue.sign(aue.report())).status_code == 202
    later = _later(incident, name="Phishing-Welle 1, eingedämmt")
    response = post_objects(client, aue.headers, reports, aue.sign([later]))
    assert response.status_code == 202, response.get_data(as_text=True)
    assert _versions(client, admin, reports, incident["id"]) == [incident["modified"],
                                                                 later["modified"]]


def test_a_version_conflict_refuses_the_whole_group(client, admin, reports, make_town):
    aue = make_town("aue")
    incident = aue.report()[1]
    assert post_objects(client, aue.headers, reports, aue.sign(aue.report())).status_code == 202
    before = len(_signatures(client, admin, reports))
    changed = {**incident, "name": "anderer Inhalt, gleiche Version"}
    new = indicator(901, created_by_ref=aue.identity)
    failures = _refused_whole(post_objects(client, aue.headers, reports,
                                           aue.sign([changed, new])), "version-conflict")
    assert {f["id"] for f in failures} >= {incident["id"], new["id"]}
    assert _versions(client, admin, reports, new["id"]) == []
    assert len(_signatures(client, admin, reports)) == before


def test_a_refused_group_does_not_spend_its_token(client, admin, reports, make_town):
    """The token of a group refused for what it carries is not remembered: the same envelope
    sent again is judged again (the same conflict), not refused as a replay; one accepted is."""
    aue = make_town("aue")
    assert post_objects(client, aue.headers, reports, aue.sign(aue.report())).status_code == 202
    clash = aue.sign([{**aue.report()[1], "name": "anderer Inhalt, gleiche Version"}])
    for _ in range(2):
        _refused_whole(post_objects(client, aue.headers, reports, clash), "version-conflict")
    accepted = aue.sign(aue.report(2)[1:])
    assert post_objects(client, aue.headers, reports, accepted).status_code == 202
    replayed = post_objects(client, aue.headers, reports, accepted)
    assert replayed.get_json()["error_code"] == "token-replayed"


def test_beside_a_conflicting_group_the_other_group_is_stored(client, admin, reports,
                                                               make_town):
    aue = make_town("aue")
    assert post_objects(client, aue.headers, reports, aue.sign(aue.report(1))).status_code == 202
    clash = aue.sign([{**aue.report(1)[1], "name": "zweite Fassung ohne neue Version"}])
    fine = aue.sign(aue.report(2)[1:])
    response = post_objects(client, aue.headers, reports, clash + fine)
    body = response.get_json()
    assert response.status_code == 202, body
    assert body["success_count"] == len(fine)
    assert {f["id"] for f in body["failures"]} == {o["id"] for o in clash}
    assert all(f["message"].startswith("version-conflict") for f in body["failures"])


def test_a_resent_report_is_a_duplicate_not_a_conflict(client, reports, make_town):
    aue = make_town("aue")
    assert post_objects(client, aue.headers, reports, aue.sign(aue.report())).status_code == 202
    again = post_objects(client, aue.headers, reports, aue.sign(aue.report()))
    assert again.status_code == 202 and again.get_json()["failure_count"] == 0


def test_a_town_may_update_its_own_identity(client, admin, reports, make_town):
    aue = make_town("aue")
    assert post_objects(client, aue.headers, reports, aue.sign(aue.report())).status_code == 202
    renamed = {**aue.identity_object, "name": "Große Kreisstadt Aue",
               "modified": timestamps.format_us(timestamps.now_us())}
    response = post_objects(client, aue.headers, reports, aue.sign([renamed]))
    assert response.status_code == 202, response.get_data(as_text=True)

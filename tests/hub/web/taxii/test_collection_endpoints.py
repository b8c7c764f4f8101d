"""Collections (5.1, 5.2): each caller sees only collections it has a right on."""

from conftest import TAXII


def test_admin_sees_every_default_collection(client, admin):
    body = client.get("/taxii2/hub/collections/", headers=admin).get_json()
    aliases = [c["alias"] for c in body["collections"]]
    assert aliases == ["reports", "campaigns", "advisories", "indicators", "vulnerabilities",
                       "answers"]
    for collection in body["collections"]:
        assert collection["can_read"] is True and collection["can_write"] is True
        assert collection["media_types"] == ["application/stix+json;version=2.1"]


def test_rights_are_reflected_per_caller(client, make_account, collection_ids):
    town = make_account("town", read=["advisories"], write=["reports"])
    body = client.get("/taxii2/hub/collections/", headers=town).get_json()
    seen = {c["alias"]: (c["can_read"], c["can_write"]) for c in body["collections"]}
    assert seen == {"reports": (False, True), "advisories": (True, False)}
    one = client.get(f"/taxii2/hub/collections/{collection_ids['advisories']}/",
                     headers=town).get_json()
    assert (one["can_read"], one["can_write"]) == (True, False)


def test_collection_without_rights_is_404(client, make_account, collection_ids):
    town = make_account("town", write=["reports"])
    response = client.get(f"/taxii2/hub/collections/{collection_ids['campaigns']}/",
                          headers=town)
    assert response.status_code == 404 and response.content_type == TAXII


def test_account_without_any_collection_gets_empty_resource(client, make_account):
    nobody = make_account("nobody")
    response = client.get("/taxii2/hub/collections/", headers=nobody)
    assert response.status_code == 200 and response.get_json() == {}


def test_collection_by_alias(client, admin, collection_ids):
    body = client.get("/taxii2/hub/collections/reports/", headers=admin).get_json()
    assert body["id"] == collection_ids["reports"]

"""Discovery (4.1), API root (4.2) and status (4.3)."""

from conftest import TAXII, indicator, post_objects


def test_discovery_lists_the_api_root(client, admin):
    response = client.get("/taxii2/", headers=admin)
    assert response.status_code == 200
    assert response.content_type == TAXII
    body = response.get_json()
    assert body["title"] and body["default"] == "/taxii2/hub/"
    assert body["api_roots"] == ["/taxii2/hub/"]


def test_api_root_advertises_version_and_max_content_length(client, admin, settings):
    body = client.get("/taxii2/hub/", headers=admin).get_json()
    assert body["versions"] == [TAXII]
    assert body["max_content_length"] == settings.max_content_length


def test_unknown_api_root_is_404(client, admin):
    response = client.get("/taxii2/other/", headers=admin)
    assert response.status_code == 404
    assert response.get_json()["error_code"] == "api-root-not-found"


def test_status_reports_counts_and_lists(client, admin, collection_ids):
    posted = post_objects(client, admin, collection_ids["scratch"],
                          [indicator(1), indicator(2), {"type": "indicator"}])
    assert posted.status_code == 202
    status_id = posted.get_json()["id"]
    body = client.get(f"/taxii2/hub/status/{status_id}/", headers=admin).get_json()
    assert body["status"] == "complete"
    assert (body["total_count"], body["success_count"], body["failure_count"],
            body["pending_count"]) == (3, 2, 1, 0)
    assert {s["id"] for s in body["successes"]} == {indicator(1)["id"], indicator(2)["id"]}
    assert body["failures"][0]["message"]
    assert "pendings" not in body


def test_status_is_private_to_the_account_that_posted(client, admin, collection_ids,
                                                      make_account):
    writer = make_account("writer", write=["scratch"])
    other = make_account("other", read=["scratch"], write=["scratch"])
    status_id = post_objects(client, writer, collection_ids["scratch"],
                             [indicator(1)]).get_json()["id"]
    assert client.get(f"/taxii2/hub/status/{status_id}/", headers=writer).status_code == 200
    assert client.get(f"/taxii2/hub/status/{status_id}/", headers=other).status_code == 404
    assert client.get(f"/taxii2/hub/status/{status_id}/", headers=admin).status_code == 200


def test_unknown_status_is_404(client, admin):
    for status_id in ("00000000-0000-4000-8000-000000000000", "not-a-uuid"):
        response = client.get(f"/taxii2/hub/status/{status_id}/", headers=admin)
        assert response.status_code == 404 and response.content_type == TAXII


def test_statuses_are_kept_for_the_retention_period_then_purged(db, collection_ids):
    import json

    from cyberhub.core import stix
    from cyberhub.hub.accounts import Principal
    from cyberhub.hub.services import ingest, statuses

    raw = stix.parse_envelope(json.dumps({"objects": [indicator(1)]}))[1]
    hour = 3_600_000_000
    with db.writing() as session:
        old = ingest.add_envelope(session, collection_ids["scratch"], raw, account_id=1,
                                  now=lambda: 10 * hour)
    admin_principal = Principal(1, "admin", True)
    with db.writing() as session:
        assert statuses.purge(session, before=10 * hour - 1) == 0
        assert statuses.get_status(session, old.id, admin_principal) is not None
        assert statuses.purge(session, before=10 * hour + 1) == 1
        assert statuses.get_status(session, old.id, admin_principal) is None

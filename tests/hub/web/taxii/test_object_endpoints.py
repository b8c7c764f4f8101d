"""Objects, object, manifest and versions endpoints (5.3-5.8), as a spec table."""

import pytest
from conftest import TAXII, indicator, post_objects

V1, V2, V3 = "2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"


@pytest.fixture
def target(collection_ids):
    return collection_ids["scratch"]


@pytest.fixture
def url(target):
    return f"/taxii2/hub/collections/{target}"


@pytest.fixture
def filled(client, admin, target):
    """Indicator 1 in three versions, indicators 2-4 once, an ipv4-addr and a malware."""
    objects = [indicator(1, V1), indicator(2), indicator(3), indicator(1, V3), indicator(4),
               indicator(1, V2),
               {"type": "ipv4-addr", "id": "ipv4-addr--00000000-0000-5000-8000-000000000001",
                "value": "203.0.113.9"},
               {"type": "malware", "spec_version": "2.1", "created": V1, "modified": V1,
                "id": "malware--00000000-0000-4000-8000-000000000001", "is_family": True,
                "name": "Emotet"}]
    assert post_objects(client, admin, target, objects).status_code == 202


def _ids(response):
    return [o["id"] for o in response.get_json().get("objects", [])]


def test_post_returns_202_status(client, admin, target):
    response = post_objects(client, admin, target, [indicator(1)])
    assert response.status_code == 202 and response.content_type == TAXII
    body = response.get_json()
    assert body["status"] == "complete" and body["success_count"] == 1


def test_get_objects_returns_latest_versions_in_date_added_order(client, admin, url, filled):
    response = client.get(f"{url}/objects/", headers=admin)
    assert response.status_code == 200 and response.content_type == TAXII
    objects = response.get_json()["objects"]
    assert [o["id"][-1] for o in objects] == ["2", "3", "1", "4", "1", "1"]
    assert [o.get("modified") for o in objects if o["id"] == indicator(1)["id"]] == [V3]
    assert response.headers["X-TAXII-Date-Added-First"].endswith("Z")
    assert response.headers["X-TAXII-Date-Added-Last"] >= response.headers[
        "X-TAXII-Date-Added-First"]


@pytest.mark.parametrize("query, expected", [
    ("match[version]=all", 8),
    ("match[version]=first", 6),
    ("match[version]=last", 6),
    ("match[version]=first,last", 7),
    (f"match[version]={V2}", 1),
    (f"match[version]={V1},{V3}", 6),
    ("match[type]=malware", 1),
    ("match[type]=malware,ipv4-addr", 2),
    ("match[type]=campaign", 0),
    ("match[id]=malware--00000000-0000-4000-8000-000000000001", 1),
    ("match[spec_version]=2.1", 6),
    ("match[spec_version]=2.0", 0),
    ("match[type]=indicator&match[version]=all", 6),
])
def test_filters(client, admin, url, filled, query, expected):
    response = client.get(f"{url}/objects/?{query}", headers=admin)
    assert response.status_code == 200
    assert len(_ids(response)) == expected


def test_empty_result_is_an_empty_envelope(client, admin, url, filled):
    response = client.get(f"{url}/objects/?match[type]=campaign", headers=admin)
    assert response.get_json() == {}
    assert "X-TAXII-Date-Added-First" not in response.headers


def test_added_after_is_strictly_after(client, admin, url, filled):
    first = client.get(f"{url}/objects/?limit=1", headers=admin)
    stamp = first.headers["X-TAXII-Date-Added-Last"]
    rest = client.get(f"{url}/objects/?added_after={stamp}", headers=admin)
    assert _ids(first)[0] not in _ids(rest)
    assert len(_ids(rest)) == 5


def test_paging_with_next_visits_everything_once(client, admin, url, filled):
    seen, token, pages = [], None, 0
    while True:
        query = "match[version]=all&limit=3" + (f"&next={token}" if token else "")
        body = client.get(f"{url}/objects/?{query}", headers=admin).get_json()
        seen += [(o["id"], o.get("modified")) for o in body["objects"]]
        pages += 1
        if not body["more"]:
            assert "next" not in body
            break
        token = body["next"]
    assert pages == 3 and len(seen) == 8 and len(set(seen)) == 8


def test_resuming_with_added_after_never_skips_or_repeats(client, admin, url, target):
    post_objects(client, admin, target, [indicator(i) for i in range(10)])
    seen, after = [], None
    for _ in range(10):
        query = "limit=4" + (f"&added_after={after}" if after else "")
        response = client.get(f"{url}/objects/?{query}", headers=admin)
        ids = _ids(response)
        if not ids:
            break
        seen += ids
        after = response.headers["X-TAXII-Date-Added-Last"]
        if len(seen) == 4:  # something arrives while the reader is between pages
            post_objects(client, admin, target, [indicator(100), indicator(101)])
    assert len(seen) == 12 and len(set(seen)) == 12


def test_next_token_must_come_with_the_same_filters(client, admin, url, filled):
    token = client.get(f"{url}/objects/?limit=2", headers=admin).get_json()["next"]
    response = client.get(f"{url}/objects/?limit=2&next={token}&match[type]=malware",
                          headers=admin)
    assert response.status_code == 400
    assert response.get_json()["error_code"] == "next-mismatch"


def test_tampered_next_token_is_refused(client, admin, url, filled):
    token = client.get(f"{url}/objects/?limit=2", headers=admin).get_json()["next"]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (forged, "garbage", "x" * 500):
        response = client.get(f"{url}/objects/?limit=2&next={bad}", headers=admin)
        assert response.status_code == 400
        assert response.get_json()["error_code"] == "next-invalid"


def test_next_token_of_another_account_is_refused(client, admin, url, filled, make_account):
    reader = make_account("reader", read=["scratch"])
    token = client.get(f"{url}/objects/?limit=2", headers=admin).get_json()["next"]
    response = client.get(f"{url}/objects/?limit=2&next={token}", headers=reader)
    assert response.status_code == 400
    assert response.get_json()["error_code"] == "next-mismatch"


def test_next_token_is_rechecked_against_current_rights(client, db, url, filled, make_account):
    from sqlalchemy import update

    from cyberhub.hub.storage.models import Account, Permission

    reader = make_account("reader", read=["scratch"])
    token = client.get(f"{url}/objects/?limit=2", headers=reader).get_json()["next"]
    with db.writing() as session:
        account_id = session.query(Account.id).filter_by(username="reader").scalar()
        session.execute(update(Permission).where(Permission.account_id == account_id)
                        .values(can_read=False))
    response = client.get(f"{url}/objects/?limit=2&next={token}", headers=reader)
    assert response.status_code == 404


def test_next_token_survives_a_new_app_instance(client, admin, settings, url, filled):
    from cyberhub.hub.web.app import create_app

    token = client.get(f"{url}/objects/?limit=2", headers=admin).get_json()["next"]
    other = create_app(settings).test_client()  # another worker, or the hub after a restart
    body = other.get(f"{url}/objects/?limit=2&next={token}", headers=admin).get_json()
    assert len(body["objects"]) == 2


def test_limit_is_capped_by_the_server(client, admin, url, target, settings):
    post_objects(client, admin, target, [indicator(i) for i in range(5)])
    body = client.get(f"{url}/objects/?limit=99999999", headers=admin).get_json()
    assert len(body["objects"]) == 5 and body["more"] is False


@pytest.mark.parametrize("query, parameter", [
    ("limit=0", "limit"), ("limit=-1", "limit"), ("limit=abc", "limit"),
    ("added_after=yesterday", "added_after"), ("added_after=2026-01-01", "added_after"),
    ("match[version]=all,last", "match[version]"), ("match[version]=latest", "match[version]"),
    ("match[version]=last,last", "match[version]"),
    ("match[spec_version]=two", "match[spec_version]"),
    ("match[type]=a,,b", "match[type]"), ("limit=1&limit=2", "limit"),
    ("match[type]=indicator&match[type]=malware", "match[type]"), ("next=", "next"),
])
def test_malformed_parameters_are_400(client, admin, url, query, parameter):
    response = client.get(f"{url}/objects/?{query}", headers=admin)
    assert response.status_code == 400 and response.content_type == TAXII
    body = response.get_json()
    assert body["error_code"] == "bad-parameter" and body["details"]["parameter"] == parameter


def test_manifest_records(client, admin, url, filled):
    response = client.get(f"{url}/manifest/?match[id]={indicator(1)['id']}&match[version]=all",
                          headers=admin)
    assert response.status_code == 200 and response.content_type == TAXII
    records = response.get_json()["objects"]
    assert [r["version"] for r in records] == [V1, V3, V2]
    assert all(r["media_type"] == "application/stix+json;version=2.1" for r in records)
    assert records[0]["date_added"] == response.headers["X-TAXII-Date-Added-First"]
    assert records[-1]["date_added"] == response.headers["X-TAXII-Date-Added-Last"]


def test_manifest_pages_with_next(client, admin, url, filled):
    body = client.get(f"{url}/manifest/?limit=4", headers=admin).get_json()
    assert body["more"] is True
    rest = client.get(f"{url}/manifest/?limit=4&next={body['next']}", headers=admin).get_json()
    assert len(body["objects"]) + len(rest["objects"]) == 6 and rest["more"] is False


def test_get_object_defaults_to_last_version(client, admin, url, filled):
    response = client.get(f"{url}/objects/{indicator(1)['id']}/", headers=admin)
    assert response.status_code == 200
    objects = response.get_json()["objects"]
    assert [o["modified"] for o in objects] == [V3]
    assert "X-TAXII-Date-Added-Last" in response.headers


def test_get_object_all_versions_in_date_added_order(client, admin, url, filled):
    body = client.get(f"{url}/objects/{indicator(1)['id']}/?match[version]=all",
                      headers=admin).get_json()
    assert [o["modified"] for o in body["objects"]] == [V1, V3, V2]


def test_get_unknown_object_is_404(client, admin, url, filled):
    response = client.get(f"{url}/objects/indicator--00000000-0000-4000-8000-0000000000ff/",
                          headers=admin)
    assert response.status_code == 404 and response.get_json()["error_code"] == "object-not-found"


def test_get_object_refuses_type_filter(client, admin, url, filled):
    response = client.get(f"{url}/objects/{indicator(1)['id']}/?match[type]=indicator",
                          headers=admin)
    assert response.status_code == 400


def test_versions(client, admin, url, filled):
    response = client.get(f"{url}/objects/{indicator(1)['id']}/versions/", headers=admin)
    assert response.status_code == 200
    assert response.get_json() == {"more": False, "versions": [V1, V3, V2]}
    assert "X-TAXII-Date-Added-First" in response.headers
    paged = client.get(f"{url}/objects/{indicator(1)['id']}/versions/?limit=2",
                       headers=admin).get_json()
    assert paged["versions"] == [V1, V3] and paged["more"] is True
    rest = client.get(f"{url}/objects/{indicator(1)['id']}/versions/?limit=2&next="
                      f"{paged['next']}", headers=admin).get_json()
    assert rest == {"more": False, "versions": [V2]}


def test_versions_of_unversioned_object_use_date_added(client, admin, url, filled):
    response = client.get(
        f"{url}/objects/ipv4-addr--00000000-0000-5000-8000-000000000001/versions/",
        headers=admin)
    assert response.get_json()["versions"] == [response.headers["X-TAXII-Date-Added-First"]]


def test_delete_one_version_keeps_the_others_and_moves_last(client, admin, url, filled):
    object_url = f"{url}/objects/{indicator(1)['id']}/"
    response = client.delete(f"{object_url}?match[version]={V3}", headers=admin)
    assert response.status_code == 200 and response.content_type == TAXII
    body = client.get(object_url, headers=admin).get_json()
    assert [o["modified"] for o in body["objects"]] == [V2]
    versions = client.get(f"{object_url}versions/", headers=admin).get_json()["versions"]
    assert versions == [V1, V2]


def test_delete_all_versions_then_404(client, admin, url, filled):
    object_url = f"{url}/objects/{indicator(1)['id']}/"
    assert client.delete(object_url, headers=admin).status_code == 200
    assert client.get(object_url, headers=admin).status_code == 404
    manifest = client.get(f"{url}/manifest/?match[version]=all", headers=admin).get_json()
    assert indicator(1)["id"] not in {r["id"] for r in manifest["objects"]}
    assert client.delete(object_url, headers=admin).status_code == 404


@pytest.mark.parametrize("read, write, expected", [
    ([], [], 404), (["scratch"], [], 403), ([], ["scratch"], 403), (["scratch"], ["scratch"], 200),
])
def test_delete_rights_follow_section_5_7(client, make_account, url, filled, read, write,
                                          expected):
    caller = make_account("caller", read=read, write=write)
    response = client.delete(f"{url}/objects/{indicator(2)['id']}/", headers=caller)
    assert response.status_code == expected and response.content_type == TAXII


@pytest.mark.parametrize("read, write, method, expected", [
    ([], [], "get", 404), ([], ["scratch"], "get", 404), (["scratch"], [], "get", 200),
    ([], [], "post", 403), (["scratch"], [], "post", 403), ([], ["scratch"], "post", 202),
])
def test_read_and_write_rights(client, make_account, url, target, method, read, write,
                               expected):
    caller = make_account("caller", read=read, write=write)
    if method == "get":
        for path in ("objects/", "manifest/"):
            assert client.get(f"{url}/{path}", headers=caller).status_code == expected
    else:
        assert post_objects(client, caller, target, [indicator(1)]).status_code == expected


def test_post_to_unknown_collection_is_404(client, admin):
    response = post_objects(client, admin, "00000000-0000-4000-8000-000000000000",
                            [indicator(1)])
    assert response.status_code == 404

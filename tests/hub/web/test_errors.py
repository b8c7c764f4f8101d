"""Every failure is a TAXII error resource with the right status; nothing gives a 500."""

import json

import pytest
from conftest import TAXII, basic, indicator, post_objects


def _is_error(response, status, code=None):
    assert response.status_code == status
    assert response.content_type == TAXII
    body = response.get_json()
    assert body["http_status"] == str(status) and body["title"] and body["description"]
    if code:
        assert body["error_code"] == code
    return body


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer abc"}, {"Authorization": "Basic !!!"},
    {"Authorization": "Basic bm9jb2xvbg=="},  # "nocolon"
])
def test_missing_or_malformed_credentials_are_401_with_challenge(client, headers):
    response = client.get("/taxii2/", headers={"Accept": TAXII, **headers})
    _is_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Basic ")


def test_wrong_password_is_401(client, initialised):
    _is_error(client.get("/taxii2/", headers=basic("admin", "wrong")), 401)
    _is_error(client.get("/taxii2/", headers=basic("ghost", "wrong")), 401)
    _is_error(client.get("/taxii2/", headers=basic("ad\x00min", "wrong")), 401)
    _is_error(client.get("/taxii2/", headers=basic("x" * 5000, "wrong")), 401)


def test_password_change_takes_effect_despite_the_credential_cache(client, db, admin):
    from cyberhub.hub.accounts import hash_password
    from cyberhub.hub.storage.models import Account

    assert client.get("/taxii2/", headers=admin).status_code == 200
    with db.writing() as session:
        session.query(Account).filter_by(username="admin").one().password_hash = \
            hash_password("a completely new password")
    _is_error(client.get("/taxii2/", headers=admin), 401)


def test_disabled_account_is_refused(client, db, admin):
    from cyberhub.hub.storage.models import Account

    with db.writing() as session:
        session.query(Account).filter_by(username="admin").one().disabled = True
    _is_error(client.get("/taxii2/", headers=admin), 401)


@pytest.mark.parametrize("accept, ok", [
    ("application/taxii+json;version=2.1", True),
    ("application/taxii+json", True),
    ("application/taxii+json; version=2.1", True),
    ("application/json, application/taxii+json;version=2.1;q=0.9", True),
    ("text/html;q=1, application/taxii+json;version=2.1;q=0.5", True),
    ("application/stix+json;version=2.1", True),
    ("*/*", True),
    ("application/*", True),
    ("application/taxii+json;version=2.0", False),
    ("application/taxii+json;version=2.1;q=0", False),
    ("text/html", False),
    ("application/json", False),
])
def test_content_negotiation(client, admin, accept, ok):
    response = client.get("/taxii2/", headers={**admin, "Accept": accept})
    if ok:
        assert response.status_code == 200 and response.content_type == TAXII
    else:
        _is_error(response, 406, "not-acceptable")


@pytest.mark.parametrize("content_type, ok", [
    ("application/taxii+json;version=2.1", True),
    ("application/taxii+json", True),
    ("application/taxii+json; version=2.1; charset=utf-8", True),
    ("application/json", False),
    ("application/taxii+json;version=2.0", False),
    ("text/plain", False),
    (None, False),
])
def test_post_content_type(client, admin, collection_ids, content_type, ok):
    headers = dict(admin)
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post(f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/",
                           data=json.dumps({"objects": [indicator(1)]}), headers=headers)
    if ok:
        assert response.status_code == 202
    else:
        _is_error(response, 415, "unsupported-media-type")


@pytest.mark.parametrize("path", ["/", "/nothing", "/taxii2/hub/collections/x/y/z/",
                                  "/static/x.js", "/taxii2/hub/status/"])
def test_unknown_paths_are_taxii_404(client, admin, path):
    _is_error(client.get(path, headers=admin), 404)


@pytest.mark.parametrize("method, path", [
    ("put", "/taxii2/"), ("post", "/taxii2/hub/"), ("delete", "/taxii2/hub/collections/"),
    ("patch", "/taxii2/hub/collections/reports/objects/"), ("options", "/taxii2/"),
])
def test_wrong_methods_are_taxii_405(client, admin, method, path):
    _is_error(getattr(client, method)(path, headers=admin), 405, "method-not-allowed")


def test_body_over_max_content_length_is_413_and_stores_nothing(client, admin, collection_ids,
                                                                settings):
    huge = json.dumps({"objects": [indicator(1, description="x" * settings.max_content_length)]})
    _is_error(post_objects(client, admin, collection_ids["scratch"], [], raw=huge), 413,
              "too-large")
    listing = client.get(f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/",
                         headers=admin)
    assert listing.get_json() == {}


@pytest.mark.parametrize("raw, code", [
    ('{"objects":[{"type":"indicator","type":"malware"}]}', "duplicate-key"),
    ('{"objects":[NaN]}', "malformed-json"),
    ('{"objects":[{"n": 9007199254740993}]}', "malformed-json"),
    ("not json", "malformed-json"),
    ('["a list"]', "not-an-envelope"),
    ('{"no_objects": []}', "not-an-envelope"),
    ('{"objects": []}', "empty-envelope"),
    ("\ufeff{}", "malformed-json"),
])
def test_malformed_bodies_are_400_and_store_nothing(client, admin, collection_ids, raw, code):
    _is_error(post_objects(client, admin, collection_ids["scratch"], [], raw=raw), 400, code)
    listing = client.get(f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/",
                         headers=admin)
    assert listing.get_json() == {}


def test_envelope_of_only_invalid_objects_is_422_with_failures(client, admin, collection_ids):
    response = post_objects(client, admin, collection_ids["scratch"],
                            [{"type": "indicator", "id": "indicator--x"}, {"type": 5}])
    body = _is_error(response, 422, "invalid-stix")
    assert len(body["details"]["failures"]) == 2
    status = client.get(f"/taxii2/hub/status/{body['details']['status_id']}/",
                        headers=admin).get_json()
    assert status["failure_count"] == 2 and status["success_count"] == 0


@pytest.mark.parametrize("value", [
    "x" * 5000, "\x00", "%00", "..%2F..%2Fetc", "'; DROP TABLE objects; --", "\u202e",
])
def test_hostile_identifiers_in_urls_never_give_500(client, admin, collection_ids, value):
    for path in (f"/taxii2/hub/collections/{value}/objects/",
                 f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/{value}/",
                 f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/{value}/versions/",
                 f"/taxii2/hub/status/{value}/"):
        response = client.get(path, headers=admin)
        assert response.status_code in (400, 404) and response.content_type == TAXII


@pytest.mark.parametrize("query", [
    "match[id]=a%00b", "match[type]=%00", "next=%00", "x%00=1",
    "match[id]=" + "a" * 10000, "next=" + "A" * 10000, "added_after=" + "9" * 100,
    "limit=" + "9" * 100, "match[version]=" + "2026-01-01T00:00:00." + "9" * 1000 + "Z",
    "limit=%C2%B2", "limit=%D9%A3", "limit=%EF%BC%95", "limit=1_0", "limit=+5", "limit=%205",
    "match[spec_version]=%D9%A2.%D9%A1",
])
def test_hostile_query_parameters_never_give_500(client, admin, collection_ids, query):
    response = client.get(
        f"/taxii2/hub/collections/{collection_ids['scratch']}/objects/?{query}", headers=admin)
    assert response.status_code in (200, 400) and response.content_type == TAXII


def test_an_unexpected_failure_is_a_taxii_500_without_details(client, admin, app, monkeypatch):
    from cyberhub.hub.web.taxii import collection_endpoints as view

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(view.collections, "list_collections", explode)
    response = client.get("/taxii2/hub/collections/", headers=admin)
    body = _is_error(response, 500, "internal-error")
    assert "secret" not in json.dumps(body)


def _manifest(client, admin, collection_id):
    return client.get(f"/taxii2/hub/collections/{collection_id}/manifest/",
                      headers=admin).get_data()


@pytest.mark.parametrize("alias", ["scratch", "reports"])
def test_a_nul_character_anywhere_refuses_the_envelope(client, admin, make_town,
                                                      collection_ids, alias):
    # PostgreSQL cannot hold U+0000 in text: an e-mail subject with one made the correlation
    # index insert fail with a 500 there, while SQLite stored it. Refused alike on both.
    town = make_town("aue")
    subject = {"type": "email-message", "spec_version": "2.1", "is_multipart": False,
               "id": "email-message--0f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
               "subject": "Rechnung\u0000 offen"}
    envelope = town.sign(town.report() + [subject])
    poster = town.headers if alias == "reports" else admin
    before = _manifest(client, admin, collection_ids[alias])
    response = post_objects(client, poster, collection_ids[alias], envelope)
    body = _is_error(response, 400, "malformed-json")
    assert "NUL" in body["description"]
    assert _manifest(client, admin, collection_ids[alias]) == before


def test_an_escaped_backslash_before_u0000_is_just_text(client, admin, collection_ids):
    response = post_objects(client, admin, collection_ids["scratch"],
                            [indicator(1, name="C:\\u0000\\temp")])
    assert response.status_code == 202, response.get_data(as_text=True)


def test_a_report_named_by_an_object_of_a_long_custom_type_is_stored(client, make_town,
                                                                      collection_ids):
    # Its id (up to 288 characters) became the incident id of the correlation index, a
    # column 100 characters wide: PostgreSQL refused the insert, and the POST was a 500.
    town = make_town("aue")
    kind = "x-" + "a" * 200
    custom = {"type": kind, "spec_version": "2.1", "id": f"{kind}--{indicator(9)['id'][11:]}",
              "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
              "created_by_ref": town.identity, "x_note": "eigene Erweiterung",
              "extensions": {"extension-definition--0f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b": {
                  "extension_type": "new-sdo"}}}
    envelope = town.sign([custom, indicator(5, created_by_ref=town.identity)])
    response = post_objects(client, town.headers, collection_ids["reports"], envelope)
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.get_json()["failure_count"] == 0


def test_versions_beyond_nanoseconds_are_refused_and_store_nothing(client, admin, make_town,
                                                                  collection_ids):
    # 60 fraction digits overflowed the version column on PostgreSQL (a 500) and named two
    # versions by one key on SQLite.
    town = make_town("aue")
    report = town.report()
    report[1]["modified"] = "2026-11-20T07:15:00." + "1" * 60 + "Z"
    before = _manifest(client, admin, collection_ids["reports"])
    response = post_objects(client, town.headers, collection_ids["reports"], town.sign(report))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["error_code"] == "too-precise"
    assert _manifest(client, admin, collection_ids["reports"]) == before


@pytest.mark.parametrize("alias", ["scratch", "reports"])
def test_json_nested_too_deep_is_a_400_and_stores_nothing(client, admin, make_town,
                                                          collection_ids, alias):
    town = make_town("tief")
    deep = "[" * 900 + "]" * 900
    obj = ('{"type": "indicator", "spec_version": "2.1", "id": '
           '"indicator--0f1b2a3c-4d5e-4f60-8a7b-9c0d1e2f3a4b", "x_deep": ' + deep + "}")
    signature = town.sign([indicator(1, created_by_ref=town.identity)])[-1]
    raw = '{"objects": [' + obj + ", " + json.dumps(signature) + "]}"
    before = client.get(f"/taxii2/hub/collections/{collection_ids[alias]}/manifest/",
                        headers=admin).get_data()
    poster = town.headers if alias == "reports" else admin
    response = post_objects(client, poster, collection_ids[alias], None, raw=raw)
    body = _is_error(response, 400, "too-deep")
    assert "100 levels" in body["description"]
    enrolment = client.post("/nodes/enroll", data='{"token": ' + deep + "}",
                            content_type="application/json")
    _is_error(enrolment, 400, "too-deep")
    after = client.get(f"/taxii2/hub/collections/{collection_ids[alias]}/manifest/",
                       headers=admin).get_data()
    assert after == before

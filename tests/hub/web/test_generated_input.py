"""Generated input at every endpoint (Hypothesis): whatever arrives, the hub never answers with
a 5xx, every refusal is a TAXII error resource, and a refused request stores nothing.

Runs on the suite's database, so on SQLite and on PostgreSQL; PostgreSQL refuses some text
that SQLite stores (NUL characters, values longer than a column), which is what this looks
for. The examples are random but reproducible: Hypothesis prints the failing one.
"""

import base64
import json
from urllib.parse import quote, urlencode

import pytest
from conftest import TAXII, indicator
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from cyberhub.hub.storage.models import (
    AcceptedToken,
    AdvisoryReceipt,
    Node,
    NodeKey,
    StoredObject,
)

RUNS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Text as an attacker sends it: any character but lone surrogates (which no HTTP client can
# encode), with NUL, other control characters and non-ASCII digits made likely.
text = st.text(st.one_of(st.sampled_from("\x00\x7f\n\"\\²٣%&;=[]{}-—ä"),
                         st.characters(exclude_categories=("Cs",))), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**64, 2**64)
    | st.floats(allow_nan=True, allow_infinity=True) | text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12)
STIX_KEYS = ["type", "spec_version", "id", "created", "modified", "name", "pattern",
             "pattern_type", "valid_from", "created_by_ref", "object_marking_refs",
             "granular_markings", "extensions", "object_refs", "subject", "value"]


@st.composite
def stix_objects(draw):
    """A valid indicator with some properties replaced, removed or added."""
    obj = indicator(draw(st.integers(1, 5)))
    for _ in range(draw(st.just(0) | st.integers(1, 3))):
        key = draw(st.sampled_from(STIX_KEYS) | text)
        if draw(st.booleans()) and key in obj:
            del obj[key]
        else:
            obj[key] = draw(json_values | st.sampled_from(
                ["2026-01-01T00:00:00." + "9" * 40 + "Z", "indicator--" + "a" * 300,
                 "x" * 5000, "marking-definition--00000000-0000-4000-8000-000000000001"]))
    return obj


bodies = st.one_of(
    st.builds(lambda objects: {"objects": objects}, st.lists(stix_objects(), max_size=3)),
    st.builds(lambda objects: {"objects": objects}, st.lists(stix_objects(), max_size=3)),
    json_values,
    st.builds(lambda o: {"token": o, "jwk": o, "url": o, "id": o, "version": o, "state": o,
                         "detail": o}, json_values),
)
QUERY_KEYS = ["match[id]", "match[type]", "match[version]", "match[spec_version]",
              "added_after", "limit", "next"]
queries = st.lists(st.tuples(st.sampled_from(QUERY_KEYS) | text, text), max_size=4)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=40)


def _stored(db):
    """What a refused request must not change."""
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(StoredObject)),
            session.scalar(select(func.max(StoredObject.date_added))),
            session.scalar(select(func.count()).select_from(AdvisoryReceipt)),
            sorted(session.scalars(select(Node.callback_url)).all(), key=str),
            session.scalar(select(func.count()).select_from(NodeKey)),
            session.scalar(select(func.count()).select_from(AcceptedToken)),
        )


def _check(response, before, db):
    event(f"HTTP {response.status_code}")
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.content_type == TAXII, response.get_data(as_text=True)
        body = json.loads(response.get_data(as_text=True))
        assert body["http_status"] == str(response.status_code) and body["title"]
        assert _stored(db) == before


@pytest.fixture
def targets(client, admin, collection_ids, make_town):
    town = make_town("aue")
    return {"admin": admin, "town": town, "collections": collection_ids}


def _path(targets, template, ids):
    collection = targets["collections"][ids[0]] if ids[0] in targets["collections"] else ids[0]
    return template.format(collection=quote(collection, safe=""), object=quote(ids[1], safe=""))


GETS = ["/taxii2/", "/taxii2/hub/", "/taxii2/hub/collections/",
        "/taxii2/hub/collections/{collection}/", "/taxii2/hub/collections/{collection}/objects/",
        "/taxii2/hub/collections/{collection}/manifest/",
        "/taxii2/hub/collections/{collection}/objects/{object}/",
        "/taxii2/hub/collections/{collection}/objects/{object}/versions/",
        "/taxii2/hub/status/{object}/", "/.well-known/cyberhub/jwks.json"]
def mostly(common, rare):
    """`common` three times in four: generated input should get past the first check."""
    return st.sampled_from([1, 2, 3, 0]).flatmap(lambda n: common if n else rare)


ids = st.tuples(mostly(st.sampled_from(["reports", "scratch", "advisories"]), text),
                mostly(st.sampled_from([indicator(n)["id"] for n in range(1, 6)]), text))
callers = mostly(st.sampled_from(["admin", "town", "town", "nobody"]), st.builds(
    lambda user, password: "Basic " + base64.b64encode(user + b":" + password).decode(),
    st.binary(max_size=20), st.binary(max_size=20)) | header_text)


def _headers(targets, caller, accept, content_type):
    if caller == "admin":
        headers = dict(targets["admin"])
    elif caller == "town":
        headers = dict(targets["town"].headers)
    elif caller == "nobody":
        headers = {}
    else:
        headers = {"Authorization": caller}
    if accept is not None:
        headers["Accept"] = accept
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


accepts = mostly(st.sampled_from([TAXII, "*/*", None]), header_text)
content_types = mostly(st.sampled_from([TAXII, TAXII, "application/json"]),
                       st.none() | header_text)


@RUNS
@given(template=st.sampled_from(GETS), where=ids, query=queries, caller=callers,
       accept=accepts, raw_query=st.none() | st.binary(max_size=30))
def test_reads_never_fail_and_change_nothing(client, db, targets, template, where, query,
                                             caller, accept, raw_query):
    before = _stored(db)
    path = _path(targets, template, where)
    response = client.get(path, headers=_headers(targets, caller, accept, None),
                          query_string=raw_query.decode("latin-1") if raw_query is not None
                          else urlencode(query))
    _check(response, before, db)


@RUNS
@given(where=ids, body=bodies, caller=callers, content_type=content_types, fit=st.booleans(),
       raw=mostly(st.none(), st.binary(max_size=60)), query=mostly(st.just([]), queries))
def test_object_posts_and_deletes_never_fail(client, db, targets, where, body, caller,
                                             content_type, fit, raw, query):
    before = _stored(db)
    town = targets["town"]
    if fit and caller in ("town", "admin"):
        # Where this caller may write, signed where that is required: past the first checks.
        where = ("reports" if caller == "town" else "scratch", where[1])
    if fit and caller == "town" and isinstance(body, dict) \
            and isinstance(body.get("objects"), list):
        try:
            body = {"objects": town.sign(body["objects"])}
        except Exception:  # objects the signer itself cannot handle go as they are
            pass
    data = raw if raw is not None else json.dumps(body)
    base = _path(targets, "/taxii2/hub/collections/{collection}/objects/", where)
    headers = _headers(targets, caller, TAXII, content_type)
    _check(client.post(base, data=data, headers=headers, query_string=urlencode(query)),
           before, db)
    before = _stored(db)
    doomed = _path(targets, "/taxii2/hub/collections/{collection}/objects/{object}/", where)
    _check(client.delete(doomed, headers=headers, query_string=urlencode(query)), before, db)


@RUNS
@given(endpoint=st.sampled_from(["/nodes/enroll", "/nodes/keys", "/nodes/receipts",
                                 "/nodes/callback"]),
       body=bodies, caller=callers, content_type=content_types,
       raw=mostly(st.none(), st.binary(max_size=60)))
def test_node_api_never_fails(client, db, targets, endpoint, body, caller, content_type, raw):
    before = _stored(db)
    data = raw if raw is not None else json.dumps(body)
    response = client.post(endpoint, data=data,
                           headers=_headers(targets, caller, None, content_type))
    _check(response, before, db)



@RUNS
@given(objects=st.lists(stix_objects(), min_size=1, max_size=4), as_town=st.booleans())
def test_generated_objects_are_stored_or_refused_cleanly(client, db, targets, objects, as_town):
    # Past authentication and the envelope's shape: an administrator on an unsigned
    # collection, or the town signing what it sends to `reports`.
    town = targets["town"]
    if as_town:
        try:
            objects = town.sign(objects)
        except Exception:  # objects the signer itself cannot handle go unsigned
            pass
    alias, headers = ("reports", town.headers) if as_town else ("scratch", targets["admin"])
    before = _stored(db)
    response = client.post(f"/taxii2/hub/collections/{targets['collections'][alias]}/objects/",
                           data=json.dumps({"objects": objects}),
                           headers={**headers, "Content-Type": TAXII})
    _check(response, before, db)
    if response.status_code == 202:
        status = response.get_json()
        assert status["success_count"] + status["failure_count"] == len(objects)

"""Objects (5.4, 5.5), one object (5.6, 5.7), manifest (5.3) and versions (5.8).

Rights: reading without `can_read` is a 404 (the collection stays invisible), writing without
`can_write` a 403, and DELETE follows the table of section 5.7.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Callable

from flask import Blueprint, request

from cyberhub.core import stix, timestamps
from cyberhub.hub import collections
from cyberhub.hub.accounts import Principal
from cyberhub.hub.collections import CollectionRow
from cyberhub.hub.storage import objects as store
from cyberhub.hub.web.context import cursors, hub, principal, session
from cyberhub.hub.web.errors import TaxiiError
from cyberhub.hub.web.media import STIX_21, is_taxii21_content, taxii_response
from cyberhub.hub.web.taxii import params
from cyberhub.hub.web.taxii.discovery_endpoints import check_api_root


def _find(api_root: str, collection_id: str) -> CollectionRow | None:
    check_api_root(api_root)
    return collections.find(session(), collection_id)


def _readable(api_root: str, collection_id: str, who: Principal) -> CollectionRow:
    found = _find(api_root, collection_id)
    if found is None or not who.can_read(found.id):
        raise TaxiiError(404, "no such collection, or it is not readable by this account",
                         "collection-not-found")
    return found


def _audience(collection: CollectionRow, who: Principal) -> int | None:
    """The node whose advisories to show, when a town reads an addressed collection; the
    condition is part of every page's query, so `next` pages are filtered the same way."""
    return who.node_id if collection.addressed and who.node_id is not None else None


def _query(fields: frozenset[str], collection: CollectionRow, who: Principal,
           default_versions: tuple[str, ...] = ("last",)) -> params.Query:
    settings = hub().settings
    query = params.parse(
        request.args, fields=fields, page_size=settings.page_size,
        max_page_size=settings.max_page_size, default_versions=default_versions,
    )
    return dataclasses.replace(
        query, filters=dataclasses.replace(query.filters, node_id=_audience(collection, who)))


def _page(
    who: Principal, collection: CollectionRow, resource: str, query: params.Query,
    columns=store.OBJECT_COLUMNS,
) -> tuple[store.Page, str | None]:
    """One keyset page, and the `next` token when more follow."""
    after = None
    if query.next is not None:
        after = cursors().position(query.next, who.account_id, resource, query.fingerprint)
    result = store.page(session(), collection.id, query.filters, after=after,
                        limit=query.limit, columns=columns)
    token = None
    if result.more and result.rows:
        token = cursors().issue(who.account_id, resource, query.fingerprint, result.last_added)
    return result, token


def _paged_response(
    result: store.Page, token: str | None, key: str, render: Callable[[Any], str]
):
    """A paged TAXII resource built from stored text, with the date_added headers (3.2)."""
    if not result.rows and not result.more:
        return taxii_response("{}")
    parts = ['{"more":', "true" if result.more else "false"]
    if token:
        parts.append(',"next":' + json.dumps(token))
    if result.rows:
        parts.append(f',"{key}":[' + ",".join(render(row) for row in result.rows) + "]")
    parts.append("}")
    headers = {}
    if result.rows:
        headers = {
            "X-TAXII-Date-Added-First": timestamps.format_us(result.first_added),
            "X-TAXII-Date-Added-Last": timestamps.format_us(result.last_added),
        }
    return taxii_response("".join(parts), headers=headers)


def _body(row: Any) -> str:
    return row.body


def _manifest_record(row: Any) -> str:
    return json.dumps({
        "id": row.object_id,
        "date_added": timestamps.format_us(row.date_added),
        "version": row.version,
        "media_type": STIX_21,
    })


def _version(row: Any) -> str:
    return json.dumps(row.version)


def get_objects(api_root: str, collection_id: str):
    who = principal()
    collection = _readable(api_root, collection_id, who)
    query = _query(params.OBJECTS, collection, who)
    result, token = _page(who, collection, f"objects:{collection.id}", query)
    return _paged_response(result, token, "objects", _body)


def get_manifest(api_root: str, collection_id: str):
    who = principal()
    collection = _readable(api_root, collection_id, who)
    query = _query(params.OBJECTS, collection, who)
    result, token = _page(who, collection, f"manifest:{collection.id}", query,
                          columns=store.MANIFEST_COLUMNS)
    return _paged_response(result, token, "objects", _manifest_record)


def _existing_object(collection: CollectionRow, object_id: str, who: Principal) -> None:
    if not store.object_exists(session(), collection.id, object_id,
                               _audience(collection, who)):
        raise TaxiiError(404, "no such object in this collection", "object-not-found")


def get_object(api_root: str, collection_id: str, object_id: str):
    who = principal()
    collection = _readable(api_root, collection_id, who)
    query = _query(params.OBJECT, collection, who)
    _existing_object(collection, object_id, who)
    query = params.Query(
        store.Filters(
            added_after=query.filters.added_after, ids=(object_id,),
            versions=query.filters.versions, spec_versions=query.filters.spec_versions,
            node_id=query.filters.node_id,
        ),
        query.limit, query.next, query.fingerprint,
    )
    result, token = _page(who, collection, f"object:{collection.id}:{object_id}", query)
    return _paged_response(result, token, "objects", _body)


def get_versions(api_root: str, collection_id: str, object_id: str):
    who = principal()
    collection = _readable(api_root, collection_id, who)
    query = _query(params.VERSIONS, collection, who, default_versions=("all",))
    _existing_object(collection, object_id, who)
    query = params.Query(
        store.Filters(added_after=query.filters.added_after, ids=(object_id,),
                      versions=("all",), spec_versions=query.filters.spec_versions,
                      node_id=query.filters.node_id),
        query.limit, query.next, query.fingerprint,
    )
    result, token = _page(who, collection, f"versions:{collection.id}:{object_id}", query,
                          columns=store.VERSION_COLUMNS)
    return _paged_response(result, token, "versions", _version)


def _read_body(limit: int) -> bytes:
    """The request body, or a 413. A chunked body has no Content-Length to check up front, and
    Werkzeug silently stops reading at the limit; one more read tells a body that ends exactly
    there from one that goes on, and raises RequestEntityTooLarge for the latter."""
    body = request.get_data(cache=False)
    if len(body) >= limit:
        request.stream.read(1)
    return body


def add_objects(api_root: str, collection_id: str):
    who = principal()
    collection = _find(api_root, collection_id)
    if collection is None:
        raise TaxiiError(404, "no such collection", "collection-not-found")
    if not who.can_write(collection.id):
        raise TaxiiError(403, "this account may not add objects to this collection",
                         "write-forbidden")
    if not is_taxii21_content(request.headers.get("Content-Type")):
        raise TaxiiError(415, "send the envelope as application/taxii+json;version=2.1",
                         "unsupported-media-type")
    body = _read_body(hub().settings.max_content_length)
    try:
        _, raw_objects = stix.parse_envelope(body)
    except stix.JSONError as exc:
        raise TaxiiError(400, f"the body is not acceptable JSON: {exc}", exc.code) from None
    except ValueError as exc:
        raise TaxiiError(400, f"the body is not a TAXII envelope: {exc}",
                         "not-an-envelope") from None
    if not raw_objects:
        raise TaxiiError(400, "the envelope has no objects", "empty-envelope")
    report = hub().ingest.receive(collection, raw_objects, account_id=who.account_id)
    if not report.successes:
        message = report.failures[0]["message"]
        raise TaxiiError(
            422, "no object in the envelope could be stored: " + message,
            message.split(":", 1)[0],
            details={"status_id": report.id, "failures": report.failures[:100]},
        )
    return taxii_response(report.resource(), status=202)


def delete_object(api_root: str, collection_id: str, object_id: str):
    who = principal()
    collection = _find(api_root, collection_id)
    if collection is None:
        raise TaxiiError(404, "no such collection", "collection-not-found")
    can_read, can_write = who.can_read(collection.id), who.can_write(collection.id)
    if not can_read and not can_write:
        raise TaxiiError(404, "no such collection", "collection-not-found")
    if not (can_read and can_write):
        raise TaxiiError(403, "deleting needs both read and write rights on the collection",
                         "delete-forbidden")
    query = params.parse(request.args, fields=params.OBJECT, page_size=1, max_page_size=1,
                         default_versions=("all",), paged=False)
    _existing_object(collection, object_id, who)
    with hub().db.writing() as db_session:
        removed = store.delete_object(db_session, collection.id, object_id, query.filters)
    if not removed:
        raise TaxiiError(404, "no version of this object matches the filters",
                         "object-not-found")
    return taxii_response("", status=200)


def register(blueprint: Blueprint) -> None:
    options = {"strict_slashes": False, "provide_automatic_options": False}
    base = "/<api_root>/collections/<collection_id>"
    blueprint.add_url_rule(f"{base}/objects/", view_func=get_objects, methods=["GET"],
                           **options)
    blueprint.add_url_rule(f"{base}/objects/", view_func=add_objects, methods=["POST"],
                           endpoint="add_objects", **options)
    blueprint.add_url_rule(f"{base}/manifest/", view_func=get_manifest, **options)
    blueprint.add_url_rule(f"{base}/objects/<object_id>/", view_func=get_object,
                           methods=["GET"], **options)
    blueprint.add_url_rule(f"{base}/objects/<object_id>/", view_func=delete_object,
                           methods=["DELETE"], endpoint="delete_object", **options)
    blueprint.add_url_rule(f"{base}/objects/<object_id>/versions/", view_func=get_versions,
                           **options)

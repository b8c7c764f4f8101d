"""Collections (section 5.1) and one collection (5.2), as the caller may see them."""

from __future__ import annotations

from flask import Blueprint

from cyberhub.hub import collections
from cyberhub.hub.accounts import Principal
from cyberhub.hub.collections import CollectionRow
from cyberhub.hub.web.context import principal, session
from cyberhub.hub.web.errors import TaxiiError
from cyberhub.hub.web.media import taxii_response
from cyberhub.hub.web.taxii.discovery_endpoints import check_api_root


def visible_collection(api_root: str, collection_id: str, who: Principal) -> CollectionRow:
    """The collection if it exists and the caller has any right on it; 404 otherwise, so
    callers cannot learn which collections they are kept out of."""
    check_api_root(api_root)
    found = collections.find(session(), collection_id)
    if found is None or not who.sees(found.id):
        raise TaxiiError(404, "no such collection", "collection-not-found")
    return found


def get_collections(api_root: str):
    who = principal()
    check_api_root(api_root)
    items = [
        collections.resource(item, who)
        for item in collections.list_collections(session())
        if who.sees(item.id)
    ]
    return taxii_response({"collections": items} if items else {})


def get_collection(api_root: str, collection_id: str):
    who = principal()
    found = visible_collection(api_root, collection_id, who)
    return taxii_response(collections.resource(found, who))


def register(blueprint: Blueprint) -> None:
    options = {"strict_slashes": False, "provide_automatic_options": False}
    blueprint.add_url_rule("/<api_root>/collections/", view_func=get_collections, **options)
    blueprint.add_url_rule(
        "/<api_root>/collections/<collection_id>/", view_func=get_collection, **options
    )

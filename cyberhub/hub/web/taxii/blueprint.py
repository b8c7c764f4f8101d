"""The TAXII 2.1 blueprint: what every request passes first, and the endpoint modules' routes."""


from __future__ import annotations

from flask import Blueprint, request

from cyberhub.hub.web.errors import TaxiiError
from cyberhub.hub.web.media import accepts_taxii21
from cyberhub.hub.web.taxii import collection_endpoints, discovery_endpoints, object_endpoints


def _screen() -> None:
    """Refuse what no TAXII request contains before any of it reaches the database: NUL
    characters (PostgreSQL cannot even compare them), then negotiate the media type (3.1)."""
    if "\x00" in request.path or any(
        "\x00" in name or "\x00" in value for name, value in request.args.items(multi=True)
    ):
        raise TaxiiError(400, "the URL contains a NUL character", "bad-request")
    if not accepts_taxii21(request.headers.get("Accept")):
        raise TaxiiError(
            406, "this server answers application/taxii+json;version=2.1; add it to Accept",
            "not-acceptable",
        )


def create_blueprint() -> Blueprint:
    blueprint = Blueprint("taxii", __name__, url_prefix="/taxii2")
    blueprint.before_request(_screen)
    discovery_endpoints.register(blueprint)
    collection_endpoints.register(blueprint)
    object_endpoints.register(blueprint)
    return blueprint

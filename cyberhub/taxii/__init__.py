"""The TAXII 2.1 blueprint: one module per area of the specification, thin views.

Views parse the request, call one service function, and serialise; the services know nothing of
Flask, so the console and the command line share them.
"""

from __future__ import annotations

from flask import Blueprint, request

from .errors import TaxiiError
from .media import accepts_taxii21


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
    from . import collections, discovery, objects

    blueprint = Blueprint("taxii", __name__, url_prefix="/taxii2")
    blueprint.before_request(_screen)
    discovery.register(blueprint)
    collections.register(blueprint)
    objects.register(blueprint)
    return blueprint

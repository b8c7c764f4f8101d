"""Exports over HTTP: `GET /exports/{collections,campaigns,advisories}/<name>.<format>`.

HTTP Basic authentication (a password or an API token) and the rights of TAXII reads, through
the same `principal()`; the work is done by `cyberhub.hub.exports.service`, as for
`cyberhub export`. `?all=true` adds revoked and expired indicators, `?sid_base=N` sets the first
Suricata sid. Every failure is a JSON error body (the TAXII error resource's fields), never an
HTML page: 401 without valid credentials, 403 for an account that may only write where it
asks to read, 404 for what does not exist or this account may not learn of.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from cyberhub.core import timestamps
from cyberhub.hub.exports import service, sources, suricata
from cyberhub.hub.web.context import principal, session
from cyberhub.hub.web.errors import TaxiiError

_KINDS = {"collections": "collection", "campaigns": "campaign", "advisories": "advisory"}


def _screen() -> None:
    # PostgreSQL cannot even compare a NUL; no name the hub gives contains one.
    if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
        raise TaxiiError(400, "the URL contains a NUL character", "bad-request")


def _options() -> service.Options:
    include = request.args.get("all", "false").lower()
    if include not in ("true", "false"):
        raise TaxiiError(400, "all must be true or false", "bad-parameter")
    text = request.args.get("sid_base", str(suricata.DEFAULT_SID_BASE))
    if not text.isdigit() or not 1 <= int(text) <= suricata.MAX_SID:
        raise TaxiiError(400, f"sid_base must be a whole number from 1 to {suricata.MAX_SID}",
                         "bad-parameter")
    return service.Options(now_us=timestamps.now_us(), include_expired=include == "true",
                           sid_base=int(text))


def export(area: str, target: str) -> Response:
    who = principal()
    name, dot, format_name = target.partition(".")
    if not dot or not name:
        raise TaxiiError(404, "name the export as <name>.<format>, e.g. indicators.csv",
                         "not-found")
    options = _options()
    try:
        made = service.export(session(), sources.reader(session(), who), _KINDS[area], name,
                              format_name, options)
    except sources.ExportError as exc:
        raise TaxiiError(exc.status, str(exc), exc.code) from None
    response = Response(made.content, content_type=made.media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    response.headers["X-Cyberhub-Indicators"] = str(made.indicators)
    response.headers["Cache-Control"] = "no-store"  # it is what this account may read
    return response


def _json_error(exc: TaxiiError) -> Response:
    response = exc.response()
    response.content_type = "application/json"
    return response


def create_blueprint() -> Blueprint:
    blueprint = Blueprint("exports", __name__, url_prefix="/exports")
    blueprint.before_request(_screen)
    blueprint.register_error_handler(TaxiiError, _json_error)
    blueprint.add_url_rule("/<any(collections, campaigns, advisories):area>/<target>",
                           view_func=export, methods=["GET"])
    return blueprint

"""Discovery (section 4.1), API root (4.2) and status (4.3)."""

from __future__ import annotations

import re

from flask import Blueprint

from cyberhub.hub.services import statuses
from cyberhub.hub.web.context import hub, principal, session
from cyberhub.hub.web.errors import TaxiiError
from cyberhub.hub.web.media import TAXII_21, taxii_response

_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")


def api_root_path() -> str:
    return f"/taxii2/{hub().settings.api_root}/"


def check_api_root(api_root: str) -> None:
    if api_root != hub().settings.api_root:
        raise TaxiiError(404, f"no API root named {api_root[:60]!r}", "api-root-not-found")


def get_discovery():
    principal()
    settings = hub().settings
    body = {
        "title": settings.title,
        "description": settings.description,
        "default": api_root_path(),
        "api_roots": [api_root_path()],
    }
    if settings.contact:
        body["contact"] = settings.contact
    return taxii_response(body)


def get_api_root(api_root: str):
    principal()
    check_api_root(api_root)
    settings = hub().settings
    return taxii_response({
        "title": settings.title,
        "description": settings.description,
        "versions": [TAXII_21],
        "max_content_length": settings.max_content_length,
    })


def get_status(api_root: str, status_id: str):
    who = principal()
    check_api_root(api_root)
    found = statuses.get_status(session(), status_id, who) if _UUID.match(status_id) else None
    if found is None:
        raise TaxiiError(404, "no such status resource (statuses are kept for "
                         f"{hub().settings.status_retention_hours} hours)", "status-not-found")
    return taxii_response(found)


def register(blueprint: Blueprint) -> None:
    options = {"strict_slashes": False, "provide_automatic_options": False}
    blueprint.add_url_rule("/", view_func=get_discovery, **options)
    blueprint.add_url_rule("/<api_root>/", view_func=get_api_root, **options)
    blueprint.add_url_rule("/<api_root>/status/<status_id>/", view_func=get_status, **options)

"""Content negotiation (TAXII 2.1 section 1.6.8 and 3.1)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response

TAXII_21 = "application/taxii+json;version=2.1"
STIX_21 = "application/stix+json;version=2.1"
_ACCEPTABLE = {
    "application/taxii+json", "application/stix+json", "application/*", "*/*",
}


def _media_ranges(header: str):
    """Yield (type/subtype, parameters) for each entry of an Accept-style header."""
    for entry in header.split(","):
        parts = [part.strip() for part in entry.split(";")]
        media = parts[0].lower()
        if not media:
            continue
        params: dict[str, str] = {}
        for part in parts[1:]:
            name, _, value = part.partition("=")
            params[name.strip().lower()] = value.strip().strip('"')
        yield media, params


def _quality(params: dict[str, str]) -> float:
    try:
        value = float(params.get("q", "1"))
    except ValueError:
        return 0.0
    return value if 0.0 <= value <= 1.0 else 0.0


def accepts_taxii21(header: str | None) -> bool:
    """Whether an Accept header admits a TAXII 2.1 response.

    No header at all is read as "anything"; a version other than 2.1, or q=0, excludes a range.
    """
    if header is None or not header.strip():
        return True
    for media, params in _media_ranges(header):
        if media not in _ACCEPTABLE or _quality(params) <= 0:
            continue
        if media.endswith("+json") and params.get("version", "2.1") != "2.1":
            continue
        return True
    return False


def is_taxii21_content(header: str | None) -> bool:
    """Whether a request Content-Type is a TAXII 2.1 envelope."""
    if not header:
        return False
    for media, params in _media_ranges(header):
        return media == "application/taxii+json" and params.get("version", "2.1") == "2.1"
    return False


def taxii_response(
    body: str | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    text = body if isinstance(body, str) else json.dumps(body)
    response = Response(text, status=status, content_type=TAXII_21)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response

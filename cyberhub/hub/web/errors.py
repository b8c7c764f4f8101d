"""TAXII error resources (section 3.6.1) for every failure, including Flask's own.

Every error the hub answers is an `error` resource with our `error_code`, served as
`application/taxii+json;version=2.1`; no HTML page and no traceback ever reaches a client.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from cyberhub.hub.web.media import TAXII_21

log = logging.getLogger("cyberhub.taxii")

_HTTP_DEFAULTS = {
    400: ("Bad request", "bad-request"),
    401: ("Authentication required", "unauthorized"),
    403: ("Forbidden", "forbidden"),
    404: ("Not found", "not-found"),
    405: ("Method not allowed", "method-not-allowed"),
    406: ("Not acceptable", "not-acceptable"),
    408: ("Request timeout", "request-timeout"),
    411: ("Length required", "length-required"),
    413: ("Request too large", "too-large"),
    414: ("URI too long", "uri-too-long"),
    415: ("Unsupported media type", "unsupported-media-type"),
    422: ("Unprocessable content", "unprocessable"),
    431: ("Request headers too large", "headers-too-large"),
    500: ("Internal error", "internal-error"),
}


class TaxiiError(Exception):
    def __init__(
        self,
        status: int,
        description: str,
        error_code: str | None = None,
        *,
        title: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        default_title, default_code = _HTTP_DEFAULTS.get(status, ("Error", "error"))
        self.status = status
        self.title = title or default_title
        self.description = description
        self.error_code = error_code or default_code
        self.details = details
        self.headers = headers or {}

    def response(self) -> Response:
        body: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "error_id": str(uuid.uuid4()),
            "error_code": self.error_code,
            "http_status": str(self.status),
        }
        if self.details:
            body["details"] = self.details
        response = Response(json.dumps(body), status=self.status, content_type=TAXII_21)
        for name, value in self.headers.items():
            response.headers[name] = value
        return response


def unauthorized(description: str = "log in with HTTP Basic authentication") -> TaxiiError:
    return TaxiiError(
        401, description, "unauthorized",
        headers={"WWW-Authenticate": 'Basic realm="cyberhub", charset="UTF-8"'},
    )


def _from_http(exc: HTTPException) -> TaxiiError:
    status = exc.code or 500
    descriptions = {
        404: "no such resource on this TAXII server",
        405: "this method is not allowed on this resource",
        413: "the request body is larger than max_content_length of the API root",
    }
    description = descriptions.get(status) or (exc.description or "").strip() or "request failed"
    error = TaxiiError(status, description)
    if status == 405:
        valid = getattr(exc, "valid_methods", None)
        if valid:
            error.headers["Allow"] = ", ".join(sorted(valid))
    return error


def register(app: Flask) -> None:
    @app.errorhandler(TaxiiError)
    def _taxii(exc: TaxiiError) -> Response:
        return exc.response()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        return _from_http(exc).response()

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        # Logged with its traceback for the operator; the client gets an id to quote.
        error = TaxiiError(500, "the hub could not complete this request", "internal-error")
        log.exception("unexpected error (error_code=internal-error)")
        return error.response()

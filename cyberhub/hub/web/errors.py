"""TAXII error resources (section 3.6.1) for every failure, including Flask's own.

Every error the hub answers is an `error` resource with our `error_code`, served as
`application/taxii+json;version=2.1`; no HTML page and no traceback ever reaches a client.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any, Callable, Iterator

from flask import Flask, Response
from werkzeug.exceptions import ClientDisconnected, HTTPException

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


def _broken_body(description: str) -> TaxiiError:
    return TaxiiError(400, description, "broken-body", title="Broken request body")


def _from_http(exc: HTTPException) -> TaxiiError:
    if isinstance(exc, ClientDisconnected):
        return _broken_body("the request body ended before it was complete")
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


class _GuardedInput:
    """`wsgi.input` as the views read it: every way reading the body can fail is a TAXII error.

    The server's body reader raises its own exceptions: gunicorn's `InvalidChunkSize`,
    `ChunkMissingTerminator`, `InvalidChunkExtension`, `InvalidHeader` (in a trailer) are no
    `OSError`, so Werkzeug lets them through and they were 500s; `NoMoreData` and the
    `TimeoutError` of a body that stops arriving (see `server.BODY_READ_TIMEOUT`) need an answer
    too. Under gunicorn Werkzeug does not compare the body with its Content-Length either (the
    server "terminates the input"), so a client that stops sending early had its shorter body
    taken for the whole: that is checked here. The exception replaces the body, so the view
    stores nothing; gunicorn then closes the connection, as the next request's start is lost.
    """

    def __init__(self, stream: Any, content_length: int | None) -> None:
        self._stream = stream
        self._missing = content_length
        self._broken = False

    def _counted(self, data: bytes, at_end: bool) -> bytes:
        """`data`, unless the body ended (`at_end`) with bytes of its Content-Length missing."""
        if self._missing is not None:
            self._missing -= len(data)
            if self._missing > 0 and at_end:
                raise self._fail(_broken_body(
                    "the request body ended before its Content-Length"))
        return data

    def _fail(self, error: TaxiiError) -> TaxiiError:
        self._broken = True
        return error

    def _call(self, read: Callable[..., Any], *args: Any) -> Any:
        if self._broken:
            raise _broken_body("the request body could not be read")
        try:
            return read(*args)
        except TimeoutError:
            raise self._fail(TaxiiError(
                408, "the request body stopped arriving", "request-timeout")) from None
        except Exception as exc:  # whatever the server's reader raises: the body is lost
            log.info("request body unreadable: %s: %s", type(exc).__name__, exc)
            raise self._fail(_broken_body(
                f"the request body could not be read ({type(exc).__name__})")) from None

    # A server's input stream returns less than asked for only at the end of the body.
    def read(self, size: int | None = -1) -> bytes:
        data = self._call(self._stream.read, size)
        return self._counted(data, size is None or size < 0 or len(data) < size)

    def readline(self, size: int | None = -1) -> bytes:
        data = self._call(self._stream.readline, size)
        return self._counted(data, not data)

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines = self._call(self._stream.readlines, hint)
        self._counted(b"".join(lines), hint is None or hint <= 0)
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


def guard_request_body(app: Flask) -> None:
    """Read every request body through `_GuardedInput` (a WSGI middleware, so that it holds
    whichever server runs the app)."""
    wsgi_app = app.wsgi_app

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        stream = environ.get("wsgi.input")
        if stream is not None:
            try:
                length: int | None = int(environ.get("CONTENT_LENGTH") or "")
            except ValueError:
                length = None
            environ["wsgi.input"] = _GuardedInput(stream, length)
        return wsgi_app(environ, start_response)

    app.wsgi_app = guarded  # type: ignore[method-assign]


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

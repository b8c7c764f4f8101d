"""The optional push listener: the hub says "an advisory version is waiting", the agent polls.

A notice is a compact JWS signed by the hub's key for this town (typ cyberhub-push+jws); one
that does not verify is refused with a 4xx and logged. A valid notice only moves the next
advisory poll to now, so the advisory itself still arrives through TAXII and is verified by
its own signature before anything is applied. Bodies over 16 KiB are refused unread.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from cyberhub.agent.hub_signatures import Refusal
from cyberhub.agent.texts import say
from cyberhub.core import signing
from cyberhub.core.numbers import strict_int

log = logging.getLogger("cyberhub.agent")
MAX_BODY = 16 * 1024


class Listener:
    """An HTTP listener on `host:port`; `wake` is called for each verified notice."""

    def __init__(self, address: str, *, audience: str,
                 keys: Callable[[], dict[str, signing.RegisteredKey]],
                 wake: Callable[[], None]) -> None:
        host, _, port = address.rpartition(":")
        self._audience, self._keys, self._wake = audience, keys, wake
        self._seen: dict[str, int] = {}
        self._lock = threading.Lock()
        listener = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                status, message = listener.handle(self.path, self.headers.get("Content-Length"),
                                                  self.rfile)
                body = json.dumps({"message": message}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass  # the outcome is logged once, by `handle`

        self._server = ThreadingHTTPServer((host.strip("[]"), int(port)), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="push-listener")

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _replayed(self, jti: str) -> bool:
        with self._lock:
            return jti in self._seen

    def handle(self, path: str, length: str | None, stream) -> tuple[int, str]:  # noqa: ANN001
        if path.split("?")[0].rstrip("/") != "/push":
            return 404, "not found"
        size = strict_int(length)
        if size is None:
            return 411, "a Content-Length is required"
        if not 0 < size <= MAX_BODY:
            return 413, f"the notice must be 1-{MAX_BODY} bytes"
        try:
            token = json.loads(stream.read(size)).get("jws")
            now = int(time.time())
            claims, _ = signing.verify_request(
                token, keys=lambda kid: self._keys().get(kid), audience=self._audience,
                now=now, jti_seen=self._replayed, typ=signing.PUSH_TYP)
        except signing.Rejected as exc:
            log.warning("%s", say("agent.push.refused_log", reason=Refusal.of(exc)))
            return 401, f"{exc.code}: {exc.message}"
        except (ValueError, AttributeError, UnicodeDecodeError):
            log.warning("%s", say("agent.push.not_json_log"))
            return 400, "send {\"jws\": notice}"
        with self._lock:
            self._seen = {jti: exp for jti, exp in self._seen.items() if exp > now}
            self._seen[claims["jti"]] = claims["exp"]
        log.info("%s", say("agent.push.notice_log", advisory=claims.get("advisory"),
                           version=claims.get("version")))
        self._wake()
        return 202, "polling"

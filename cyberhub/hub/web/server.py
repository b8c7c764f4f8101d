"""Running the hub under gunicorn, with the settings already resolved by the CLI."""

from __future__ import annotations

import json

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication

from cyberhub.hub.settings import Settings
from cyberhub.hub.web.app import create_app
from cyberhub.hub.web.media import TAXII_21


def _write_taxii_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn answers requests it cannot parse (bad request line, oversized headers, broken
    chunking) itself, with an HTML page. Clients of a TAXII server get a TAXII error resource
    instead; gunicorn offers no hook for this, so its writer is replaced in the hub process."""
    body = json.dumps({
        "title": reason,
        "description": "the HTTP request could not be parsed",
        "error_code": "bad-http-request",
        "http_status": str(status_int),
    }).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {TAXII_21}\r\nContent-Length: {len(body)}\r\n\r\n")
    gunicorn_util.write_nonblock(sock, head.encode("latin-1") + body)


class _HubServer(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        settings = self._settings
        self.cfg.set("bind", f"{settings.host}:{settings.port}")
        self.cfg.set("workers", settings.workers)
        # Threads let one worker overlap slow clients with database work; the app holds no
        # per-thread state.
        self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", 4)
        self.cfg.set("loglevel", settings.log_level.lower())
        self.cfg.set("accesslog", "-")
        self.cfg.set("errorlog", "-")
        self.cfg.set("proc_name", "cyberhub")
        # Each worker builds its own app after the fork, so no database connection is shared.
        self.cfg.set("preload_app", False)
        self.cfg.set("graceful_timeout", 10)
        if "control_socket_disable" in self.cfg.settings:
            # gunicorn >= 25 opens a control socket in the user's home by default; two hubs on
            # one machine would fight over it, and nothing here uses it.
            self.cfg.set("control_socket_disable", True)

    def load(self):
        return create_app(self._settings)


def run(settings: Settings) -> None:
    gunicorn_util.write_error = _write_taxii_error
    _HubServer(settings).run()

"""Running the hub under gunicorn, with the settings already resolved by the CLI.

Slow clients (issue 12). gunicorn has no setting that bounds how long a client may take to send
its request: `timeout` is the arbiter's heartbeat for a worker process, not a request timeout,
and gthread gives a connection to a thread as soon as its first byte arrives, after which the
thread waits in recv() for the rest, as long as it takes. Sixteen clients that sent half a
request head held every thread of a hub. `HubWorker` below gathers heads without a thread and
bounds every read; a deployment still puts a reverse proxy in front that limits connections
and request rates per client (README, "Security").
"""

from __future__ import annotations

import functools
import io
import json
import selectors
import socket
import sys
import time
from collections import deque
from typing import Any

from gunicorn import util as gunicorn_util
from gunicorn.app.base import BaseApplication
from gunicorn.workers import gthread

from cyberhub.hub.settings import Settings
from cyberhub.hub.web.app import create_app
from cyberhub.hub.web.media import TAXII_21

# How long the hub waits for a client. Constants rather than hub settings: the settings have no
# place for server tuning yet, and these are backstops; a deployment sets its own, shorter or
# longer, in the reverse proxy in front.
HEADER_TIMEOUT = 10
"""Seconds from the first byte of a request until its head (request line, headers) is in."""
BODY_READ_TIMEOUT = 10
"""Seconds one read of a request body may wait for data (between reads, as nginx's
`client_body_timeout`: a town on a slow line takes as long as it needs while data flows)."""
KEEPALIVE = 5
"""Seconds an idle keep-alive connection stays open; also how long a new connection may stay
silent and the longest pause within a request head."""
WORKER_TIMEOUT = 30
"""gunicorn's `timeout`: a worker whose main loop stops reporting for this long is restarted."""
THREADS = 4
"""Threads per worker; they overlap slow clients with database work. The app holds no
per-thread state."""

# How long a closed connection waits for the client to close its side, as gunicorn's
# close_graceful(): closing while unread bytes are in flight would reset the connection, and
# the client could lose the answer it has not read yet.
_LINGER = 2.0
# Heads longer than this (the hub's own are well under 2 KiB) are gathered by gunicorn's
# parser in a thread instead, still within HEADER_TIMEOUT; it bounds the memory a connection
# waiting in the poller can hold.
_HEAD_GATHER_LIMIT = 64 * 1024
# What gthread's handle() returns to park a connection in the poller until it is readable;
# private, so checked for (see `_gathering_possible`).
_DEFER = getattr(gthread, "_DEFER", None)
# Set on a connection that HubWorker has ended: "closed", or "linger" while the poller waits
# for the client to close its side.
_ENDING = "cyberhub_ending"


def _error_bytes(status: int, reason: str, description: str, code: str) -> bytes:
    body = json.dumps({
        "title": reason, "description": description, "error_code": code,
        "http_status": str(status),
    }).encode()
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {TAXII_21}\r\nContent-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def _write_taxii_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """Gunicorn answers requests it cannot parse (bad request line, oversized headers, broken
    chunking) itself, with an HTML page. Clients of a TAXII server get a TAXII error resource
    instead; gunicorn offers no hook for this, so its writer is replaced in the hub process."""
    gunicorn_util.write_nonblock(sock, _error_bytes(
        status_int, reason, "the HTTP request could not be parsed", "bad-http-request"))


def _head_complete(data: bytes) -> bool:
    """Whether gunicorn's parser can take `data` without waiting: the head is complete, or a
    bare LF is in it, which the parser refuses at once (RFC 9112 wants CRLF)."""
    return b"\r\n\r\n" in data or data.count(b"\n") != data.count(b"\r\n")


class _TimedReads:
    """The connection's socket as gunicorn's request parser reads it (head and body): one
    recv() waits at most BODY_READ_TIMEOUT, and not past `head_deadline` while a head is read.
    A timeout raises TimeoutError, which the app answers with a 408 (errors._GuardedInput).
    Writes go to the socket untouched: a large response to a slow line may take longer."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self.head_deadline: float | None = None

    def recv(self, size: int) -> bytes:
        wait = float(BODY_READ_TIMEOUT)
        if self.head_deadline is not None:
            wait = min(wait, self.head_deadline - time.monotonic())
            if wait <= 0:
                raise TimeoutError("the request head did not arrive in time")
        prior = self._sock.gettimeout()
        if prior is not None:  # gunicorn's own bound (draining a body) or non-blocking
            wait = min(wait, prior)
        self._sock.settimeout(wait)
        try:
            return self._sock.recv(size)
        finally:
            self._sock.settimeout(prior)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _drained(sock: socket.socket) -> bool:
    """Read what the client sent (non-blocking) and drop it; True once it has closed its side,
    or has sent more than a client that only waits for an answer would."""
    received = 0
    while received < _HEAD_GATHER_LIMIT:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return False
        except OSError:
            return True
        if not data:
            return True
        received += len(data)
    return True


class HubWorker(gthread.ThreadWorker):
    """gunicorn's gthread worker, except that a thread parses a request only once its head is
    there, and that every read of a request has a time limit.

    A thread takes what has arrived without waiting. A head still incomplete goes back to the
    worker's poller (as gthread does with a new connection that is silent at first), where it
    costs no thread, until more arrives; a head not complete HEADER_TIMEOUT after its first
    byte is answered 408 and closed, and gthread's own pending timeout closes one that pauses
    KEEPALIVE seconds. The body is read by the app in the thread, each read waiting at most
    BODY_READ_TIMEOUT (`_TimedReads`). Connections are closed without waiting for the client
    (`_end`).
    """

    def init_process(self) -> None:
        # Plain HTTP/1.1 only: TLS and HTTP/2 (both off for the hub, which sits behind a
        # proxy) read the socket in ways this does not follow; they get gthread unchanged.
        self._gather = not self.cfg.is_ssl and "h2" not in getattr(
            self.cfg, "http_protocols", ["h1"])
        self._lingering: deque = deque()
        super().init_process()

    def handle(self, conn):
        result = None
        if self._gather:
            try:
                result = self._gather_head(conn)
            except OSError:  # the client reset the connection, or the like
                result = False
        if result is None:
            result = super().handle(conn)
        if result is False and not hasattr(conn, _ENDING):
            self._end(conn)
        return result

    def _end(self, conn) -> None:
        """Close the connection, as gthread's finish_request() would, but without waiting.

        gthread closes on the worker's main loop with close_graceful(), which blocks up to 2 s
        for the client to close its side: sixteen clients that sent "Connection: close" and
        then kept the connection open made the next client wait 26 s.
        Here the write side is shut at once, and the wait for the client's end is left to the
        poller (`_linger`)."""
        sock = conn.sock
        setattr(conn, _ENDING, "closed")
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.setblocking(False)
            if _drained(sock):
                gunicorn_util.close(sock)
            else:
                setattr(conn, _ENDING, "linger")
        except OSError:
            gunicorn_util.close(sock)

    def finish_request(self, conn, fs):
        ending = getattr(conn, _ENDING, None)
        if ending == "linger" and self.alive:
            conn.timeout = time.monotonic() + _LINGER
            self._lingering.append(conn)
            self.poller.register(conn.sock, selectors.EVENT_READ,
                                 functools.partial(self._linger, conn))
        elif ending is not None:
            if ending == "linger":
                gunicorn_util.close(conn.sock)
            self.nr_conns -= 1
        else:
            super().finish_request(conn, fs)

    def _linger(self, conn, _sock=None, *, expired: bool = False) -> None:
        if not expired and not _drained(conn.sock):
            return
        self._lingering.remove(conn)
        try:
            self.poller.unregister(conn.sock)
        except (OSError, KeyError, ValueError):
            pass
        gunicorn_util.close(conn.sock)
        self.nr_conns -= 1

    def murder_pending(self):
        # Called by gthread's main loop about once a second, and while the worker stops.
        super().murder_pending()
        now = time.monotonic()
        while self._lingering and self._lingering[0].timeout <= now:
            self._linger(self._lingering[0], expired=True)

    def handle_request(self, req, conn):
        # The head is in: from here on only BODY_READ_TIMEOUT applies, per read.
        reads = conn.parser.unreader.sock
        if isinstance(reads, _TimedReads):
            reads.head_deadline = None
        return super().handle_request(req, conn)

    def _gather_head(self, conn):
        """None when gthread may parse the request now: its head is complete, or the parser
        can refuse what has arrived without waiting for more. Otherwise what handle() returns:
        _DEFER to wait in the poller for more, or False when the connection is done."""
        conn.init()  # makes the parser; only the first time
        unreader = conn.parser.unreader
        reads = unreader.sock
        if not isinstance(reads, _TimedReads):
            reads = unreader.sock = _TimedReads(conn.sock)
        held = unreader.buf.getvalue()
        arrived = []
        size = len(held)
        ended = False
        conn.sock.setblocking(False)
        try:
            while size < _HEAD_GATHER_LIMIT and not _head_complete(held + b"".join(arrived)):
                try:
                    data = conn.sock.recv(65536)
                except (BlockingIOError, InterruptedError):
                    break
                if not data:
                    ended = True
                    break
                arrived.append(data)
                size += len(data)
        finally:
            conn.sock.setblocking(True)
        head = held + b"".join(arrived)
        if arrived:
            # Back where the parser reads from, in the order it came.
            unreader.buf = io.BytesIO()
            unreader.buf.write(head)
        if head and reads.head_deadline is None:
            reads.head_deadline = time.monotonic() + HEADER_TIMEOUT
        if ended or _head_complete(head) or size >= _HEAD_GATHER_LIMIT:
            return None  # at the end of the stream too: the parser handles that
        if head and time.monotonic() >= reads.head_deadline:
            self.log.info("closing a connection from %s: no complete request head "
                          "after %s s", conn.client, HEADER_TIMEOUT)
            try:
                gunicorn_util.write_nonblock(conn.sock, _error_bytes(
                    408, "Request Timeout",
                    f"the request head was not complete after {HEADER_TIMEOUT} s",
                    "request-timeout"))
            except OSError:
                pass
            self._end(conn)
            return False
        # A stopping worker does not wait for the rest (gthread would hand the connection
        # straight back to a thread, again and again).
        return _DEFER if self.alive else False


def _gathering_possible() -> bool:
    """Whether this gunicorn's gthread worker has what HubWorker builds on (gunicorn 27)."""
    return _DEFER is not None and all(
        hasattr(gthread.ThreadWorker, name)
        for name in ("murder_pending", "finish_request", "handle_request"))


class _HubServer(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        settings = self._settings
        self.cfg.set("bind", f"{settings.host}:{settings.port}")
        self.cfg.set("workers", settings.workers)
        if _gathering_possible():
            self.cfg.set("worker_class", HubWorker)
        else:
            sys.stderr.write("cyberhub: this gunicorn's gthread worker cannot be made to bound "
                             "the time a request head takes; slow clients can hold its "
                             "threads (use gunicorn 27, and a reverse proxy in front)\n")
            self.cfg.set("worker_class", "gthread")
        self.cfg.set("threads", THREADS)
        self.cfg.set("timeout", WORKER_TIMEOUT)
        self.cfg.set("keepalive", KEEPALIVE)
        self.cfg.set("loglevel", settings.log_level.lower())
        self.cfg.set("accesslog", "-" if settings.access_log else None)
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

"""The hub under gunicorn, driven over raw loopback sockets: request bodies that break while
they are read, and clients that send their requests slowly or not at all (issue 12).

Everything here needs a real `cyberhub serve` process: the failures happen in gunicorn's
reader, below Flask, where the test client never goes."""

from __future__ import annotations

import base64
import json
import selectors
import socket
import threading
import time
import uuid

import pytest
import requests
from conftest import TAXII, indicator, settings_for
from hubprocess import RunningHub

from cyberhub.core import signing, timestamps
from cyberhub.hub.storage.database import Database
from cyberhub.hub.web import server

# One gunicorn worker: four threads, so that sixteen slow clients are four times too many.
WORKERS = 1


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    settings = settings_for(tmp_path_factory.mktemp("server-hub"), "server")
    running = RunningHub(settings, WORKERS)
    running.db = Database(settings.effective_database_url)
    yield running
    running.stop()
    running.db.dispose()


def _auth(hub) -> str:
    token = base64.b64encode(f"admin:{hub.password}".encode()).decode()
    return f"Authorization: Basic {token}\r\n"


def _connect(hub, timeout: float = 30) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", hub.port), timeout=timeout)
    _AHEAD.pop(id(sock), None)  # left by an earlier socket that had this id
    return sock


# Bytes read past the end of a response: the start of the next one on that connection (two
# pipelined answers can come in one recv). Keyed by the socket object's id while it is open.
_AHEAD: dict[int, bytes] = {}


def _read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = _AHEAD.pop(id(sock), b"")
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection without an answer: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    if body[length:]:
        _AHEAD[id(sock)] = body[length:]
    return int(lines[0].split()[1]), headers, body[:length]


def _closed(sock: socket.socket) -> bool:
    """Whether the server closed the connection (after whatever it still had to say)."""
    try:
        while sock.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


def _taxii_error(response, status: int) -> dict:
    code, headers, body = response
    assert code == status, body
    assert headers["content-type"] == TAXII
    error = json.loads(body)
    assert error["http_status"] == str(status) and error["title"] and error["description"]
    return error


def _objects_path(hub) -> str:
    return hub.collection("indicators").url.split(str(hub.port), 1)[1] + "objects/"


def _stored(hub, object_id: str) -> bool:
    response = requests.get(f"{hub.collection('indicators').url}objects/{object_id}/",
                            auth=("admin", hub.password), headers={"Accept": TAXII},
                            timeout=30)
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def _chunked(path: str, extra_headers: str, first_chunk: bytes, tail: bytes) -> bytes:
    """A chunked POST: one good chunk (a whole JSON body), then `tail`, where it breaks."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {TAXII}\r\n"
            f"{extra_headers}Transfer-Encoding: chunked\r\n\r\n")
    return head.encode() + b"%x\r\n" % len(first_chunk) + first_chunk + b"\r\n" + tail


# Each tail makes gunicorn's chunked reader raise something else while Flask reads the body.
BROKEN_TAILS = {
    "chunk size not hex": (b"zz\r\n", False),                   # InvalidChunkSize
    "chunk without CRLF": (b"5\r\nabcdeXY\r\n0\r\n\r\n", False),  # ChunkMissingTerminator
    "bad chunk extension": (b"5;=x\r\nabcde\r\n0\r\n\r\n", False),  # InvalidChunkExtension
    "bad trailer": (b"0\r\nno colon here\r\n\r\n", False),       # InvalidHeader
    "cut off mid-chunk": (b"100\r\nabc", True),                  # NoMoreData
}


@pytest.mark.parametrize("tail, half_close", BROKEN_TAILS.values(), ids=BROKEN_TAILS.keys())
def test_broken_chunked_envelope_is_400_and_stores_nothing(hub, tail, half_close):
    obj = indicator(1, id=f"indicator--{uuid.uuid4()}")
    request = _chunked(_objects_path(hub), f"{_auth(hub)}Content-Type: {TAXII}\r\n",
                       json.dumps({"objects": [obj]}).encode(), tail)
    with _connect(hub) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        error = _taxii_error(_read_response(sock), 400)
        assert error["error_code"] == "broken-body"
        # Where the next request would start is unknown: the server closes.
        assert _closed(sock)
    assert not _stored(hub, obj["id"])


@pytest.mark.parametrize("tail, half_close", BROKEN_TAILS.values(), ids=BROKEN_TAILS.keys())
def test_broken_chunked_enrolment_is_400_and_leaves_the_token_unused(hub, tail, half_close):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cyberhub.hub import nodes

    slug = f"t-{uuid.uuid4().hex[:12]}"
    with hub.db.writing() as session:
        token = nodes.add_node(session, slug, "Stadt Test", "SN", now=timestamps.now_us(),
                               token_ttl_hours=1)["enrollment_token"]
    body = {"token": token, "jwk": signing.public_jwk(Ed25519PrivateKey.generate())}
    request = _chunked("/nodes/enroll", "Content-Type: application/json\r\n",
                       json.dumps(body).encode(), tail)
    with _connect(hub) as sock:
        sock.sendall(request)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        assert _taxii_error(_read_response(sock), 400)["error_code"] == "broken-body"
    enrolled = requests.post(f"http://127.0.0.1:{hub.port}/nodes/enroll", json=body, timeout=30)
    assert enrolled.status_code == 201, enrolled.text


def _short_body_request(hub, obj: dict) -> tuple[bytes, bytes]:
    body = json.dumps({"objects": [obj]}).encode()
    head = (f"POST {_objects_path(hub)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {TAXII}\r\n"
            f"Content-Type: {TAXII}\r\n{_auth(hub)}Content-Length: {len(body) + 100}\r\n\r\n")
    return head.encode(), body


def test_body_shorter_than_content_length_is_400_when_the_client_stops(hub):
    obj = indicator(2, id=f"indicator--{uuid.uuid4()}")
    head, body = _short_body_request(hub, obj)
    with _connect(hub) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        assert _taxii_error(_read_response(sock), 400)["error_code"] == "broken-body"
    assert not _stored(hub, obj["id"])


def test_body_that_stops_arriving_is_408_after_the_body_read_timeout(hub):
    obj = indicator(3, id=f"indicator--{uuid.uuid4()}")
    head, body = _short_body_request(hub, obj)
    with _connect(hub, timeout=server.BODY_READ_TIMEOUT + 20) as sock:
        sock.sendall(head + body)  # and then nothing, with the connection left open
        start = time.monotonic()
        error = _taxii_error(_read_response(sock), 408)
        waited = time.monotonic() - start
        assert error["error_code"] == "request-timeout"
        assert _closed(sock)
    assert server.BODY_READ_TIMEOUT - 1 <= waited <= server.BODY_READ_TIMEOUT + 5
    assert not _stored(hub, obj["id"])


def test_slow_but_steady_request_is_served(hub):
    """A head that comes in pieces, and a body with pauses shorter than the timeouts: that is
    a slow line, not an attack, and gets its answer."""
    obj = indicator(4, id=f"indicator--{uuid.uuid4()}")
    body = json.dumps({"objects": [obj]}).encode()
    head = (f"POST {_objects_path(hub)} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {TAXII}\r\n"
            f"Content-Type: {TAXII}\r\n{_auth(hub)}Content-Length: {len(body)}\r\n\r\n").encode()
    pieces = [head[:20], head[20:-10], head[-10:], body[:50], body[50:-5], body[-5:]]
    with _connect(hub) as sock:
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(1)
        code, _, answer = _read_response(sock)
        assert code == 202, answer
        # The connection stays usable: two pipelined requests on it, in one send.
        get = (f"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {TAXII}\r\n"
               f"{_auth(hub)}\r\n").encode()
        sock.sendall(get + get)
        assert _read_response(sock)[0] == 200
        assert _read_response(sock)[0] == 200
    assert _stored(hub, obj["id"])


def _timed_get(hub) -> float:
    start = time.monotonic()
    response = requests.get(hub.url, auth=("admin", hub.password),
                            headers={"Accept": TAXII, "Connection": "close"}, timeout=30)
    assert response.status_code == 200
    return time.monotonic() - start


def test_half_sent_heads_do_not_hold_up_other_clients(hub):
    """Sixteen clients (four times the worker's threads) send half a request head and then
    dribble a byte a second, or fall silent. Other clients are served meanwhile, and the
    server closes the dribbling connections once HEADER_TIMEOUT has passed since their first
    byte, the silent ones after KEEPALIVE seconds without a byte."""
    _timed_get(hub)  # the admin's password check (Argon2) is cached from here on
    clients = 16
    dribbling = [_connect(hub) for _ in range(clients // 2)]
    silent = [_connect(hub) for _ in range(clients - len(dribbling))]
    started = time.monotonic()
    for sock in dribbling + silent:
        sock.sendall(b"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
    stop = threading.Event()

    def dribble():
        while not stop.wait(1):
            for sock in dribbling:
                try:
                    sock.send(b"a")
                except OSError:
                    pass

    dribbler = threading.Thread(target=dribble, daemon=True)
    dribbler.start()
    try:
        time.sleep(1.5)  # every slow connection has reached the server
        waits = [_timed_get(hub) for _ in range(9)]
        print(f"GET /taxii2/ beside {clients} half-sent heads: "
              f"{', '.join(f'{w:.3f}' for w in waits)} s")
        assert max(waits) < 2.0

        closed_after: dict[socket.socket, float] = {}
        answers: dict[socket.socket, bytes] = {s: b"" for s in dribbling + silent}
        selector = selectors.DefaultSelector()
        for sock in dribbling + silent:
            selector.register(sock, selectors.EVENT_READ)
        deadline = started + server.HEADER_TIMEOUT + server.KEEPALIVE + 10
        while len(closed_after) < clients and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.5):
                try:
                    data = key.fileobj.recv(65536)
                except ConnectionResetError:
                    data = b""
                answers[key.fileobj] += data
                if not data:
                    closed_after[key.fileobj] = time.monotonic() - started
                    selector.unregister(key.fileobj)
        selector.close()
    finally:
        stop.set()
        dribbler.join()
        for sock in dribbling + silent:
            sock.close()
    print("closed after (s): dribbling",
          sorted(round(closed_after.get(s, -1), 1) for s in dribbling),
          "silent", sorted(round(closed_after.get(s, -1), 1) for s in silent))
    assert len(closed_after) == clients, "the server left half-sent heads open"
    for sock in dribbling:
        assert server.HEADER_TIMEOUT - 0.5 <= closed_after[sock] <= server.HEADER_TIMEOUT + 3
        assert b" 408 " in answers[sock].split(b"\r\n", 1)[0]
    for sock in silent:
        assert closed_after[sock] <= server.KEEPALIVE + 3


def test_clients_that_keep_a_closed_connection_open_hold_up_no_one(hub):
    """Sixteen clients ask for "Connection: close" and then neither read nor close. gunicorn
    waited up to 2 s for each on the worker's main loop before closing; another client waited
    26 s. The hub shuts its side at once and leaves the wait to the poller."""
    _timed_get(hub)
    lingering = []
    try:
        for _ in range(16):
            sock = _connect(hub)
            sock.sendall(f"GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {TAXII}\r\n"
                         f"{_auth(hub)}Connection: close\r\n\r\n".encode())
            lingering.append(sock)
        time.sleep(0.5)
        waits = [_timed_get(hub) for _ in range(5)]
        print(f"GET /taxii2/ beside 16 lingering clients: "
              f"{', '.join(f'{w:.3f}' for w in waits)} s")
        assert max(waits) < 2.0
        for sock in lingering:  # each got its answer, and the end of the connection
            assert _read_response(sock)[0] == 200
            assert _closed(sock)
    finally:
        for sock in lingering:
            sock.close()

"""Issue 12: a town's callback URL must not make the hub connect into its own network.

Real sockets throughout: listeners on loopback record every request they receive, so "refused"
means that nothing arrived, not that a mock was not called.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cyberhub.core import addresses, timestamps
from cyberhub.core.config_files import ConfigError
from cyberhub.hub.advisories import delivery
from cyberhub.hub.bootstrap import bootstrap
from cyberhub.hub.settings import load_settings
from cyberhub.hub.storage.models import AdvisoryRecipient, Node
from cyberhub.hub.web.app import create_app
from hub.advisories.test_delivery import _publish

LOOPBACK = addresses.networks(["127.0.0.0/8"])


class Recorder:
    """A listener that records every request and answers with `status` (and `location`)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, status: int = 204,
                 location: str | None = None, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict] = []
        self.server_names: list[str | None] = []
        self.status, self.location = status, location
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                recorder.requests.append({"path": self.path, "host": self.headers["Host"],
                                          "body": self.rfile.read(length)})
                self.send_response(recorder.status)
                if recorder.location:
                    self.send_header("Location", recorder.location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_GET = do_POST  # noqa: N815 - a followed redirect would GET

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _ctx: self.server_names.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = f"http://{host}:{self.port}/push"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    running = Recorder()
    yield running
    running.close()


def _callback(db, slug: str) -> AdvisoryRecipient:
    with db.session() as session:
        node = session.query(Node).filter_by(slug=slug).one()
        return session.query(AdvisoryRecipient).filter_by(node_id=node.id).one()


def _store_callback(db, slug: str, url: str) -> None:
    """As a callback registered before this check existed: straight into the database."""
    with db.writing() as session:
        session.query(Node).filter_by(slug=slug).one().callback_url = url


def _hostile(port: int) -> list[str]:
    return [
        f"http://2130706433:{port}/push", f"http://127.1:{port}/push",
        f"http://0x7f000001:{port}/push", f"http://0177.0.0.1:{port}/push",
        f"http://127.0.0.1:{port}/push",
        f"http://[::ffff:127.0.0.1]:{port}/push", f"http://[::1]:{port}/push",
        f"http://0:{port}/push",
    ]


ELSEWHERE = [
    "http://2852039166/latest/meta-data", "http://[::ffff:169.254.169.254]/",
    "http://0xa9fea9fe/", "http://0251.0376.0251.0376/", "http://169.254.43518/",
    "http://0/", "http://10.1.2.3/", "http://192.168.178.1/", "http://100.64.0.1/",
    "http://224.0.0.1/", "http://[fd00::1]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::1]/", "http://[::127.0.0.1]/", "https://192.0.2.10/",
    "http://１２７。０。０。１/", "http://127.0.0.1./",
]


@pytest.mark.parametrize("form", range(len(_hostile(0))))
def test_loopback_in_any_spelling_is_refused_at_registration(client, db, make_town, recorder,
                                                             form):
    town = make_town("aue")
    url = _hostile(recorder.port)[form]
    response = client.post("/nodes/callback", json={"url": url}, headers=town.headers)
    assert response.status_code == 400, url
    error = response.get_json()
    assert error["error_code"] == "bad-callback"
    assert "is not a public address" in error["description"]
    with db.session() as session:
        assert session.query(Node).filter_by(slug="aue").one().callback_url is None


@pytest.mark.parametrize("url", ELSEWHERE)
def test_internal_addresses_are_refused_at_registration(client, make_town, url):
    town = make_town("aue")
    response = client.post("/nodes/callback", json={"url": url}, headers=town.headers)
    assert response.status_code == 400, url
    assert "is not a public address" in response.get_json()["description"]


def test_the_refusal_names_the_address_as_written_and_as_read(client, make_town):
    town = make_town("aue")
    response = client.post("/nodes/callback", json={"url": "http://2852039166/"},
                           headers=town.headers)
    assert response.get_json()["description"] == (
        "the callback address 169.254.169.254 (2852039166) is not a public address "
        "(link-local)")


def test_a_name_is_accepted_at_registration_and_refused_at_push_time(
        client, db, people, signer, make_town, recorder):
    town = make_town("aue")
    url = f"http://localhost:{recorder.port}/push"
    response = client.post("/nodes/callback", json={"url": url}, headers=town.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    _publish(db, people, signer)
    result = delivery.push_due(db, signer=signer, now=timestamps.now_us())
    assert result.failed == ["aue"] and result.delivered == []
    assert recorder.requests == []
    row = _callback(db, "aue")
    assert row.push_state == "pending"  # retried: a name may point elsewhere later
    assert "(localhost) is not a public address (loopback)" in row.last_error


@pytest.mark.parametrize("form", range(len(_hostile(0)) + 1))
def test_a_stored_hostile_callback_reaches_nothing(db, people, signer, make_town, recorder,
                                                   form):
    make_town("aue")
    url = (_hostile(recorder.port) + [f"http://localhost:{recorder.port}/push"])[form]
    _store_callback(db, "aue", url)
    _publish(db, people, signer)
    result = delivery.push_due(db, signer=signer, now=timestamps.now_us())
    assert result.failed == ["aue"], url
    assert recorder.requests == [], url
    assert "is not a public address" in _callback(db, "aue").last_error


@pytest.mark.parametrize("host", ["127.0.0.1", "2130706433", "localhost"])
def test_an_allowed_network_lets_the_push_arrive(settings, db, people, make_town, recorder,
                                                 host):
    allowing = bootstrap(settings.model_copy(update={"push_allowed_networks": ("127.0.0.0/8",)}),
                         db)
    assert allowing.push_allowed_networks == LOOPBACK
    client = create_app(hub=allowing).test_client()
    town = make_town("aue")
    url = f"http://{host}:{recorder.port}/push?town=aue"
    response = client.post("/nodes/callback", json={"url": url}, headers=town.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    _publish(db, people, allowing.signer)
    result = delivery.push_due(db, signer=allowing.signer, now=timestamps.now_us(),
                               allowed_networks=allowing.push_allowed_networks)
    assert result.delivered == ["aue"], _callback(db, "aue").last_error
    [received] = recorder.requests
    assert received["path"] == "/push?town=aue"
    assert received["host"] == f"{host}:{recorder.port}"
    assert b'"jws"' in received["body"]


def test_a_redirect_is_not_followed(db, people, signer, make_town):
    target = Recorder()
    redirecting = Recorder(status=302, location=target.url)
    try:
        make_town("aue")
        _store_callback(db, "aue", redirecting.url)
        _publish(db, people, signer)
        result = delivery.push_due(db, signer=signer, now=timestamps.now_us(),
                                   allowed_networks=LOOPBACK)
        assert result.failed == ["aue"]
        assert _callback(db, "aue").last_error == "HTTP 302"
        assert len(redirecting.requests) == 1 and target.requests == []
    finally:
        target.close()
        redirecting.close()


class Resolver:
    """A DNS that answers differently each time, as an attacker's name server can."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls = 0

    def __call__(self, host, port, family=0, kind=0, proto=0, flags=0):
        address = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


@pytest.fixture
def twins():
    """Two listeners on one port, one on 127.0.0.1 and one on 127.0.0.2."""
    first = Recorder("127.0.0.1")
    try:
        second = Recorder("127.0.0.2", first.port)
    except OSError:
        first.close()
        pytest.skip("127.0.0.2 is not usable here")
    yield first, second
    first.close()
    second.close()


def test_the_push_connects_to_the_address_it_checked(twins):
    checked, other = twins
    resolver = Resolver("127.0.0.1", "127.0.0.2")
    delivery.post_json(f"http://aue.example:{checked.port}/push", {"jws": "x"},
                       allowed_networks=addresses.networks(["127.0.0.1/32", "127.0.0.2/32"]),
                       resolver=resolver)
    assert resolver.calls == 1
    assert [r["host"] for r in checked.requests] == [f"aue.example:{checked.port}"]
    assert other.requests == []


def test_a_refused_first_answer_is_not_retried_with_a_second(twins):
    checked, other = twins
    resolver = Resolver("169.254.169.254", "127.0.0.1")
    with pytest.raises(addresses.NotPublic, match="169.254.169.254"):
        delivery.post_json(f"http://aue.example:{checked.port}/push", {"jws": "x"},
                           allowed_networks=LOOPBACK, resolver=resolver)
    assert resolver.calls == 1
    assert checked.requests == other.requests == []


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("served_name, arrives", [("aue.example", True),
                                                  ("other.example", False)])
def test_https_checks_the_certificate_against_the_name_not_the_address(tmp_path, served_name,
                                                                       arrives):
    cert, key = _certificate(tmp_path, served_name)
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    listener = Recorder(tls=server_side)
    trusting = ssl.create_default_context(cafile=str(cert))
    url = f"https://aue.example:{listener.port}/push"
    try:
        if arrives:
            delivery.post_json(url, {"jws": "x"}, allowed_networks=LOOPBACK,
                               resolver=Resolver("127.0.0.1"), tls=trusting)
            assert [r["host"] for r in listener.requests] == [f"aue.example:{listener.port}"]
        else:
            with pytest.raises(ssl.SSLCertVerificationError, match="aue.example"):
                delivery.post_json(url, {"jws": "x"}, allowed_networks=LOOPBACK,
                                   resolver=Resolver("127.0.0.1"), tls=trusting)
            assert listener.requests == []
        assert listener.server_names == ["aue.example"]  # SNI names the town, not 127.0.0.1
    finally:
        listener.close()


def test_the_setting_is_read_from_file_and_environment(tmp_path):
    config = tmp_path / "hub.toml"
    config.write_text('push_allowed_networks = ["10.20.0.0/16", "fd00:20::/32"]\n')
    from_file = load_settings(environ={"CYBERHUB_CONFIG": str(config)})
    assert from_file.push_allowed_networks == ("10.20.0.0/16", "fd00:20::/32")
    from_env = load_settings(environ={"CYBERHUB_PUSH_ALLOWED_NETWORKS": "127.0.0.0/8, 10.0.0.0/8"})
    assert from_env.push_allowed_networks == ("127.0.0.0/8", "10.0.0.0/8")
    assert load_settings(environ={}).push_allowed_networks == ()


@pytest.mark.parametrize("value, message", [
    ("10.1.2.3/16", "host bits set"),
    ("10.0.0.0/8,intranet", "'intranet' does not appear to be an IPv4 or IPv6 network"),
    ("10.0.0.0/33", "CIDR"),
])
def test_a_bad_network_is_a_clear_error(value, message):
    with pytest.raises(ConfigError, match="invalid setting push_allowed_networks") as caught:
        load_settings(environ={"CYBERHUB_PUSH_ALLOWED_NETWORKS": value})
    assert message in str(caught.value)


def test_the_wiring_parses_the_setting_once(settings, db, initialised):
    hub = bootstrap(settings.model_copy(update={"push_allowed_networks": ("10.20.0.0/16",)}), db)
    assert hub.push_allowed_networks == (ipaddress.ip_network("10.20.0.0/16"),)
    assert bootstrap(settings, db).push_allowed_networks == ()

"""E-mail notifications, against a real SMTP server (aiosmtpd on 127.0.0.1) started by the
tests: what is new is mailed once, in German unless English is asked for; nothing is recorded
as sent until the server took it; the password comes from the environment variable the
settings name; STARTTLS and implicit TLS with a certificate made here."""

from __future__ import annotations

import datetime
import email
import email.policy
import ipaddress
import re
import socket
import ssl
import threading
import tomllib

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import REPO
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from cyberhub.cli import main
from cyberhub.core import timestamps
from cyberhub.hub.advisories import document, drafting, lifecycle
from cyberhub.hub.notifications import service
from cyberhub.hub.settings import ConfigError, Settings, load_settings
from cyberhub.hub.storage.database import Database
from cyberhub.hub.storage.models import Advisory, HubSetting, Notification
from hub.advisories.conftest import campaign, people  # noqa: F401 - fixtures
from hub.advisories.test_lifecycle import GREEN_DOCUMENT

TEAM = "lagezentrum@cert.example.org"
SENDER = "hub@cert.example.org"
HOUR = 3600 * 1_000_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """What the SMTP server received; `answer` set to an SMTP reply refuses every mail."""

    def __init__(self) -> None:
        self.mails: list[email.message.EmailMessage] = []
        self.sessions: list[dict] = []
        self.answer: str | None = None

    async def handle_DATA(self, server, session, envelope):
        if self.answer:
            return self.answer
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.sessions.append({"tls": tls,
                              "authenticated": session.authenticated,
                              "to": list(envelope.rcpt_tos)})
        self.mails.append(email.message_from_bytes(envelope.content,
                                                   policy=email.policy.default))
        return "250 OK"

    def subjects(self) -> list[str]:
        return [str(mail["Subject"]) for mail in self.mails]


class SMTPServer:
    def __init__(self, port: int | None = None, **options) -> None:
        self.port = port or free_port()
        self.box = Mailbox()
        self.controller = Controller(self.box, hostname="127.0.0.1", port=self.port,
                                     **options)

    def __enter__(self) -> Mailbox:
        self.controller.start()
        return self.box

    def __exit__(self, *_) -> None:
        self.controller.stop()


def mail_settings(settings, port: int, **extra):
    """The test hub's settings with mail to the team mailbox through 127.0.0.1:port."""
    values = {"home": str(settings.home), "database_url": settings.effective_database_url,
              "public_url": "https://hub.cert.example.org", "mail_host": "127.0.0.1",
              "mail_port": port, "mail_security": "none", "mail_from": SENDER,
              "mail_to": [TEAM]}
    return load_settings({**values, **extra}, environ={})


@pytest.fixture
def server():
    """A plain SMTP server on a free port of 127.0.0.1; its mailbox, with the port."""
    started = SMTPServer()
    with started as box:
        box.port = started.port
        yield box


def mail_was_on(db) -> None:
    """A hub where mail was already on: what comes now is news."""
    with db.writing() as session:
        session.add(HubSetting(key=service.SINCE, value="0"))


def states(db) -> dict[str, str]:
    with db.session() as session:
        return dict(session.execute(select(Notification.key, Notification.state)).all())


def _step(db, people, step, name, *args, **kwargs):  # noqa: F811
    with db.writing() as session:
        return getattr(lifecycle, step)(session, people(session, name), *args,
                                        now=timestamps.now_us(), **kwargs)


# --- what is mailed ---------------------------------------------------------------------------

def test_a_new_campaign_is_mailed_once_in_german(db, settings, campaign, server):  # noqa: F811
    campaign_id, towns, _ = campaign
    mail_was_on(db)
    configured = mail_settings(settings, server.port)

    result = service.run(db, configured, now=timestamps.now_us())
    assert result.sent == [f"campaign:{campaign_id}"] and result.failed == []
    assert server.subjects() == [
        "[cyberhub] Neue Kampagne: 3 Kommunen, Niedersachsen, Nordrhein-Westfalen, Sachsen"]
    mail = server.mails[0]
    body = mail.get_content()
    assert "Kampagne:" in body and campaign_id in body
    assert "Länder:" in body and "Niedersachsen, Nordrhein-Westfalen, Sachsen" in body
    assert "Stärkstes Indiz:" in body and "bei 3 Kommunen" in body
    assert f"https://hub.cert.example.org/console/campaigns/{campaign_id}" in body
    # Mail leaves the hub's access control: no town is named, evidence is defanged.
    assert not any(name in body for name in ("Aue", "Brilon", "Celle", "aue", "brilon"))
    assert "rechnung-stadtwerke.example" not in body
    assert mail["From"].addresses[0].addr_spec == SENDER
    assert mail["To"].addresses[0].addr_spec == TEAM
    assert mail["X-Cyberhub-Event"] == "campaign"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert states(db) == {f"campaign:{campaign_id}": "sent"}

    # The next minute: nothing new, nothing mailed.
    assert service.run(db, configured, now=timestamps.now_us()).sent == []
    assert len(server.mails) == 1


def test_english_when_configured(db, settings, campaign, server):  # noqa: F811
    mail_was_on(db)
    service.run(db, mail_settings(settings, server.port, mail_language="en"),
                now=timestamps.now_us())
    assert server.subjects() == [
        "[cyberhub] New campaign: 3 towns, Lower Saxony, North Rhine-Westphalia, Saxony"]
    assert "Strongest evidence:" in server.mails[0].get_content()


def test_the_first_run_records_what_is_there_without_mail(db, settings, campaign,  # noqa: F811
                                                          server):
    campaign_id, _, _ = campaign
    configured = mail_settings(settings, server.port)
    result = service.run(db, configured, now=timestamps.now_us())
    assert result.skipped == 1 and result.sent == []
    assert states(db) == {f"campaign:{campaign_id}": "skipped"}
    assert service.run(db, configured, now=timestamps.now_us()).sent == []
    assert server.mails == []


def test_a_draft_waiting_for_a_second_analyst_is_mailed_per_revision(
        db, settings, people, server):  # noqa: F811
    mail_was_on(db)
    configured = mail_settings(settings, server.port)
    drafted = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))

    assert service.run(db, configured, now=timestamps.now_us()).sent == [
        f"advisory-waiting:{drafted['id']}:1"]
    assert server.subjects() == ["[cyberhub] Warnung wartet auf Freigabe: TLP:GREEN, mittel"]
    body = server.mails[0].get_content()
    assert "Vier-Augen-Prinzip" in body and drafted["id"] in body
    assert "Titel:" in body and "Sicherheitsupdate für das Bürgerportal" in body  # GREEN
    assert "Verfasst von:" in body and "anna" in body
    assert f"https://hub.cert.example.org/console/advisories/{drafted['id']}" in body
    assert service.run(db, configured, now=timestamps.now_us()).sent == []

    # A new revision waits again; an approved one does not.
    revised = document.parse({**GREEN_DOCUMENT, "severity": "high", "tlp": "amber"})
    _step(db, people, "revise", "bert", drafted["id"], revised)
    assert service.run(db, configured, now=timestamps.now_us()).sent == [
        f"advisory-waiting:{drafted['id']}:2"]
    assert server.subjects()[1] == "[cyberhub] Warnung wartet auf Freigabe: TLP:AMBER, hoch"
    assert "Sicherheitsupdate" not in server.mails[1].get_content()  # AMBER: title withheld
    assert "nur im Lagezentrum, TLP:AMBER" in server.mails[1].get_content()
    _step(db, people, "approve", "anna", drafted["id"])
    assert service.run(db, configured, now=timestamps.now_us()).sent == []
    assert len(server.mails) == 2


def test_towns_without_receipt_are_mailed_after_the_set_time(
        client, db, settings, people, campaign, signer, server):  # noqa: F811
    campaign_id, towns, _ = campaign
    configured = mail_settings(settings, server.port, mail_unacknowledged_hours=24)
    service.run(db, configured, now=timestamps.now_us())  # the first run: the campaign is old
    with db.session() as session:
        proposal = drafting.from_campaign(session, campaign_id)
    drafted = _step(db, people, "draft", "anna", proposal)
    _step(db, people, "approve", "bert", drafted["id"])
    published = _step(db, people, "publish", "carla", drafted["id"], signer=signer)
    version = published["published_version"]
    with db.session() as session:
        published_at = session.get(Advisory, drafted["id"]).published_at

    # Not yet: the towns have 24 hours.
    assert service.run(db, configured, now=published_at + 24 * HOUR - 1).sent == []
    assert server.mails == []
    answer = client.post("/nodes/receipts", headers=towns[0].headers, json={
        "id": drafted["id"], "version": version, "state": "applied"})
    assert answer.status_code == 201, answer.get_data(as_text=True)

    result = service.run(db, configured, now=published_at + 24 * HOUR)
    assert len(result.sent) == 2 and all(key.startswith(
        f"unacknowledged:{drafted['id']}:{version}:") for key in result.sent)
    assert server.subjects() == [
        "[cyberhub] Warnung nicht bestätigt: 2 Kommunen nach 24 Stunden"]
    body = server.mails[0].get_content()
    assert "Ohne Bestätigung:" in body and "Niedersachsen 1, Nordrhein-Westfalen 1" in body
    assert "Sachsen 1" not in body.replace("Niedersachsen 1", "")  # aue acknowledged
    assert proposal.title.de not in body  # AMBER: the title stays in the console
    assert service.run(db, configured, now=published_at + 25 * HOUR).sent == []
    assert len(server.mails) == 1


# --- failures ---------------------------------------------------------------------------------

def test_a_server_that_is_down_records_nothing_and_the_next_run_retries(
        db, settings, people, caplog):  # noqa: F811
    mail_was_on(db)
    port = free_port()  # nothing listens here yet
    configured = mail_settings(settings, port)
    drafted = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    key = f"advisory-waiting:{drafted['id']}:1"

    result = service.run(db, configured, now=timestamps.now_us())
    assert result.sent == [] and result.failed == [key]
    assert states(db) == {key: "pending"}
    assert f"mail server 127.0.0.1:{port}" in caplog.text and "not sent" in caplog.text

    with SMTPServer(port) as box:
        assert service.run(db, configured, now=timestamps.now_us()).sent == [key]
    assert len(box.mails) == 1 and states(db) == {key: "sent"}
    with db.session() as session:
        row = session.get(Notification, key)
        assert row.attempts == 2 and row.last_error is None and row.sent_at


def test_a_refused_mail_is_not_recorded_as_sent(db, settings, people, server):  # noqa: F811
    mail_was_on(db)
    configured = mail_settings(settings, server.port)
    drafted = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    key = f"advisory-waiting:{drafted['id']}:1"
    server.answer = "451 4.3.0 try again later"
    assert service.run(db, configured, now=timestamps.now_us()).failed == [key]
    with db.session() as session:
        row = session.get(Notification, key)
        assert row.state == "pending" and "451" in row.last_error
    server.answer = None
    assert service.run(db, configured, now=timestamps.now_us()).sent == [key]
    assert len(server.mails) == 1


def test_two_schedulers_at_once_mail_an_event_once(db, settings, campaign,  # noqa: F811
                                                   server):
    mail_was_on(db)
    configured = mail_settings(settings, server.port)
    results = []
    databases = [Database(settings.effective_database_url) for _ in range(2)]

    def scheduler(database):
        results.append(service.run(database, configured, now=timestamps.now_us()))

    threads = [threading.Thread(target=scheduler, args=(database,)) for database in databases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for database in databases:
        database.dispose()
    assert sorted(len(result.sent) for result in results) == [0, 1]
    assert len(server.mails) == 1


# --- TLS and login ------------------------------------------------------------------------------

def _certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1, and the server's TLS context with it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "smtp.pem", tmp_path / "smtp.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == b"hub-notify" and auth_data.password == b"s3cret-from-env"
    return AuthResult(success=ok, handled=False)


# aiosmtpd warns about AUTH without its STARTTLS; with implicit TLS the connection is TLS.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_and_login_with_the_password_from_the_named_variable(
        db, settings, people, tmp_path, monkeypatch, security):  # noqa: F811
    cert_file, context = _certificate(tmp_path)
    # aiosmtpd offers AUTH only after its own STARTTLS unless told the connection is safe.
    options = ({"tls_context": context, "require_starttls": True} if security == "starttls"
               else {"ssl_context": context, "auth_require_tls": False})
    mail_was_on(db)
    drafted = _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    key = f"advisory-waiting:{drafted['id']}:1"
    started = SMTPServer(auth_required=True, authenticator=_authenticator, **options)
    configured = mail_settings(settings, started.port, mail_security=security,
                               mail_ca_file=str(cert_file), mail_username="hub-notify",
                               mail_password_env="NOTIFY_SMTP_SECRET")
    with started as box:
        # The variable is not set: nothing is sent, and the reason names the variable.
        monkeypatch.delenv("NOTIFY_SMTP_SECRET", raising=False)
        result = service.run(db, configured, now=timestamps.now_us())
        assert result.failed == [key]
        with db.session() as session:
            assert "NOTIFY_SMTP_SECRET" in session.get(Notification, key).last_error

        monkeypatch.setenv("NOTIFY_SMTP_SECRET", "wrong")
        assert service.run(db, configured, now=timestamps.now_us()).failed == [key]
        with db.session() as session:
            error = session.get(Notification, key).last_error
        assert "535" in error and "wrong" not in error  # the server's word, never the secret

        monkeypatch.setenv("NOTIFY_SMTP_SECRET", "s3cret-from-env")
        assert service.run(db, configured, now=timestamps.now_us()).sent == [key]
    assert box.sessions == [{"tls": True, "authenticated": True, "to": [TEAM]}]


def test_an_untrusted_certificate_is_refused(db, settings, people, tmp_path):  # noqa: F811
    _, context = _certificate(tmp_path)
    started = SMTPServer(tls_context=context, require_starttls=True)
    mail_was_on(db)
    _step(db, people, "draft", "anna", document.parse(GREEN_DOCUMENT))
    configured = mail_settings(settings, started.port, mail_security="starttls")
    with started as box:
        result = service.run(db, configured, now=timestamps.now_us())
    assert result.sent == [] and len(result.failed) == 1 and box.mails == []


# --- settings -------------------------------------------------------------------------------

def test_mail_is_off_unless_host_and_recipients_are_set(db, initialised, settings):
    assert not settings.mail_enabled
    assert service.run(db, settings, now=timestamps.now_us()) == service.RunResult()
    with pytest.raises(service.NotificationError, match="off"):
        service.send_test(settings, now=timestamps.now_us())


def test_mail_settings_from_the_environment():
    loaded = load_settings(environ={
        "CYBERHUB_MAIL_HOST": "smtp.example.org", "CYBERHUB_MAIL_FROM": SENDER,
        "CYBERHUB_MAIL_TO": f"{TEAM}, lage2@cert.example.org",
        # The password variable is not a setting, under its default name or another one.
        "CYBERHUB_MAIL_PASSWORD": "pw-default-7Q", "CYBERHUB_SMTP_SECRET": "pw-named-9Z",
        "CYBERHUB_MAIL_PASSWORD_ENV": "CYBERHUB_SMTP_SECRET"})
    assert loaded.mail_enabled and loaded.mail_to == (TEAM, "lage2@cert.example.org")
    assert loaded.effective_mail_port == 587 and loaded.mail_security == "starttls"
    assert loaded.mail_language == "de" and loaded.mail_unacknowledged_hours == 24
    assert "pw-" not in repr(loaded) and "pw-" not in str(loaded.model_dump())
    tls = load_settings({"mail_security": "tls"}, environ={})
    assert tls.effective_mail_port == 465 and not tls.mail_enabled


@pytest.mark.parametrize("values, fragment", [
    ({"mail_host": "smtp.example.org"}, "mail_host and mail_to go together"),
    ({"mail_to": [TEAM]}, "mail_host and mail_to go together"),
    ({"mail_host": "smtp.example.org", "mail_to": [TEAM]}, "mail_from"),
    ({"mail_to": ["lagezentrum"]}, "mail_to.*not an e-mail address"),
    ({"mail_from": "Hub <hub@example.org>"}, "mail_from.*not an e-mail address"),
    ({"mail_from": "hub@example.org\nBcc: x@example.org"}, "mail_from"),
    ({"mail_password_env": "geheim 123!"}, "mail_password_env.*name of an environment"),
    ({"mail_security": "ssl"}, "mail_security"),
    ({"mail_port": 0}, "mail_port"),
    ({"mail_unacknowledged_hours": 0}, "mail_unacknowledged_hours"),
    ({"mail_language": "fr"}, "mail_language"),
    ({"mail_host": "smtp.example.org", "mail_to": [TEAM], "mail_from": SENDER,
      "mail_security": "none", "mail_username": "hub"}, "never sent in the clear"),
])
def test_wrong_mail_settings_are_clear_errors(values, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_settings(values, environ={})


# --- the command ------------------------------------------------------------------------------

def _mail_env(port: int) -> dict[str, str]:
    return {"CYBERHUB_MAIL_HOST": "127.0.0.1", "CYBERHUB_MAIL_PORT": str(port),
            "CYBERHUB_MAIL_SECURITY": "none", "CYBERHUB_MAIL_FROM": SENDER,
            "CYBERHUB_MAIL_TO": TEAM}


def test_the_test_command_sends_one_mail(runner, server):
    done = runner.invoke(main, ["notifications", "test"], env=_mail_env(server.port))
    assert done.exit_code == 0, done.output
    assert f"test mail sent to {TEAM}" in done.output
    assert server.subjects() == ["[cyberhub] Testnachricht"]
    assert "Mailserver:" in server.mails[0].get_content()


def test_the_test_command_fails_in_one_line(runner):
    port = free_port()
    done = runner.invoke(main, ["notifications", "test"], env=_mail_env(port))
    assert done.exit_code == 1
    assert done.output.startswith(f"error: mail server 127.0.0.1:{port}: ")
    assert len(done.output.strip().splitlines()) == 1 and "Traceback" not in done.output
    off = runner.invoke(main, ["notifications", "test"])
    assert off.exit_code == 1 and "e-mail notifications are off" in off.output
    half = runner.invoke(main, ["notifications", "test"], env={"CYBERHUB_MAIL_HOST": "x"})
    assert half.exit_code == 1 and "mail_host and mail_to go together" in half.output


def test_the_documented_mail_settings_load_when_uncommented():
    text = (REPO / "config" / "hub.example.toml").read_text(encoding="utf-8")
    lines = [line[2:] for line in text.splitlines() if re.match(r"# mail_\w+ = ", line)]
    values = tomllib.loads("\n".join(lines))
    assert set(values) == {name for name in Settings.model_fields if name.startswith("mail_")}
    assert load_settings(values, environ={}).mail_enabled

"""Sending over the standard library's `smtplib`: implicit TLS, STARTTLS (required once
asked for, never a silent fall back to plain text) or none, a login with the password from the
environment variable the settings name, and a timeout on every step."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Mapping

from cyberhub.hub.notifications.mails import Mail
from cyberhub.hub.settings import Settings

log = logging.getLogger("cyberhub.notifications")
PREFIX = "[cyberhub]"  # a stable subject prefix for mailbox filters, in every language
TIMEOUT_SECONDS = 15.0


class NotificationError(Exception):
    """Mail could not be sent; the message is one line and holds no secret."""


def message(settings: Settings, mail: Mail, now: int) -> EmailMessage:
    sender = settings.mail_from or ""
    built = EmailMessage()
    built["Subject"] = f"{PREFIX} {mail.subject}"
    built["From"] = formataddr((settings.title, sender))
    built["To"] = ", ".join(settings.mail_to)
    built["Date"] = formatdate(now / 1_000_000, usegmt=True)
    built["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    built["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    built["X-Cyberhub-Event"] = mail.kind
    built.set_content(mail.body)
    return built


def reason(settings: Settings, exc: BaseException) -> str:
    """One line for the log and the operator: what the server said, or the socket error."""
    if isinstance(exc, smtplib.SMTPResponseException):
        said = exc.smtp_error
        detail = f"{exc.smtp_code} " + (said.decode(errors="replace")
                                        if isinstance(said, bytes) else str(said))
    elif isinstance(exc, smtplib.SMTPRecipientsRefused):
        detail = "every recipient refused: " + ", ".join(
            f"{address} ({code})" for address, (code, _) in exc.recipients.items())
    else:
        detail = str(exc) or type(exc).__name__
    line = " ".join(detail.split())
    return f"mail server {settings.mail_host}:{settings.effective_mail_port}: {line}"[:300]


def _password(settings: Settings, environ: Mapping[str, str]) -> str:
    password = environ.get(settings.mail_password_env)
    if not password:
        raise NotificationError(f"mail_username is set, but the environment variable "
                                f"{settings.mail_password_env} that holds its password is not")
    return password


def connect(settings: Settings, environ: Mapping[str, str]) -> smtplib.SMTP:
    """A connection as `mail_security` says, logged in if `mail_username` is set."""
    host, port = settings.mail_host or "", settings.effective_mail_port
    password = _password(settings, environ) if settings.mail_username else None
    context = None
    if settings.mail_security != "none":
        context = ssl.create_default_context(
            cafile=str(settings.mail_ca_file) if settings.mail_ca_file else None)
    smtp: smtplib.SMTP
    if settings.mail_security == "tls":
        smtp = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    try:
        if settings.mail_security == "starttls":
            smtp.starttls(context=context)
        if settings.mail_username and password is not None:
            smtp.login(settings.mail_username, password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def deliver(settings: Settings, mails: list[Mail], *, now: int,
            environ: Mapping[str, str]) -> list[str | None]:
    """Send the mails over one connection; per mail None (the server took it) or why not."""
    if not mails:
        return []
    try:
        smtp = connect(settings, environ)
    except NotificationError as exc:
        return [str(exc)] * len(mails)
    except (smtplib.SMTPException, OSError) as exc:
        return [reason(settings, exc)] * len(mails)
    outcomes: list[str | None] = []
    try:
        for mail in mails:
            try:
                refused = smtp.send_message(message(settings, mail, now))
            except smtplib.SMTPServerDisconnected as exc:
                outcomes += [reason(settings, exc)] * (len(mails) - len(outcomes))
                break
            except (smtplib.SMTPException, OSError) as exc:
                outcomes.append(reason(settings, exc))
                continue
            if refused:  # taken for the other recipients: sent, and the operator is told
                log.warning("mail server refused %s for a %s mail", ", ".join(sorted(refused)),
                            mail.kind)
            outcomes.append(None)
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
    return outcomes

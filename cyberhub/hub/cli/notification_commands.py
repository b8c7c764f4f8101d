"""`cyberhub notifications`: checking the e-mail setup (the `mail_*` settings) before the
scheduler relies on it."""

from __future__ import annotations

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import CommandError, emit, json_option
from cyberhub.hub.cli.common import handle_errors, settings
from cyberhub.hub.notifications import service
from cyberhub.hub.notifications.smtp import NotificationError


@click.group("notifications")
def notifications_group() -> None:
    """E-mail notifications to the analysts' team mailbox."""


@notifications_group.command("test")
@json_option
@handle_errors
def notifications_test(as_json: bool) -> None:
    """Send one test mail to mail_to through the configured mail server."""
    loaded = settings()
    try:
        service.send_test(loaded, now=timestamps.now_us())
    except NotificationError as exc:
        raise CommandError(str(exc)) from None
    data = {"sent_to": list(loaded.mail_to),
            "server": f"{loaded.mail_host}:{loaded.effective_mail_port}",
            "security": loaded.mail_security}
    emit(as_json, data, lambda d: click.echo(
        f"test mail sent to {', '.join(d['sent_to'])} through {d['server']} "
        f"({d['security']})"))


COMMANDS = (notifications_group,)

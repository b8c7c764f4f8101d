"""The hub's WSGI application: the blueprints, bound to a `Hub` built once by the bootstrap."""

from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from cyberhub.hub.accounts import CredentialCache
from cyberhub.hub.bootstrap import Hub, bootstrap
from cyberhub.hub.console import blueprint as console
from cyberhub.hub.console import sessions
from cyberhub.hub.settings import Settings, load_settings
from cyberhub.hub.web import context, errors, exports, node_api
from cyberhub.hub.web.cursors import Cursors
from cyberhub.hub.web.taxii.blueprint import create_blueprint


def create_app(config: Settings | Mapping[str, Any] | None = None, *,
               hub: Hub | None = None) -> Flask:
    """Build the application for these settings (or for a hub already built). Each gunicorn
    worker builds its own after the fork, so no database connection is shared."""
    if hub is None:
        settings = config if isinstance(config, Settings) else load_settings(config)
        hub = bootstrap(settings)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = hub.settings.max_content_length
    context.bind(app, hub, cursors=Cursors(hub.settings.secret(),
                                           hub.settings.next_token_max_age),
                 credentials=CredentialCache())
    errors.register(app)
    errors.guard_request_body(app)
    app.register_blueprint(create_blueprint())
    app.register_blueprint(node_api.create_blueprint())
    app.register_blueprint(exports.create_blueprint())
    # The analysts' console: signed CSRF tokens need a key; sessions live in the database.
    app.secret_key = hub.settings.secret()
    app.session_interface = sessions.DatabaseSessions(
        hub.db, secure=hub.settings.base_url.startswith("https://"),
        idle=hub.settings.console_idle_minutes * 60,
        longest=hub.settings.console_session_hours * 3600)
    console.install(app)
    return app

"""cyberhub: a TAXII 2.1 hub for sharing signed incident reports between municipalities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # the node agent imports cyberhub.signing and must not pull in Flask
    from flask import Flask

    from .config import Settings

__all__ = ["create_app"]


def create_app(config: Settings | Mapping[str, Any] | None = None) -> Flask:
    """Build the hub's WSGI application. The one place where collaborators are wired."""
    from flask import Flask

    from . import node_api, web
    from .accounts import CredentialCache
    from .config import Settings, load_settings
    from .db import Database
    from .taxii import create_blueprint, errors
    from .taxii.cursor import Cursors

    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.extensions["cyberhub"] = web.Hub(
        settings=settings,
        db=Database(settings.effective_database_url),
        cursors=Cursors(settings.secret(), settings.next_token_max_age),
        credentials=CredentialCache(),
    )
    app.teardown_appcontext(web.close_session)
    errors.register(app)
    app.register_blueprint(create_blueprint())
    app.register_blueprint(node_api.create_blueprint())
    return app

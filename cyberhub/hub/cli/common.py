"""What every `cyberhub` command shares: loading the settings, opening the hub, and turning the
failures an operator can cause into one-line errors."""

from __future__ import annotations

import functools
import os
from typing import Any, Callable

import click
from sqlalchemy.exc import SQLAlchemyError

from cyberhub.core.clitools import CommandError
from cyberhub.core.config_files import ConfigError
from cyberhub.core.keyfiles import KeyFileError
from cyberhub.hub import accounts, collections, nodes
from cyberhub.hub.advisories.document import DocumentError
from cyberhub.hub.advisories.drafting import DraftingError
from cyberhub.hub.advisories.lifecycle import AdvisoryError
from cyberhub.hub.bootstrap import Hub, bootstrap
from cyberhub.hub.correlation.warninglists import WarninglistError
from cyberhub.hub.federation.peers import FederationError
from cyberhub.hub.feeds.definitions import FeedError
from cyberhub.hub.settings import Settings, load_settings
from cyberhub.hub.setup import NotInitialised, is_initialised
from cyberhub.hub.storage.database import Database


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def open_database(loaded: Settings | None = None) -> tuple[Settings, Database]:
    """The settings and the database of an initialised hub, for commands that need no more."""
    loaded = loaded or settings()
    db = Database(loaded.effective_database_url)
    if not is_initialised(db):
        db.dispose()
        raise NotInitialised(f"no hub is set up at {loaded.home} yet; run `cyberhub init` "
                             "first")
    return loaded, db


def open_hub(loaded: Settings | None = None) -> Hub:
    """The whole hub (key, identity, warning lists, correlation engine), built once."""
    return bootstrap(loaded or settings())


def handle_errors(func: Callable) -> Callable:
    """Turn the failures an operator can cause into one-line errors, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except (accounts.AccountError, collections.CollectionError, ConfigError,
                nodes.NodeError, AdvisoryError, DocumentError, DraftingError, NotInitialised,
                KeyFileError, FeedError, FederationError) as exc:
            raise CommandError(str(exc)) from None
        except WarninglistError as exc:
            raise CommandError(f"warning list {exc}") from None
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise CommandError(f"database error: {reason}") from None
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            raise CommandError(f"{exc.strerror or exc}{where}") from None

    return wrapper


def as_option(func: Any) -> Any:
    """`--as NAME`: the person a step is taken as (the audit log and four-eyes name them)."""
    return click.option("--as", "actor", required=True, metavar="NAME",
                        help="Your account; the password comes from CYBERHUB_PASSWORD or is "
                        "asked for.")(func)


def password_for(actor: str) -> str:
    password = os.environ.get("CYBERHUB_PASSWORD")
    if password is None:
        try:
            password = click.prompt(f"password for {actor}", hide_input=True, err=True)
        except click.Abort:
            raise CommandError(f"no password for {actor}: set CYBERHUB_PASSWORD or type it "
                               "when asked") from None
    return password

"""The console's blueprint: who may see which page, the security headers, and what every
template can use (the catalog in the reader's language, dates, numbers).

Every POST carries a CSRF token (Flask-WTF, checked here before any view runs); the session
lives in the database (`sessions`). Views are thin: each calls the service functions the CLI
uses and renders a template."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from cyberhub.core import messages, timestamps
from cyberhub.hub import second_factor
from cyberhub.hub.console import (
    access,
    accounts,
    advisories,
    audit_log,
    auth,
    campaigns,
    feeds,
    overview,
    reports,
    towns,
)
from cyberhub.hub.console.access import language, person
from cyberhub.hub.storage.models import Account
from cyberhub.hub.web import context

# Reachable without a session (the login itself, the language switch, style sheets).
PUBLIC = {"console.login", "console.language", "console.static"}
# Reachable after the password but before the second factor.
HALFWAY = {"console.second_factor", "console.logout"}

_CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}

csrf = CSRFProtect()
log = logging.getLogger("cyberhub.console")

# The console's pages, each a module with `register(blueprint)`.
PAGES = (auth, overview, reports, campaigns, advisories, feeds, towns, accounts, audit_log)
# The menu: catalog key under `nav.`, the page's endpoint, and whether only admins see it.
MENU = (("overview", "console.overview", False), ("reports", "console.reports", False),
        ("campaigns", "console.campaigns", False), ("advisories", "console.advisories", False),
        ("feeds", "console.feeds", False), ("towns", "console.towns", False),
        ("audit", "console.audit", False), ("accounts", "console.accounts", True))


def install(app: Flask) -> None:
    """Register the console on the app: CSRF checks only where the console asks for them (the
    TAXII and node APIs take no cookies, so they need none)."""
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the session's own limits apply
    csrf.init_app(app)
    app.register_blueprint(create_blueprint())


def _admit() -> Any:
    if request.method == "POST":
        csrf.protect()
    if request.endpoint in PUBLIC:
        return None
    account_id = getattr(session, "account_id", None)
    account = context.session().get(Account, account_id) if account_id else None
    if account is None or account.disabled or not access.may_enter(account):
        return redirect("/console/login")
    g.console_person = account
    if second_factor.required(account) and not session.get("factor") \
            and request.endpoint not in HALFWAY:
        return redirect("/console/second-factor")
    return None


def _headers(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("error.html", message=messages.text(
        "error.csrf", language())), 400


def _http_error(error: HTTPException) -> tuple[str, int]:
    """A console page answers in the reader's language, not with a TAXII error resource."""
    code = error.code or 500
    key = f"error.http_{code}" if f"error.http_{code}" in messages.catalog() else \
        "error.http_other"
    return render_template("error.html", message=messages.text(key, language())), code


def _unexpected(error: Exception) -> tuple[str, int]:
    # Logged with its traceback for the operator; the reader gets a plain page, no trace.
    log.exception("console: unexpected error on %s", request.path)
    return render_template("error.html", message=messages.text(
        "error.http_500", language())), 500


def _menu() -> list[tuple[str, str]]:
    """The menu entries this person may use, for the pages that exist."""
    account = person()
    admin = bool(account and account.role == "admin")
    return [(key, url_for(endpoint)) for key, endpoint, admins_only in MENU
            if endpoint in current_app.view_functions and (admin or not admins_only)]


def _template_globals() -> dict[str, Any]:
    lang = language()
    return {
        "lang": lang,
        "t": lambda key, **values: messages.text(key, lang, **values),
        "moment": lambda us: messages.moment(us, lang),
        "number": lambda value: messages.number(value, lang),
        "label": lambda prefix, value: messages.label(prefix, value, lang),
        "person": person(),
        "languages": messages.LANGUAGES,
        "to_us": timestamps.to_us,
        "menu": _menu() if request.endpoint not in PUBLIC else [],
    }


def create_blueprint() -> Blueprint:
    blueprint = Blueprint("console", __name__, url_prefix="/console",
                          template_folder="templates", static_folder="static")
    blueprint.before_request(_admit)
    blueprint.after_request(_headers)
    blueprint.context_processor(_template_globals)
    blueprint.register_error_handler(CSRFError, _csrf_refused)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(Exception, _unexpected)
    for page in PAGES:
        page.register(blueprint)
    return blueprint

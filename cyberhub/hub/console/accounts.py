"""Konten (admins only): the people's and machine clients' accounts, their roles, passwords,
second factors and API tokens, through the service functions `cyberhub accounts` uses
(`cyberhub.hub.accounts`, `cyberhub.hub.api_tokens`). Towns' accounts belong to the Kommunen
page and are not shown here.

A generated password or a new token is shown once, in the answer to the form that made it
(never in a redirect or the session); every act is audited by the service with the admin's
name."""

from __future__ import annotations

import functools
from typing import Any, Callable

from flask import (
    Blueprint,
    abort,
    flash,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)

from cyberhub.core import timestamps
from cyberhub.hub import accounts, api_tokens
from cyberhub.hub.console.access import person, t
from cyberhub.hub.web import context


def _admins_only(view: Callable) -> Callable:
    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if person().role != "admin":
            return render_template("error.html", message=t("accounts.forbidden")), 403
        return view(*args, **kwargs)

    return guarded


def _reason(exc: accounts.AccountError) -> dict[str, str]:
    return {exc.field: t(f"accounts.error.{exc.code}")}


def _written(act: Callable) -> Any:
    """Run one act in its own write transaction; what is read afterwards sees it (the
    request's read session began before, with the admission check, so it is renewed)."""
    with context.hub().db.writing() as writer:
        done = act(writer)
    context.close_session()
    return done


def _people() -> list[dict[str, Any]]:
    return [row for row in accounts.list_accounts(context.session()) if not row["town"]]


def _listing(errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
             created: dict[str, str] | None = None, status: int = 200):
    return render_template("accounts.html", rows=_people(), roles=accounts.ROLES,
                           errors=errors or {}, values=values or {}, created=created,
                           done=get_flashed_messages()), status


@_admins_only
def listing():
    return _listing()


@_admins_only
def add():
    username = request.form.get("username", "").strip()
    role = request.form.get("role", "")
    values = {"username": username, "role": role}
    if role not in accounts.ROLES:  # a console account is a person's: it has a role
        return _listing({"role": t("accounts.error.bad-role")}, values, status=400)
    password = accounts.generate_password()
    try:
        _written(lambda writer: accounts.create_account(
            writer, username, password, now=timestamps.now_us(), role=role,
            actor=person().username))
    except accounts.AccountError as exc:
        return _listing(_reason(exc), values, status=400)
    return _listing(created={"username": username, "password": password})


def _account(username: str) -> dict[str, Any]:
    """The account's row in the list; 404 for a name not there (or a town's account)."""
    found = next((row for row in _people() if row["username"] == username), None)
    if found is None:
        abort(404)
    return found


def _page(username: str, errors: dict[str, str] | None = None, *,
          secret: dict[str, str] | None = None, status: int = 200):
    account = _account(username)
    tokens = api_tokens.listing(context.session(), username)
    return render_template("account.html", account=account, tokens=tokens,
                           roles=accounts.ROLES, errors=errors or {}, secret=secret,
                           done=get_flashed_messages(), own=username == person().username,
                           values=request.form if status == 400 else {}), status


@_admins_only
def detail(username: str):
    return _page(username)


def _act(username: str, act: Callable, done: str, *, back: str = "console.account"):
    """Run one act in a write transaction; the page again with the reason if refused."""
    _account(username)
    try:
        _written(act)
    except accounts.AccountError as exc:
        return _page(username, _reason(exc), status=400)
    flash(t(f"accounts.done.{done}", name=username))
    return redirect(url_for(back, username=username) if back == "console.account"
                    else url_for(back))


def _now_as() -> dict[str, Any]:
    return {"actor": person().username, "now": timestamps.now_us()}


@_admins_only
def set_role(username: str):
    role = request.form.get("role", "")
    if role not in (*accounts.ROLES, "none"):  # none: a machine account, no console
        return _page(username, {"role": t("accounts.error.bad-role")}, status=400)
    return _act(username, lambda writer: accounts.set_role(
        writer, username, None if role == "none" else role, **_now_as()), "role")


@_admins_only
def disable(username: str):
    return _act(username, lambda writer: accounts.set_disabled(writer, username, True,
                                                               **_now_as()), "disabled")


@_admins_only
def enable(username: str):
    return _act(username, lambda writer: accounts.set_disabled(writer, username, False,
                                                               **_now_as()), "enabled")


@_admins_only
def delete(username: str):
    return _act(username, lambda writer: accounts.delete_account(writer, username,
                                                                 **_now_as()),
                "deleted", back="console.accounts")


@_admins_only
def reset_second_factor(username: str):
    return _act(username, lambda writer: accounts.reset_second_factor(writer, username,
                                                                      **_now_as()),
                "second_factor")


@_admins_only
def reset_password(username: str):
    _account(username)
    try:
        password = _written(lambda writer: accounts.reset_password(writer, username,
                                                                   **_now_as()))
    except accounts.AccountError as exc:
        return _page(username, _reason(exc), status=400)
    return _page(username, secret={"kind": "password", "value": password})


@_admins_only
def add_token(username: str):
    _account(username)
    try:
        made = _written(lambda writer: api_tokens.issue(
            writer, username, request.form.get("name", ""), **_now_as()))
    except accounts.AccountError as exc:
        return _page(username, _reason(exc), status=400)
    return _page(username, secret={"kind": "token", "value": made["token"],
                                   "name": made["name"]})


@_admins_only
def revoke_token(username: str, token_id: int):
    return _act(username, lambda writer: api_tokens.revoke(writer, username, token_id,
                                                           **_now_as()), "revoked")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/accounts", "accounts", listing)
    blueprint.add_url_rule("/accounts", "account_add", add, methods=["POST"])
    blueprint.add_url_rule("/accounts/<username>", "account", detail)
    for path, endpoint, view in (
            ("role", "account_role", set_role), ("disable", "account_disable", disable),
            ("enable", "account_enable", enable), ("delete", "account_delete", delete),
            ("password", "account_password", reset_password),
            ("second-factor", "account_second_factor", reset_second_factor),
            ("tokens", "account_token_add", add_token)):
        blueprint.add_url_rule(f"/accounts/<username>/{path}", endpoint, view,
                               methods=["POST"])
    blueprint.add_url_rule("/accounts/<username>/tokens/<int:token_id>/revoke",
                           "account_token_revoke", revoke_token, methods=["POST"])

"""Signing in and out: password, then (for coordinators and admins) the second factor.

Failed attempts count in the same database table as the TAXII API's (`cyberhub.hub.logins`),
so one limit holds across workers, hosts and both ways in; a wrong second-factor code counts
as a failed login of the account. Every login, failure, refusal and logout is audited."""

from __future__ import annotations

import time

from flask import Blueprint, redirect, render_template, request, session
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField

from cyberhub.core import messages, timestamps
from cyberhub.hub import accounts, audit, logins, second_factor
from cyberhub.hub.console.access import may_enter, person, t
from cyberhub.hub.storage.models import Account
from cyberhub.hub.web import context


class LoginForm(FlaskForm):
    username = StringField()
    password = PasswordField()


class CodeForm(FlaskForm):
    code = StringField()


class PlainForm(FlaskForm):
    """A form with nothing but its CSRF token (logout, language)."""


def _failed(username: str, *, action: str, keys: dict[str, str]) -> None:
    # A name no account can have (too long, control characters) is audited as "-": what a
    # client typed never reaches the log as it is.
    username = username if accounts.USERNAME.match(username) else "-"
    with context.hub().db.writing() as writer:
        if keys:
            logins.record_failure(writer, logins.countable(writer, keys),
                                  now=timestamps.now_us(), policy=logins.Policy(),
                                  client=request.remote_addr)
        audit.record(writer, actor=username, action=action, subject=username,
                     now=timestamps.now_us(),
                     address=request.remote_addr)


def login():
    form = LoginForm()
    status, error = 200, None
    if request.method == "POST":
        username = (form.username.data or "").strip()
        password = form.password.data or ""
        keys = logins.keys(username, request.remote_addr)
        wait = logins.standing(context.session(), keys).retry_after(timestamps.now_us())
        if not username or not password:
            status, error = 400, t("login.missing")
        elif wait:
            status, error = 429, t("login.locked", minutes=max(1, round(wait / 60)))
        else:
            try:
                account = accounts.check_password(context.session(), username, password)
            except accounts.AccountError:
                account = None
            if account is None:
                _failed(username, action="console.login-failed", keys=keys)
                status, error = 401, t("login.wrong")
            elif not may_enter(account):
                with context.hub().db.writing() as writer:
                    audit.record(writer, actor=username, action="console.login-refused",
                                 subject=username, now=timestamps.now_us(),
                                 address=request.remote_addr)
                status, error = 403, t("login.no_console")
            else:
                return _signed_in(account, keys)
    return render_template("login.html", form=form, error=error), status


def _signed_in(account: Account, keys: dict[str, str]):
    lang = session.get("lang")
    session.rotate(account.id)
    if lang:
        session["lang"] = lang
    session["factor"] = not second_factor.required(account)
    with context.hub().db.writing() as writer:
        if keys.get(logins.ACCOUNT):
            logins.forget_account(writer, account.username)
        audit.record(writer, actor=account.username, action="console.login",
                     subject=account.username, now=timestamps.now_us(),
                     address=request.remote_addr,
                     second_factor="pending" if not session["factor"] else "not required")
    return redirect("/console/" if session["factor"] else "/console/second-factor")


def second_factor_step():
    account = person()
    if session.get("factor"):
        return redirect("/console/")
    secret_key = context.hub().settings.secret()
    seed = second_factor.seed_of(account, secret_key)
    enrolling = seed is None
    if enrolling:
        seed = session.get("pending_seed") or second_factor.new_seed()
        session["pending_seed"] = seed
    form = CodeForm()
    status, error = 200, None
    if request.method == "POST":
        keys = logins.keys(account.username, request.remote_addr)
        wait = logins.standing(context.session(), keys).retry_after(timestamps.now_us())
        accepted = False
        if not wait:
            with context.hub().db.writing() as writer:
                # Locked for the check: two sessions cannot both use one code.
                stored = writer.get(Account, account.id, with_for_update=True)
                accepted = second_factor.accept(writer, stored, seed, form.code.data,
                                                now_s=time.time())
                if accepted and enrolling:
                    second_factor.enrol(writer, stored, seed, secret_key=secret_key,
                                        actor=account.username, now=timestamps.now_us())
                if accepted:
                    audit.record(writer, actor=account.username,
                                 action="console.second-factor", subject=account.username,
                                 now=timestamps.now_us(), address=request.remote_addr)
        if wait:
            status, error = 429, t("login.locked", minutes=max(1, round(wait / 60)))
        elif not accepted:
            _failed(account.username, action="console.second-factor-failed", keys=keys)
            status, error = 401, t("factor.wrong")
        else:
            session.pop("pending_seed", None)
            session["factor"] = True
            return redirect("/console/")
    qr = second_factor.provisioning_svg(seed, account.username) if enrolling else None
    return render_template("second_factor.html", form=form, error=error, enrolling=enrolling,
                           qr=qr, seed=seed if enrolling else None), status


def logout():
    account = person()
    with context.hub().db.writing() as writer:
        audit.record(writer, actor=account.username, action="console.logout",
                     subject=account.username, now=timestamps.now_us())
    session.end()
    return redirect("/console/login")


def language():
    asked = request.form.get("lang")
    if asked in messages.LANGUAGES:
        session["lang"] = asked
    back = request.form.get("next", "/console/")
    # Only a path of the console: never a redirect elsewhere.
    if not back.startswith("/console/") or "//" in back or "\\" in back:
        back = "/console/"
    return redirect(back)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    blueprint.add_url_rule("/second-factor", "second_factor", second_factor_step,
                           methods=["GET", "POST"])
    blueprint.add_url_rule("/logout", "logout", logout, methods=["POST"])
    blueprint.add_url_rule("/language", "language", language, methods=["POST"])

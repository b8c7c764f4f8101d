"""Kommunen: the member towns with their last report and their agent's last request, one
town's keys and enrolment, and the acts on them (add a town, new enrolment token, revoke a
key, disable a town, name sharing), each through `cyberhub.hub.nodes` as `cyberhub nodes`
does, audited there with the person's name. Every console role may do them: DESIGN.md gives
analysts the management of member towns and keys.

An enrolment token is shown once, on the printable sheet that answers the POST that made it;
it is never kept in the session (that lives in the database) and no GET shows it again."""

from __future__ import annotations

from typing import Any, Callable

from flask import Blueprint, abort, redirect, render_template, request, url_for

from cyberhub.core import timestamps
from cyberhub.hub import nodes, roster
from cyberhub.hub.console.access import person, t
from cyberhub.hub.console.auth import PlainForm
from cyberhub.hub.web import context

# NodeError codes of the add form: the field they mark and the text that says why.
_ADD_ERRORS: dict[str, tuple[str, Callable[[], str]]] = {
    "bad-slug": ("slug", lambda: t("towns.bad_slug")),
    "node-exists": ("slug", lambda: t("towns.slug_taken")),
    "bad-name": ("name", lambda: t("towns.bad_name")),
    "bad-land": ("land", lambda: t("towns.bad_land")),
}


def _form_values() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in ("slug", "name", "land")}


def listing(errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
            share: bool = False, status: int = 200):
    return render_template("towns.html", towns=roster.towns(context.session()),
                           lands=nodes.LANDS, errors=errors or {}, values=values or {},
                           share=share, form=PlainForm()), status


def _sheet(town: dict[str, Any], token: str, expires: int, *, fresh: bool):
    """The token, once: the answer to the POST that made it, printable for the town."""
    return render_template("enrolment_sheet.html", town=town, token=token, expires=expires,
                           hub_url=context.hub().settings.base_url, fresh=fresh)


def add():
    values = _form_values()
    share = request.form.get("share_name")
    errors = {field: _ADD_ERRORS[code][1]() for field, code in nodes.identity_problems(
        values["slug"].strip(), values["name"], values["land"]).items()}
    if share not in (None, "yes"):
        errors["share_name"] = t("towns.invalid")
    if not errors:
        try:
            with context.hub().db.writing() as writer:
                added = nodes.add_node(
                    writer, values["slug"].strip(), values["name"], values["land"],
                    now=timestamps.now_us(),
                    token_ttl_hours=context.hub().settings.enrollment_token_hours,
                    share_name=share == "yes", actor=person().username)
        except nodes.NodeError as exc:
            field, message = _ADD_ERRORS[exc.code]
            errors[field] = message()
    if errors:
        return listing(errors, values, share == "yes", 400)
    return _sheet(added, added["enrollment_token"], added["enrollment_expires_us"], fresh=True)


def detail(slug: str, errors: dict[str, str] | None = None, status: int = 200):
    town = roster.town(context.session(), slug)
    if town is None:
        abort(404)
    return render_template("town.html", town=town, errors=errors or {},
                           now=timestamps.now_us(), form=PlainForm()), status


def _act(slug: str, act: Callable[[Any], Any], field: str, *, confirm: bool = False,
         then: Callable[[Any], Any] | None = None) -> Any:
    """Carry out one act on the town, then show `then(result)` or the town's page again; a
    refusal comes back on the town's page at `field`, and changes nothing."""
    if confirm and request.form.get("confirm") != "yes":
        return detail(slug, {field: t("towns.confirm_missing")}, 400)
    try:
        with context.hub().db.writing() as writer:
            result = act(writer)
    except nodes.NodeError as exc:
        if exc.code == "node-unknown":
            abort(404)
        if exc.code == "key-unknown":
            return detail(slug, {"keys": t("towns.key_unknown")}, 400)
        return detail(slug, {field: t("towns.disabled")}, 400)
    return then(result) if then else redirect(url_for("console.town", slug=slug))


def new_token(slug: str):
    def sheet(issued: dict[str, Any]):
        return _sheet(roster.town(context.session(), slug), issued["enrollment_token"],
                      issued["enrollment_expires_us"], fresh=False)

    return _act(slug, lambda writer: nodes.new_enrollment_token(
        writer, slug, now=timestamps.now_us(),
        token_ttl_hours=context.hub().settings.enrollment_token_hours,
        actor=person().username), "token", then=sheet)


def revoke_key(slug: str):
    town = roster.town(context.session(), slug)
    if town is None:
        abort(404)
    kid = request.form.get("kid", "")
    # The confirmation is asked for on the key's own row; a key the town lacks has no row.
    field = f"revoke-{kid}" if kid in {key["kid"] for key in town["signing_keys"]} else "keys"
    return _act(slug, lambda writer: nodes.revoke_key(
        writer, slug, kid, now=timestamps.now_us(), actor=person().username), field,
        confirm=field != "keys")


def disable(slug: str):
    return _act(slug, lambda writer: nodes.disable(
        writer, slug, now=timestamps.now_us(), actor=person().username), "disable",
        confirm=True)


def sharing(slug: str):
    choice = request.form.get("share_name")
    if choice not in ("yes", "no"):
        return detail(slug, {"share_name": t("towns.invalid")}, 400)
    return _act(slug, lambda writer: nodes.set_options(
        writer, slug, share_name=choice == "yes", now=timestamps.now_us(),
        actor=person().username), "share_name")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/towns", "towns", listing)
    blueprint.add_url_rule("/towns", "town_add", add, methods=["POST"])
    blueprint.add_url_rule("/towns/<slug>", "town", detail)
    blueprint.add_url_rule("/towns/<slug>/token", "town_token", new_token, methods=["POST"])
    blueprint.add_url_rule("/towns/<slug>/keys/revoke", "town_revoke_key", revoke_key,
                           methods=["POST"])
    blueprint.add_url_rule("/towns/<slug>/disable", "town_disable", disable,
                           methods=["POST"])
    blueprint.add_url_rule("/towns/<slug>/sharing", "town_sharing", sharing,
                           methods=["POST"])

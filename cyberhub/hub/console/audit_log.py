"""Protokoll: the audit log for every person with a role, newest first, filtered by actor,
action (a prefix), subject text and days, paged by entry id (`cyberhub.hub.audit`, which
`cyberhub audit` uses with the same filters)."""

from __future__ import annotations

import re

from flask import Blueprint, render_template, request, url_for

from cyberhub.hub import audit
from cyberhub.hub.console.access import t
from cyberhub.hub.web import context

_AFTER = re.compile(r"^\d{1,18}\Z")  # fits a BIGINT


def listing():
    filters, codes = audit.parse(request.args)
    errors = {field: t(f"audit.error.{code}") for field, code in codes.items()}
    after = request.args.get("after", "")
    if after and not _AFTER.match(after):
        errors["after"] = t("audit.error.bad-position")
    rows, following = ([], None) if errors else audit.page(
        context.session(), filters, after=int(after) if after else None)
    next_url = None
    if following is not None:
        query = {k: v for k, v in request.args.items() if k != "after" and v}
        next_url = url_for("console.audit", **query, after=following)
    return render_template("audit.html", rows=rows, errors=errors, args=request.args,
                           next_url=next_url, readable=audit.readable), \
        (400 if errors else 200)


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/audit", "audit", listing)

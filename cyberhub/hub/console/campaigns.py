"""Kampagnen: what the correlation engine found across towns, and the analyst's verdict.

The list and the explanation come from `cyberhub.hub.correlation.report` (as for
`cyberhub campaigns list|show`), the verdict from `correlation.verdicts` (as for
`cyberhub campaigns confirm|dismiss`)."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from cyberhub.core import messages, timestamps
from cyberhub.hub.console import drawing
from cyberhub.hub.console.access import language, person, t
from cyberhub.hub.console.auth import PlainForm
from cyberhub.hub.correlation import report, verdicts
from cyberhub.hub.web import context

_AFTER = re.compile(r"^(\d{1,18})\.(campaign--[0-9a-f-]{36})$")
_LISTED = re.compile(r"^on the warning list '(.*)'$")
_TOO_COMMON = re.compile(r"^in (\d+) incidents, more than (\d+)")


def listing():
    view = request.args.get("view") or "open"
    errors: dict[str, str] = {}
    if view not in report.VIEWS:
        errors["view"], view = t("campaigns.bad_view"), "open"
    after = None
    if request.args.get("after"):
        match = _AFTER.match(request.args["after"])
        if match is None:
            errors["after"] = t("campaigns.bad_position")
        else:
            after = (int(match.group(1)), match.group(2))
    session = context.session()
    rows, following = ([], None) if errors else report.page(session, view, after=after)
    next_url = (url_for("console.campaigns", view=view, after=f"{following[0]}.{following[1]}")
                if following else None)
    for row in rows:
        row["last_seen_us"] = timestamps.to_us(row["last_seen"])
    return render_template("campaigns.html", rows=rows, view=view, views=report.VIEWS,
                           errors=errors, next_url=next_url,
                           total=report.count(session, view)), (400 if errors else 200)


def _ignored_reason(note: str) -> str:
    """The engine's reason, in the reader's language."""
    listed = _LISTED.match(note)
    if listed:
        return t("campaign.ignored_listed", list=listed.group(1))
    common = _TOO_COMMON.match(note)
    if common:
        return t("campaign.ignored_common", count=common.group(1), limit=common.group(2))
    return note


def _value(item: dict[str, Any]) -> str:
    return item["key"].split(":", 1)[1]


def _pictures(data: dict[str, Any], edges: list[tuple[str, str]]) -> dict[str, Any]:
    explained = data["explanation"]
    towns = explained["towns"]
    by_pseudonym = {town["pseudonym"]: town for town in towns}
    graph = drawing.graph(
        [(town["node"], town["name"] or town["pseudonym"]) for town in towns],
        [(item["key"], f"{messages.label('evidence', item['kind'], language())}: {_value(item)}")
         for item in explained["evidence"]], edges)
    events = []
    for event in explained["timeline"]:
        town = by_pseudonym.get(event["town"])
        if town:
            at = timestamps.to_us(event["seen"])
            events.append((town["node"], at, town["name"] or town["pseudonym"]))
    timeline = drawing.timeline([(town["node"], town["name"] or town["pseudonym"])
                                 for town in towns], events)
    return {"graph": graph, "timeline": timeline}


def detail(campaign_id: str, errors: dict[str, str] | None = None, status: int = 200):
    session = context.session()
    data = report.detail(session, campaign_id)
    if data is None:
        abort(404)
    edges = report.shared(session, data)
    held = {}
    for slug, key in edges:
        held.setdefault(key, []).append(slug)
    names = {town["node"]: town["name"] or town["pseudonym"]
             for town in data["explanation"]["towns"]}
    return render_template(
        "campaign.html", c=data, explained=data["explanation"], value=_value,
        reason=_ignored_reason, held={k: [names.get(s, s) for s in v] for k, v in held.items()},
        to_us=timestamps.to_us, errors=errors or {}, form=PlainForm(),
        town_of={town["pseudonym"]: town["name"] or town["pseudonym"]
                 for town in data["explanation"]["towns"]},
        **_pictures(data, edges)), status


def judge(campaign_id: str):
    verdict = request.form.get("verdict", "")
    try:
        with context.hub().db.writing() as writer:
            verdicts.judge(writer, person(), campaign_id, verdict, request.form.get("note", ""),
                           now=timestamps.now_us())
    except verdicts.VerdictError as exc:
        if exc.field == "campaign" and report.detail(context.session(), campaign_id) is None:
            abort(404)
        field = exc.field if exc.field in ("verdict", "note") else "verdict"
        return detail(campaign_id, {field: t(f"campaign.error.{exc.field}")}, 400)
    return redirect(url_for("console.campaign", campaign_id=campaign_id))


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/campaigns", "campaigns", listing)
    blueprint.add_url_rule("/campaigns/<campaign_id>", "campaign", detail)
    blueprint.add_url_rule("/campaigns/<campaign_id>/verdict", "campaign_verdict", judge,
                           methods=["POST"])

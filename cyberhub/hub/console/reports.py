"""Meldungen: the inbox of town reports (filters, keyset pages) and one report in plain
German, with its versions, campaigns, triage and internal notes (`cyberhub.hub.inbox`), and
the answers to the town (`cyberhub.hub.answers`)."""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from cyberhub.core import messages, timestamps
from cyberhub.core.stix import INCIDENT_CORE
from cyberhub.hub import answers, collections, inbox, nodes
from cyberhub.hub.console.access import person, t
from cyberhub.hub.console.auth import PlainForm
from cyberhub.hub.correlation import context as correlation_context
from cyberhub.hub.services import provenance
from cyberhub.hub.storage.models import CampaignRecord
from cyberhub.hub.web import context

_AFTER = re.compile(r"^(\d{1,18})\.(\d{1,18})$")  # both fit a BIGINT
# An incident type as the incident-core vocabulary spells them; the vocabulary is open, so a
# town may send one the catalog does not know yet, and it can be filtered on all the same.
_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _incident_types(asked: str | None) -> list[str]:
    """The incident types the filter offers: the catalog's vocabulary (not read from the
    reports: that is a scan of all of them on every page), and the one asked for."""
    known = {key.split(".", 1)[1] for key in messages.catalog()
             if key.startswith("incident_type.")}
    if asked and _TYPE.match(asked):
        known.add(asked)
    return sorted(known)


def _filters(args, choices: dict[str, Any]) -> tuple[inbox.Filters, dict[str, str]]:
    """The filters from the query string; a value that is not one the form offers is an
    error on its field (the form comes back marked), never a silent 'no filter'."""
    errors: dict[str, str] = {}

    def pick(name: str, allowed) -> str | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if value not in allowed:
            errors[name] = t("reports.invalid")
            return None
        return value

    def day(name: str) -> int | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        try:
            if not _DATE.match(value):
                raise inbox.InboxError(name, "not a date")
            return inbox.stamp(value)
        except inbox.InboxError:
            errors[name] = t("reports.bad_date")
            return None

    text = (args.get("q") or "").strip()
    if len(text) > 200 or "\x00" in text:
        errors["q"] = t("reports.bad_text")
        text = ""
    until = day("until")
    filters = inbox.Filters(
        town=pick("town", {slug for slug, _ in choices["towns"]}),
        land=pick("land", set(nodes.LANDS)), stage=pick("stage", set(inbox.STAGES)),
        tlp=pick("tlp", {"clear", "green", "amber", "amber+strict", "red"}),
        incident_type=pick("type", set(choices["types"])),
        since=day("since"), until=until + 86_400_000_000 if until is not None else None,
        triage=pick("triage", set(inbox.TRIAGE)), text=text or None)
    return filters, errors


def listing():
    choices = {"towns": inbox.towns(context.session()),
               "types": _incident_types((request.args.get("type") or "").strip())}
    filters, errors = _filters(request.args, choices)
    after = None
    position = request.args.get("after", "")
    if position:
        match = _AFTER.match(position)
        if match is None:
            errors["after"] = t("reports.bad_position")
        else:
            after = (int(match.group(1)), int(match.group(2)))
    rows, following = ([], None) if errors else inbox.page(context.session(), filters,
                                                             after=after)
    next_url = None
    if following is not None:
        query = {k: v for k, v in request.args.items() if k != "after" and v}
        next_url = url_for("console.reports", **query, after=f"{following[0]}.{following[1]}")
    return render_template("reports.html", rows=rows, errors=errors, args=request.args,
                           choices=choices, next_url=next_url,
                           lands=nodes.LANDS, stages=inbox.STAGES, triage=inbox.TRIAGE,
                           total=inbox.count(context.session()), form=PlainForm()), \
        (400 if errors else 200)


def _reports_collection() -> str:
    found = collections.find(context.session(), "reports")
    return found.id if found else ""


def _campaigns(incident_id: str) -> list[str]:
    quoted = json.dumps(incident_id)
    return list(context.session().scalars(select(CampaignRecord.id).where(
        CampaignRecord.incidents.contains(quoted, autoescape=True))))


def _described(incident: dict[str, Any]) -> dict[str, Any]:
    core = (incident.get("extensions") or {}).get(INCIDENT_CORE) or {}
    return {"name": incident.get("name"), "description": incident.get("description"),
            "determination": core.get("determination"),
            "status": core.get("investigation_status"), "criticality": core.get("criticality"),
            "types": core.get("incident_types") or [],
            "methods": core.get("detection_methods") or []}


def detail(incident_id: str, errors: dict[str, str] | None = None, status: int = 200,
           answer_text: str = ""):
    if "\x00" in incident_id:  # no report has one, and PostgreSQL refuses it in a query
        abort(404)
    session = context.session()
    report = inbox.get(session, incident_id)
    if report is None:
        abort(404)
    collection = _reports_collection()
    versions = inbox.versions(session, collection, incident_id)
    verify = request.args.get("verify") == "1"
    for version in versions:  # who signed each version, and (asked for) does it hold now
        carrier = provenance.signature_for(session, collection, incident_id, version["added"])
        version["signature"] = provenance.describe(carrier) if carrier else None
        version["check"] = provenance.verify(session, collection, carrier) \
            if carrier and verify else None
    latest = versions[-1]["object"] if versions else {}
    return render_template(
        "report.html", report=report, versions=versions, described=_described(latest),
        raw=json.dumps(latest, indent=2, ensure_ascii=False), campaigns=_campaigns(incident_id),
        feed_hits=correlation_context.for_incidents(session, [incident_id]),
        people=inbox.people(session), triage=inbox.TRIAGE, errors=errors or {},
        answers=answers.listing(session, incident_id), answer_text=answer_text,
        max_answer=answers.MAX_TEXT, form=PlainForm()), status


def _act(incident_id: str, act) -> Any:
    try:
        with context.hub().db.writing() as writer:
            act(writer)
    except inbox.InboxError as exc:
        if exc.field == "incident":
            abort(404)
        return detail(incident_id, {exc.field: t(f"reports.error.{exc.field}")}, 400)
    return redirect(url_for("console.report", incident_id=incident_id))


def set_triage(incident_id: str):
    return _act(incident_id, lambda writer: inbox.triage(
        writer, person(), incident_id, state=request.form.get("state", ""),
        assignee=request.form.get("assignee") or None, now=timestamps.now_us()))


def add_note(incident_id: str):
    return _act(incident_id, lambda writer: inbox.add_note(
        writer, person(), incident_id, request.form.get("note", ""),
        now=timestamps.now_us()))


def send_answer(incident_id: str):
    """Answer the town; a refused text comes back in the form with the reason."""
    text = request.form.get("answer", "")
    try:
        with context.hub().db.writing() as writer:
            answers.send(writer, person(), incident_id, text, signer=context.hub().signer,
                         now=timestamps.now_us())
    except answers.AnswerError as exc:
        if exc.field == "incident":
            abort(404)
        return detail(incident_id, {"answer": t(f"report_answers.error.{exc.reason}")}, 400,
                      answer_text=text.replace("\x00", ""))
    return redirect(url_for("console.report", incident_id=incident_id) + "#answers-heading")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/reports", "reports", listing)
    blueprint.add_url_rule("/reports/<incident_id>", "report", detail)
    blueprint.add_url_rule("/reports/<incident_id>/triage", "report_triage", set_triage,
                           methods=["POST"])
    blueprint.add_url_rule("/reports/<incident_id>/notes", "report_note", add_note,
                           methods=["POST"])
    blueprint.add_url_rule("/reports/<incident_id>/answers", "report_answer", send_answer,
                           methods=["POST"])

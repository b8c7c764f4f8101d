"""Warnungen: advisories from the first draft to the towns' acknowledgements.

Every step is a call into `cyberhub.hub.advisories` (`lifecycle`, `drafting`, `preview`), the
same functions `cyberhub advisories ...` calls: the four-eyes rule, the roles and the audience
live there. This module turns form fields into a document and the services' refusals into
marked fields in the reader's language."""

from __future__ import annotations

import difflib
import re
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlalchemy import select

from cyberhub.core import timestamps
from cyberhub.hub import playbooks
from cyberhub.hub.advisories import document as documents
from cyberhub.hub.advisories import drafting, lifecycle, preview
from cyberhub.hub.console.access import person, t
from cyberhub.hub.console.auth import PlainForm
from cyberhub.hub.correlation import values
from cyberhub.hub.storage.models import Node
from cyberhub.hub.web import context

FIELDS = ("title_de", "title_en", "summary_de", "summary_en", "severity", "tlp", "campaign",
          "playbook", "towns", "indicators", "references")
# Where a service's refusal belongs on the page.
_CODE_FIELD = {"unknown-town": "towns", "unknown-campaign": "campaign",
               "unknown-playbook": "playbook", "reason": "reason"}
_SLUGS = re.compile(r"[\s,;]+")
_REVISION = re.compile(r"^\d{1,6}$")
MAX_LINES = 1000


class FormProblems(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("form problems")
        self.errors = errors


# --- from form fields to a document, and back -----------------------------------------------

def _indicators(text: str) -> tuple[list[dict[str, str]], list[int], list[str]]:
    """The indicator lines: "value" or "kind value"; returns the items, the line each came
    from, and the problems of lines whose kind cannot be told."""
    items, lines, problems = [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        first, _, rest = line.partition(" ")
        if first.lower() in documents.KINDS and rest.strip():
            kind, value = first.lower(), rest.strip()
        else:
            kind, value = values.guess_kind(line), line
        if kind is None:
            problems.append(t("advisory.error.indicator_kind", line=number, value=line[:80]))
            continue
        items.append({"kind": kind, "value": value})
        lines.append(number)
    return items, lines, problems


def _references(text: str) -> list[dict[str, str]]:
    """The source lines: "source | identifier | address", the last two each optional."""
    found = []
    for line in text.splitlines():
        parts = [part.strip() for part in line.split("|")]
        if not line.strip():
            continue
        if len(parts) == 2 and parts[1].startswith(("http://", "https://")):
            parts = [parts[0], "", parts[1]]
        # A fourth part stays in the source, whose check refuses the '|'.
        source, external_id, url = (parts + ["", ""])[:3] if len(parts) <= 3 else \
            (line, "", "")
        found.append({"source": source, "external_id": external_id, "url": url})
    return found


def _message(field: str, kind: str, limits: dict[str, Any]) -> str:
    if kind in ("missing", "string_too_short"):
        return t("advisory.error.required")
    if kind == "string_too_long":
        return t("advisory.error.too_long", limit=limits.get("max_length", ""))
    if kind == "too_long":
        return t("advisory.error.too_many", limit=limits.get("max_length", ""))
    if kind == "literal_error":
        return t("advisory.error.choice")
    return t(f"advisory.error.{field.split('_')[0]}")


def document_from(form: Any) -> documents.Document:
    """The document the form describes; FormProblems with one German message per field."""
    if sum(len(form.get(name, "")) for name in FIELDS) > 200_000 or \
            any("\x00" in form.get(name, "") for name in FIELDS):
        raise FormProblems({"summary_de": t("advisory.error.too_long", limit="200.000")})
    indicators, lines, problems = _indicators(form.get("indicators", ""))
    if len(lines) > MAX_LINES:
        raise FormProblems({"indicators": t("advisory.error.too_many", limit=MAX_LINES)})
    data = {
        "title": {"de": form.get("title_de", ""), "en": form.get("title_en", "")},
        "summary": {"de": form.get("summary_de", ""), "en": form.get("summary_en", "")},
        "severity": form.get("severity", ""), "tlp": form.get("tlp", ""),
        "campaign": form.get("campaign", "").strip() or None,
        "playbook": form.get("playbook", "").strip() or None,
        "towns": [slug for slug in _SLUGS.split(form.get("towns", "")) if slug],
        "indicators": indicators,
        "references": _references(form.get("references", "")),
    }
    errors: dict[str, str] = {}
    if problems:
        errors["indicators"] = problems[0]
    try:
        parsed = documents.parse(data)
    except documents.DocumentError as exc:
        for path, kind, limits in exc.problems:
            parts = path.split(".")
            if parts[0] in ("title", "summary") and len(parts) > 1:
                field = f"{parts[0]}_{parts[1]}"
            else:
                field = parts[0]
            if field == "indicators" and len(parts) > 1 and parts[1].isdigit():
                index = int(parts[1])
                item = indicators[index] if index < len(indicators) else {}
                message = t("advisory.error.indicator", line=lines[index] if index < len(
                    lines) else "?", value=str(item.get("value", ""))[:80])
            else:
                message = _message(field, kind, limits)
            errors.setdefault(field, message)
        raise FormProblems(errors) from None
    if errors:
        raise FormProblems(errors)
    return parsed


def form_values(document: dict[str, Any]) -> dict[str, str]:
    """A document as the form's fields, to revise it."""
    return {
        "title_de": document["title"]["de"], "title_en": document["title"]["en"],
        "summary_de": document["summary"]["de"], "summary_en": document["summary"]["en"],
        "severity": document["severity"], "tlp": document["tlp"],
        "campaign": document.get("campaign") or "", "playbook": document.get("playbook") or "",
        "towns": " ".join(document.get("towns") or []),
        "indicators": "\n".join(f"{i['kind']} {i['value']}"
                                for i in document.get("indicators") or []),
        "references": "\n".join(" | ".join(part for part in (r["source"], r["external_id"],
                                                            r["url"]) if part)
                                for r in document.get("references") or []),
    }


def _readable(document: dict[str, Any]) -> list[str]:
    """A document as lines a person compares, in the reader's language."""
    lines = [f"{t('advisory.title_de')}: {document['title']['de']}",
             f"{t('advisory.title_en')}: {document['title']['en']}",
             f"{t('advisory.severity')}: {t('severity.' + document['severity'])}",
             f"TLP: {document['tlp'].upper()}",
             f"{t('advisory.campaign')}: {document.get('campaign') or '–'}",
             f"{t('advisory.playbook')}: {document.get('playbook') or '–'}",
             f"{t('advisory.towns')}: {', '.join(document.get('towns') or []) or '–'}",
             f"{t('advisory.summary_de')}:"]
    lines += [f"  {line}" for line in document["summary"]["de"].splitlines()]
    lines.append(f"{t('advisory.summary_en')}:")
    lines += [f"  {line}" for line in document["summary"]["en"].splitlines()]
    lines.append(f"{t('advisory.indicators')}:")
    lines += [f"  {i['kind']} {i['value']}" for i in document.get("indicators") or []]
    lines.append(f"{t('advisory.references')}:")
    lines += [f"  {r['source']} {r['external_id']} {r['url']}".rstrip()
              for r in document.get("references") or []]
    return lines


def _difference(older: dict[str, Any], newer: dict[str, Any]) -> list[tuple[str, str]]:
    """(sign, line) for the lines that changed, with a line of context around each."""
    found = []
    for line in difflib.unified_diff(_readable(older), _readable(newer), lineterm="", n=1):
        if line.startswith(("---", "+++")):
            continue
        sign = line[:1] if line[:1] in "+-@" else " "
        found.append((sign, line[1:] if sign != "@" else "…"))
    return found


# --- pages ----------------------------------------------------------------------------------

def _choices() -> dict[str, Any]:
    session = context.session()
    return {"severities": documents.SEVERITIES, "levels": documents.TLP_LEVELS,
            "playbooks": [(p["id"], p.get("name", p["id"])) for p in playbooks.load()],
            "towns": session.execute(select(Node.slug, Node.name).where(
                Node.disabled.is_(False)).order_by(Node.name)).all()}


def listing():
    rows = lifecycle.list_advisories(context.session())
    for row in rows:
        row["updated_us"] = timestamps.to_us(row["updated"])
    return render_template("advisories.html", rows=rows)


def _form_page(values: dict[str, str], errors: dict[str, str], *, advisory: Any = None,
               status: int = 200):
    return render_template("advisory_form.html", values=values, errors=errors,
                           advisory=advisory, form=PlainForm(), **_choices()), status


def new():
    if request.method == "GET":
        return _form_page({"severity": "medium", "tlp": "amber"}, {})
    campaign = request.form.get("campaign", "").strip()
    from_campaign = campaign and not request.form.get("title_de")
    try:
        with context.hub().db.writing() as writer:
            document = (drafting.from_campaign(writer, campaign) if from_campaign
                        else document_from(request.form))
            made = lifecycle.draft(writer, person(), document, now=timestamps.now_us())
    except FormProblems as exc:
        return _form_page(request.form, exc.errors, status=400)
    except drafting.DraftingError as exc:
        return render_template("error.html", message=t(f"advisory.from_campaign.{exc.code}")), \
            404 if exc.code == "not-found" else 400
    except documents.DocumentError:  # a proposal the checks refuse: the analyst writes it
        return _form_page(request.form, {"campaign": t("advisory.error.campaign")}, status=400)
    except lifecycle.AdvisoryError as exc:
        return _refused_form(exc, request.form)
    return redirect(url_for("console.advisory", advisory_id=made["id"]))


def _refused_form(exc: lifecycle.AdvisoryError, values: Any, advisory: Any = None):
    field = _CODE_FIELD.get(exc.code)
    if field:
        return _form_page(values, {field: t(f"advisory.error.{exc.code}")}, advisory=advisory,
                          status=400)
    return render_template("error.html", message=t(f"advisory.refused.{exc.code}")), \
        (403 if exc.code == "forbidden" else 400)


def _revision_choice(name: str, revisions: list[dict[str, Any]], default: int | None
                     ) -> int | None:
    value = request.args.get(name, "")
    if _REVISION.match(value) and any(r["revision"] == int(value) for r in revisions):
        return int(value)
    return default


def detail(advisory_id: str, problem: str | None = None, status: int = 200,
           reason_error: str | None = None):
    session = context.session()
    try:
        shown = lifecycle.show(session, advisory_id)
        delivery = lifecycle.status(session, advisory_id)
        revisions = lifecycle.revisions(session, advisory_id)
    except lifecycle.AdvisoryError:
        abort(404)
    numbers = [r["revision"] for r in revisions]
    newer = _revision_choice("to", revisions, numbers[-1] if numbers else None)
    older = _revision_choice("from", revisions, numbers[-2] if len(numbers) > 1 else None)
    by_number = {r["revision"]: r for r in revisions}
    difference = (_difference(by_number[older]["document"], by_number[newer]["document"])
                  if older and newer and older != newer else [])
    town = request.args.get("town", "")
    seen, town_error = None, None
    if town:
        try:
            seen = preview.for_town(session, shown["id"], town)
        except preview.PreviewError:
            town_error = t("advisory.error.preview_town")
    return render_template(
        "advisory.html", a=shown, doc=shown["document"], delivery=delivery,
        revisions=revisions, older=older, newer=newer, difference=difference,
        preview=seen, town=town, town_error=town_error, towns=_choices()["towns"],
        problem=problem, reason_error=reason_error, me=person(), to_us=timestamps.to_us,
        form=PlainForm()), status if not town_error else 400


def delivery_rows(advisory_id: str):
    """The delivery table's body alone, which the page's script fetches again."""
    try:
        delivery = lifecycle.status(context.session(), advisory_id)
    except lifecycle.AdvisoryError:
        abort(404)
    return render_template("advisory_delivery.html", delivery=delivery)


def edit(advisory_id: str):
    session = context.session()
    try:
        shown = lifecycle.show(session, advisory_id)
    except lifecycle.AdvisoryError:
        abort(404)
    if request.method == "GET":
        return _form_page(form_values(shown["document"]), {}, advisory=shown)
    try:
        document = document_from(request.form)
        with context.hub().db.writing() as writer:
            lifecycle.revise(writer, person(), shown["id"], document, now=timestamps.now_us())
    except FormProblems as exc:
        return _form_page(request.form, exc.errors, advisory=shown, status=400)
    except lifecycle.AdvisoryError as exc:
        return _refused_form(exc, request.form, shown)
    return redirect(url_for("console.advisory", advisory_id=shown["id"]))


def _step(advisory_id: str, step) -> Any:
    """Take one step; a refusal shows on the advisory's page. The transaction commits even
    when the step is refused, so that a refusal the service audits (four eyes) stays on
    record."""
    refused = None
    with context.hub().db.writing() as writer:
        try:
            step(writer)
        except lifecycle.AdvisoryError as exc:
            refused = exc
    if refused is None:
        return redirect(url_for("console.advisory", advisory_id=advisory_id))
    if refused.code == "not-found":
        abort(404)
    if refused.code == "reason":
        return detail(advisory_id, status=400, reason_error=t("advisory.error.reason"))
    return detail(advisory_id, problem=t(f"advisory.refused.{refused.code}"),
                  status=403 if refused.code == "forbidden" else 400)


def approve(advisory_id: str):
    return _step(advisory_id, lambda writer: lifecycle.approve(
        writer, person(), advisory_id, now=timestamps.now_us()))


def publish(advisory_id: str):
    return _step(advisory_id, lambda writer: lifecycle.publish(
        writer, person(), advisory_id, signer=context.hub().signer, now=timestamps.now_us()))


def withdraw(advisory_id: str):
    return _step(advisory_id, lambda writer: lifecycle.withdraw(
        writer, person(), advisory_id, request.form.get("reason", "")[:2000],
        signer=context.hub().signer, now=timestamps.now_us()))


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/advisories", "advisories", listing)
    blueprint.add_url_rule("/advisories/new", "advisory_new", new, methods=["GET", "POST"])
    blueprint.add_url_rule("/advisories/<advisory_id>", "advisory", detail)
    blueprint.add_url_rule("/advisories/<advisory_id>/delivery", "advisory_delivery",
                           delivery_rows)
    blueprint.add_url_rule("/advisories/<advisory_id>/edit", "advisory_edit", edit,
                           methods=["GET", "POST"])
    for name, view in (("approve", approve), ("publish", publish), ("withdraw", withdraw)):
        blueprint.add_url_rule(f"/advisories/<advisory_id>/{name}", f"advisory_{name}", view,
                               methods=["POST"])

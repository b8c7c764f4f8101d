"""Warnungen in the console: a draft from a campaign or from the blank form, field errors from
the same checks as the CLI, four eyes (the author's own approval refused, visibly and on
record), publication by a coordinator, the delivery table, the preview for one town, the
difference between revisions and the withdrawal."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from cyberhub.hub.storage.models import Advisory, AuditEntry
from hub.advisories.conftest import CAMPAIGN_DOMAIN, campaign  # noqa: F401
from hub.console.conftest import Console

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture
def desk(app, campaign, person, console):  # noqa: F811 - the fixture imported above
    """anna and bert (analysts) and carla (coordinator, second factor enrolled), signed in
    in their own browsers."""
    for name, role in (("anna", "analyst"), ("bert", "analyst"), ("carla", "coordinator")):
        person(name, role)
    console.login("anna")
    bert, carla = Console(app), Console(app)
    bert.login("bert")
    carla.login("carla")
    carla.enrol()
    return campaign, console, bert, carla


@pytest.fixture
def anna(person, console):
    person("anna")
    console.login("anna")
    return console


def _draft_from_campaign(anna, campaign_id) -> str:
    answer = anna.post("/console/advisories/new", {"campaign": campaign_id},
                       form_page=f"/console/campaigns/{campaign_id}")
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"].rsplit("/", 1)[1]


def _state(db, advisory_id) -> str:
    with db.session() as session:
        return session.get(Advisory, advisory_id).state


def test_from_campaign_to_the_towns_with_four_eyes(desk, db):
    (campaign_id, towns, outside), anna, bert, carla = desk
    advisory_id = _draft_from_campaign(anna, campaign_id)
    page = anna.get(f"/console/advisories/{advisory_id}")
    assert page.status_code == 200 and "Entwurf" in page.text and CAMPAIGN_DOMAIN in page.text
    assert "Diese Fassung haben Sie selbst geschrieben" in page.text

    # The author's own approval: refused, shown, and on record.
    refused = anna.post(f"/console/advisories/{advisory_id}/approve", {},
                        form_page=f"/console/advisories/{advisory_id}")
    assert refused.status_code == 400
    assert "Freigabe abgelehnt: Sie haben diese Fassung selbst geschrieben" in refused.text
    assert _state(db, advisory_id) == "draft"
    with db.session() as session:
        assert session.scalar(select(AuditEntry).where(
            AuditEntry.action == "advisory.approve-refused",
            AuditEntry.subject == advisory_id)).actor == "anna"

    assert bert.post(f"/console/advisories/{advisory_id}/approve", {},
                     form_page=f"/console/advisories/{advisory_id}").status_code == 302
    assert _state(db, advisory_id) == "approved"
    # An analyst may not publish; a coordinator may.
    forbidden = bert.post(f"/console/advisories/{advisory_id}/publish", {},
                          form_page=f"/console/advisories/{advisory_id}")
    assert forbidden.status_code == 403 and "Koordination" in forbidden.text
    assert carla.post(f"/console/advisories/{advisory_id}/publish", {},
                      form_page=f"/console/advisories/{advisory_id}").status_code == 302
    assert _state(db, advisory_id) == "published"

    # Delivery: the three campaign towns, none acknowledged yet; the part the page's script
    # fetches again holds the same rows.
    page = carla.get(f"/console/advisories/{advisory_id}")
    assert "0 von 3 adressierten Kommunen haben bestätigt" in page.text
    assert 'data-refresh="/console/advisories/' in page.text and "refresh.js" in page.text
    rows = carla.get(f"/console/advisories/{advisory_id}/delivery")
    assert rows.status_code == 200 and rows.text.count("in der Kampagne") == 3

    # The preview: a campaign town receives it and reads its objects over TAXII; the town
    # outside the campaign (TLP:AMBER) receives nothing.
    inside = carla.get(f"/console/advisories/{advisory_id}?town={towns[0].slug}").text
    assert "erhält diese Fassung (in der Kampagne)" in inside
    assert int(re.search(r"liest die Kommune jetzt (\d+) Objekte", inside).group(1)) > 0
    away = carla.get(f"/console/advisories/{advisory_id}?town={outside.slug}").text
    assert "erhält diese Fassung nicht" in away
    assert "liest die Kommune jetzt 0 Objekte" in away
    assert carla.get(f"/console/advisories/{advisory_id}?town=nirgendwo").status_code == 400

    # Withdrawal needs a reason.
    bare = carla.post(f"/console/advisories/{advisory_id}/withdraw", {"reason": ""},
                      form_page=f"/console/advisories/{advisory_id}")
    assert bare.status_code == 400 and 'id="reason-error"' in bare.text
    assert _state(db, advisory_id) == "published"
    assert carla.post(f"/console/advisories/{advisory_id}/withdraw",
                      {"reason": "Fehlalarm bestätigt"},
                      form_page=f"/console/advisories/{advisory_id}").status_code == 302
    assert _state(db, advisory_id) == "withdrawn"


def _blank(**changes) -> dict[str, str]:
    values = {"title_de": "Warnung vor Rechnungs-Mails", "title_en": "Invoice mails",
              "summary_de": "Bitte sperren.", "summary_en": "Please block.",
              "severity": "high", "tlp": "green", "campaign": "", "playbook": "", "towns": "",
              "indicators": "rechnung-stadtwerke.example\n203.0.113.7\nsha256 " + "ab" * 32}
    values.update(changes)
    return values


@pytest.mark.parametrize("changes, field, message", [
    ({"title_de": ""}, "title_de", "Bitte füllen Sie dieses Feld aus."),
    ({"title_en": "x" * 201}, "title_en", "Höchstens 200 Zeichen."),
    ({"severity": "extreme"}, "severity", "Bitte wählen Sie einen der angebotenen Werte."),
    ({"indicators": "ipv4 300.1.2.3"}, "indicators", "Zeile 1: „300.1.2.3“ ist kein"),
    ({"indicators": "# Kopf\nurl ftp://x.example/a"}, "indicators", "Zeile 2:"),
    ({"towns": "Aue!"}, "towns", "kein Kurzname einer Kommune"),
    ({"towns": "nirgendwo"}, "towns", "ist kein Mitglied"),
    ({"campaign": "campaign--00000000-0000-4000-8000-000000000000"}, "campaign",
     "Diese Kampagne gibt es nicht."),
    ({"summary_de": "a\x00b"}, "summary_de", "Höchstens"),
])
def test_a_wrong_field_comes_back_marked_and_nothing_is_stored(anna, db, changes, field,
                                                               message):
    answer = anna.post("/console/advisories/new", _blank(**changes))
    assert answer.status_code == 400
    assert f'id="{field}-error"' in answer.text and message in answer.text
    assert 'aria-invalid="true"' in answer.text
    with db.session() as session:
        assert session.scalar(select(Advisory.id)) is None


def test_a_blank_form_draft_is_revised_and_the_difference_shown(desk, db):
    anna, bert = desk[1], desk[2]
    made = anna.post("/console/advisories/new", _blank(title_de=f"Rechnungen {SCRIPT}"))
    assert made.status_code == 302, made.text
    advisory_id = made.headers["Location"].rsplit("/", 1)[1]
    page = anna.get(f"/console/advisories/{advisory_id}").text
    assert SCRIPT not in page and "&lt;script&gt;" in page
    assert "Es gibt erst eine Fassung." in page
    form = bert.get(f"/console/advisories/{advisory_id}/edit").text
    assert "203.0.113.7" in form and "domain rechnung-stadtwerke.example" in form
    revised = bert.post(f"/console/advisories/{advisory_id}/edit",
                        _blank(title_de="Rechnungs-Mails: sperren", severity="critical"))
    assert revised.status_code == 302
    page = anna.get(f"/console/advisories/{advisory_id}").text
    assert "Fassung 2" in page
    assert re.search(r"<ins>.*Schweregrad: kritisch</ins>", page)
    assert re.search(r"<del>.*Schweregrad: hoch</del>", page)
    # bert wrote revision 2, so anna may approve it now.
    assert anna.post(f"/console/advisories/{advisory_id}/approve", {},
                     form_page=f"/console/advisories/{advisory_id}").status_code == 302
    assert _state(db, advisory_id) == "approved"

"""Feeds in the console: every feed's health from real runs against a local HTTP server, one
feed's page with its address without credentials and its entries, switching on and off and
"jetzt abrufen" for coordinators (audited with their name; the run is left to the scheduler),
analysts refused and nothing changed, hostile titles and errors shown as text, and the
Lagebild naming a failing feed."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from sqlalchemy import func, select

from cyberhub.cli import main
from cyberhub.core import messages, timestamps
from cyberhub.hub import audit
from cyberhub.hub.feeds import definitions, schedule
from cyberhub.hub.storage.models import AuditEntry, FeedState
from cyberhub.hub.web.app import create_app
from hub.console.conftest import Console

SCRIPT = "<script>alert('x')</script>"
LIST = "/c2.txt"
BODY = "# C2 servers\n91.92.240.11\n91.92.241.7\n" + SCRIPT + "\n"


def _feed_file(directory, name: str, url: str, *, title: str, enabled: bool = True,
               every: str = "6h") -> definitions.Feed:
    path = directory / f"{name}.toml"
    path.write_text("\n".join([
        f"name = {json.dumps(name)}", f"title = {json.dumps(title)}", 'format = "text"',
        f"url = {json.dumps(url)}", f"every = {json.dumps(every)}", 'tlp = "green"',
        f"enabled = {'true' if enabled else 'false'}"]) + "\n", encoding="utf-8")
    return definitions.load_file(path)


@pytest.fixture
def feeds_dir(tmp_path):
    directory = tmp_path / "feeds"
    directory.mkdir()
    return directory


@pytest.fixture
def app(hub, feeds_dir):
    """The console of a hub whose feeds directory is the test's own (settings are frozen:
    the hub gets a copy)."""
    return create_app(hub=dataclasses.replace(hub, settings=hub.settings.model_copy(
        update={"feeds_dir": feeds_dir})))


@pytest.fixture
def feeds(feeds_dir, httpserver, run_feed, person, console):
    """A text list that ran once (two entries taken, one hostile line refused and named), a
    switched-off feed with a script tag for a title and credentials in its address; anna, an
    analyst, signed in."""
    httpserver.expect_request(LIST).respond_with_data(BODY)
    c2 = _feed_file(feeds_dir, "c2-liste", httpserver.url_for(LIST), title="C2-Liste Test")
    _feed_file(feeds_dir, "skript", "https://feeder:s3cret@feeds.example/list.txt?key=k3y",
               title=SCRIPT, enabled=False)
    result = run_feed(c2)
    assert (result.added, result.skipped, result.failed) == (2, 1, False)
    person("anna")
    console.login("anna")
    return {"c2": c2}


def _row(page: str, name: str) -> str:
    return next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if f"<code>{name}</code>" in r)


def _state(db, name: str) -> FeedState | None:
    with db.session() as session:
        return session.get(FeedState, name)


def _feed_audit(db) -> list[tuple[str, str, str]]:
    with db.session() as session:
        return [(e["actor"], e["action"], e["subject"]) for e in audit.entries(session)
                if e["action"].startswith("feed.")]


def _coordinator(app, person) -> Console:
    person("carla", "coordinator")
    coordinator = Console(app)
    coordinator.login("carla")
    assert coordinator.enrol().status_code == 302
    return coordinator


def test_the_list_shows_every_feed_with_its_health_in_german(console, feeds):
    answer = console.get("/console/feeds")
    assert answer.status_code == 200
    page = answer.text
    assert "<h1>Feeds</h1>" in page and 'href="/console/feeds" aria-current="page"' in page
    assert "2 Feeds, davon 1 eingeschaltet" in page
    row = _row(page, "c2-liste")
    assert 'href="/console/feeds/c2-liste">C2-Liste Test</a>' in row
    assert "<td>Textliste</td>" in row and "<td>eingeschaltet</td>" in row
    assert "<td>alle 6 Stunden</td>" in row and "<td>TLP:GREEN</td>" in row
    assert len(re.findall(r"<td>\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2}</td>", row)) == 3  # German
    assert "3 gelesen, 2 neu, 0 geändert, 0 abgelaufen, 1 übersprungen" in row
    assert "line 4: &#34;&lt;script&gt;alert(&#39;x&#39;)" in row  # refused, named, as text
    skript = _row(page, "skript")
    assert "<td>ausgeschaltet</td>" in skript and "keiner (ausgeschaltet)" in skript
    assert "noch nie" in skript
    assert SCRIPT not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "s3cret" not in page and "k3y" not in page


def test_a_feed_page_shows_its_address_without_credentials_and_its_entries(
        console, feeds, feeds_dir, httpserver, run_feed):
    page = console.get("/console/feeds/c2-liste").text
    assert "<h1>C2-Liste Test</h1>" in page
    assert "2 aktiv, 0 abgelaufen" in page and "Feed-Datei im Feed-Verzeichnis" in page
    assert "Fehlschläge in Folge</dt><dd>0</dd>" in page
    assert re.search(r"<td>3</td><td>2</td><td>0</td><td>0</td><td>1</td>", page)
    # The list shrinks: the full list's missing entry expires.
    httpserver.clear()
    httpserver.expect_request(LIST).respond_with_data("91.92.240.11\n")
    run_feed(feeds["c2"])
    assert "1 aktiv, 1 abgelaufen" in console.get("/console/feeds/c2-liste").text

    hostile = console.get("/console/feeds/skript")
    assert hostile.status_code == 200
    assert "<code class=\"value\">https://feeds.example/list.txt</code>" in hostile.text
    assert "s3cret" not in hostile.text and "feeder" not in hostile.text
    assert "k3y" not in hostile.text
    assert SCRIPT not in hostile.text and "&lt;script&gt;" in hostile.text
    assert "Der Feed wurde noch nicht abgerufen." in hostile.text
    assert console.get("/console/feeds/nope").status_code == 404


def test_english_on_request(console, feeds):
    console.post("/console/language", {"lang": "en", "next": "/console/feeds"},
                 form_page="/console/feeds")
    page = console.get("/console/feeds").text
    assert "2 feeds, 1 of them switched on" in page and "<td>Text list</td>" in page
    assert "<td>every 6 hours</td>" in page and "2 added" in page
    detail = console.get("/console/feeds/c2-liste").text
    assert "2 active, 0 expired" in detail and "Only coordinators" not in detail
    assert "your role only views the feeds" in detail


def test_an_analyst_sees_why_there_are_no_buttons_and_is_refused(console, feeds, db):
    page = console.get("/console/feeds/c2-liste").text
    assert "Koordination und Administration vorbehalten" in page
    assert "Ausschalten</button>" not in page and "Jetzt abrufen</button>" not in page
    before = _state(db, "c2-liste")
    for path, data in (("enabled", {"enabled": "no"}), ("due-now", {})):
        answer = console.post(f"/console/feeds/c2-liste/{path}", data,
                              form_page="/console/feeds/c2-liste")
        assert answer.status_code == 403
        assert "Das dürfen nur Koordination und Administration." in answer.text
    after = _state(db, "c2-liste")
    assert (after.enabled, after.next_due) == (before.enabled, before.next_due)
    assert _feed_audit(db) == []


def test_a_coordinator_switches_a_feed_off_and_on_audited(app, feeds, person, db):
    coordinator = _coordinator(app, person)
    path = "/console/feeds/c2-liste"
    page = coordinator.get(path).text
    assert "Ausschalten</button>" in page and "Jetzt abrufen</button>" in page
    off = coordinator.post(f"{path}/enabled", {"enabled": "no"}, form_page=path)
    assert off.status_code == 302 and off.headers["Location"].endswith(path)
    page = coordinator.get(path).text
    assert 'role="status">Der Feed ist ausgeschaltet.' in page
    assert "Einschalten</button>" in page and "Abgerufen werden nur eingeschaltete" in page
    assert _state(db, "c2-liste").enabled is False
    before = timestamps.now_us()
    on = coordinator.post(f"{path}/enabled", {"enabled": "yes"}, form_page=path)
    assert on.status_code == 302
    state = _state(db, "c2-liste")
    assert state.enabled is True and before <= state.next_due <= timestamps.now_us()
    assert _feed_audit(db) == [("carla", "feed.disable", "feed:c2-liste"),
                               ("carla", "feed.enable", "feed:c2-liste")]


def test_fetch_now_makes_the_feed_due_for_the_scheduler(app, feeds, person, db, runner,
                                                        feeds_dir):
    coordinator = _coordinator(app, person)
    path = "/console/feeds/c2-liste"
    assert _state(db, "c2-liste").next_due > timestamps.now_us()  # in six hours
    before = timestamps.now_us()
    answer = coordinator.post(f"{path}/due-now", {}, form_page=path)
    assert answer.status_code == 302
    assert "Der Feed ist jetzt fällig" in coordinator.get(path).text
    assert _feed_audit(db) == [("carla", "feed.due-now", "feed:c2-liste")]
    # Nothing ran in the request: the last run is still the fixture's; the scheduler's next
    # look takes it, and `cyberhub feeds status` shows it due.
    state = _state(db, "c2-liste")
    assert before <= state.next_due <= timestamps.now_us() and state.running_until is None
    assert schedule.due({"c2-liste": state}, [feeds["c2"]], now=timestamps.now_us()) == [
        feeds["c2"]]
    status = runner.invoke(main, ["feeds", "status", "c2-liste", "--json"],
                           env={"CYBERHUB_FEEDS_DIR": str(feeds_dir)})
    assert status.exit_code == 0, status.output
    assert before <= json.loads(status.output)["next_due"] <= timestamps.now_us()
    assert "fällig: beim nächsten Blick des Planers" in _row(
        coordinator.get("/console/feeds").text, "c2-liste")


def test_fetch_now_is_refused_for_a_feed_off_or_running(app, feeds, person, db):
    coordinator = _coordinator(app, person)
    off = coordinator.post("/console/feeds/skript/due-now", {},
                           form_page="/console/feeds/c2-liste")
    assert off.status_code == 400 and 'id="due-error"' in off.text
    assert "Bitte zuerst einschalten" in off.text
    with db.writing() as session:  # a scheduler process holds the run
        assert schedule.claim(session, feeds["c2"], now=timestamps.now_us(), force=True)
    due = _state(db, "c2-liste").next_due
    busy = coordinator.post("/console/feeds/c2-liste/due-now", {},
                            form_page="/console/feeds/c2-liste")
    assert busy.status_code == 400 and "wird gerade abgerufen" in busy.text
    assert re.search(r'aria-invalid="true" aria-describedby="due-error"', busy.text)
    assert _state(db, "c2-liste").next_due == due and _feed_audit(db) == []


def test_bad_form_input_and_unknown_feeds_change_nothing(app, feeds, person, db):
    coordinator = _coordinator(app, person)
    with db.session() as session:
        entries = session.scalar(select(func.count()).select_from(AuditEntry))
    bad = coordinator.post("/console/feeds/c2-liste/enabled", {"enabled": "vielleicht"},
                           form_page="/console/feeds/c2-liste")
    assert bad.status_code == 400 and 'id="enabled-error"' in bad.text
    assert re.search(r'aria-invalid="true" aria-describedby="enabled-error"', bad.text)
    assert coordinator.post("/console/feeds/nope/enabled", {"enabled": "no"},
                            form_page="/console/feeds").status_code == 404
    assert coordinator.post("/console/feeds/nope/due-now", {},
                            form_page="/console/feeds").status_code == 404
    no_token = coordinator.client.post("/console/feeds/c2-liste/enabled",
                                       data={"enabled": "no"})
    assert no_token.status_code == 400
    assert _state(db, "c2-liste").enabled is None  # as the file says
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == entries


def test_a_broken_feed_file_is_named_not_a_500(console, feeds, feeds_dir):
    (feeds_dir / "kaputt.toml").write_text('name = "kaputt"\nformat = "nope"\n')
    page = console.get("/console/feeds")
    assert page.status_code == 200 and "kaputt.toml" in page.text
    assert "C2-Liste Test" in page.text
    assert console.get("/console/feeds/c2-liste").status_code == 200
    lagebild = console.get("/console/")
    assert lagebild.status_code == 200 and "kaputt.toml" in lagebild.text


def test_the_lagebild_names_a_failing_feed_and_links_the_feeds(console, feeds, feeds_dir,
                                                               httpserver, run_feed):
    healthy = console.get("/console/").text
    assert "Alle 1 eingeschalteten Feeds laufen." in healthy
    assert 'href="/console/feeds">Zu den Feeds</a>' in healthy
    # A second feed, switched on, whose server fails; its title is hostile.
    httpserver.expect_request("/down.txt").respond_with_data("kaputt", status=503)
    down = _feed_file(feeds_dir, "ausfall", httpserver.url_for("/down.txt"), title=SCRIPT)
    assert run_feed(down).failed
    page = console.get("/console/").text
    section = page[page.index('id="feeds-heading"'):]
    assert "1 von 2 eingeschalteten Feeds brauchen Aufmerksamkeit" in section
    assert 'href="/console/feeds/ausfall">&lt;script&gt;' in section
    assert "scheitert (1× in Folge)" in section and "503" in section
    assert "c2-liste" not in section and SCRIPT not in page


def test_every_format_interval_and_outcome_has_a_text():
    catalog = set(messages.catalog())
    assert {f"feed_format.{f}" for f in definitions.FORMATS} <= catalog
    assert {f"feeds.every_{unit}" for unit in "mhd"} <= catalog
    assert {f"feeds.done.{d}" for d in ("on", "off", "due")} <= catalog
    assert {f"feeds.error.{e}" for e in ("choice", "off", "running")} <= catalog
    assert {f"feed.origin_{o}" for o in ("file", "added")} <= catalog

"""Feeds: the external feeds' health, as `cyberhub feeds status` reads it
(`cyberhub.hub.feeds.registry`), one feed's page with its address (without credentials) and
its entries, and for coordinators and admins the acts: switch a feed on or off
(`registry.set_enabled`, as `cyberhub feeds enable|disable`) and make it due now
(`schedule.due_now`). A run never happens in the web request: the scheduler takes it on its
next look. Analysts see the same pages without the buttons, and why."""

from __future__ import annotations

from pathlib import Path
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

from cyberhub.core import messages, timestamps
from cyberhub.hub.console.access import language, person, t
from cyberhub.hub.feeds import registry, schedule
from cyberhub.hub.feeds.definitions import FeedError
from cyberhub.hub.feeds.download import shown_url
from cyberhub.hub.web import context


def _directory() -> Path:
    return context.hub().settings.feeds_dir


def _known() -> tuple[list[registry.Known], list[str]]:
    """Every feed, and the feed files that cannot be read (named, never a 500)."""
    problems: list[str] = []
    return registry.known(context.session(), _directory(), problems), problems


def _interval(every: str) -> str:
    """An interval such as "6h" as the reader says it ("alle 6 Stunden"); the feed's
    definition has checked its form."""
    every = every.replace(" ", "")
    count = int(every[:-1])
    if count == 1:  # "jede Stunde", not "alle 1 Stunden"
        return t(f"feeds.every_one_{every[-1]}")
    return t(f"feeds.every_{every[-1]}", count=count)


def _due(row: dict[str, Any], now: int) -> str:
    """When the scheduler takes the feed next, in words where a time would mislead."""
    if not row["enabled"]:
        return t("feeds.not_scheduled")
    if row["running"]:
        return t("feeds.running")
    if row["next_due"] is None or row["next_due"] <= now:
        return t("feeds.due_next_look")
    return messages.moment(row["next_due"], language())


def _page(template: str, **values: Any) -> str:
    now = timestamps.now_us()
    return render_template(template, interval=_interval, due=lambda row: _due(row, now),
                           may_manage=registry.may_manage(person()), **values)


def listing():
    items, problems = _known()
    now = timestamps.now_us()
    rows = [{**item.health(), "running": schedule.running(item.state, now=now)}
            for item in items]
    return _page("feeds.html", rows=rows, problems=problems)


def detail(name: str, errors: dict[str, str] | None = None, status: int = 200):
    items, _ = _known()
    item = next((item for item in items if item.feed.name == name), None)
    if item is None:
        abort(404)
    session = context.session()
    feed = {**item.health(), "url": shown_url(item.feed.url),
            "description": item.feed.description,
            "expire_after": item.feed.expire_after,
            "running": schedule.running(item.state, now=timestamps.now_us()),
            "entries": registry.entry_counts(session, name)}
    return _page("feed.html", feed=feed, errors=errors or {},
                 done=get_flashed_messages()), status


def _act(name: str, act: Callable[[Any], Any], field: str, done: str):
    """One act on the feed in its own write transaction, by a coordinator or admin; the
    feed's page again with the reason if it is refused, and nothing changed."""
    if not registry.may_manage(person()):
        return detail(name, {field: t("feeds.forbidden")}, 403)
    try:
        with context.hub().db.writing() as writer:
            act(writer)
    except schedule.Off:
        return detail(name, {field: t("feeds.error.off")}, 400)
    except schedule.Busy:
        return detail(name, {field: t("feeds.error.running")}, 400)
    except FeedError:  # no such feed, or its file cannot be read any more
        abort(404)
    context.close_session()  # the read session began before the write
    flash(t(f"feeds.done.{done}"))
    return redirect(url_for("console.feed", name=name))


def switch(name: str):
    choice = request.form.get("enabled")
    if choice not in ("yes", "no"):
        return detail(name, {"enabled": t("feeds.error.choice")}, 400)
    return _act(name, lambda writer: registry.set_enabled(
        writer, _directory(), name, choice == "yes", actor=person().username,
        now=timestamps.now_us()), "enabled", "on" if choice == "yes" else "off")


def due_now(name: str):
    return _act(name, lambda writer: schedule.due_now(
        writer, _directory(), name, actor=person().username, now=timestamps.now_us()),
        "due", "due")


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/feeds", "feeds", listing)
    blueprint.add_url_rule("/feeds/<name>", "feed", detail)
    blueprint.add_url_rule("/feeds/<name>/enabled", "feed_enabled", switch, methods=["POST"])
    blueprint.add_url_rule("/feeds/<name>/due-now", "feed_due_now", due_now, methods=["POST"])

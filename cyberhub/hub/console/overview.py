"""The Lagebild page: what needs an analyst now (`cyberhub.hub.situation`)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from cyberhub.hub import situation
from cyberhub.hub.console.auth import PlainForm
from cyberhub.hub.web import context


def page():
    window = request.args.get("window") or "24h"
    status = 200
    if window not in situation.WINDOWS:
        window, status = "24h", 400
    view = situation.overview(context.session(), window=window,
                              feeds_dir=context.hub().settings.feeds_dir)
    return render_template("overview.html", view=view,
                           windows=situation.WINDOWS, bad_window=status == 400,
                           form=PlainForm()), status


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "overview", page)

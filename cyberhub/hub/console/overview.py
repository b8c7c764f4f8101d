"""The Lagebild page: what needs an analyst now (`cyberhub.hub.situation`)."""

from __future__ import annotations

from flask import Blueprint, render_template

from cyberhub.hub import situation
from cyberhub.hub.console.auth import PlainForm
from cyberhub.hub.web import context


def page():
    return render_template("overview.html", view=situation.overview(context.session()),
                           form=PlainForm())


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "overview", page)

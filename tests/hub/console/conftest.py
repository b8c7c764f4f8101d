"""A browser's view of the console through Flask's test client: the CSRF token read off each
form, the session cookie kept, the second factor answered with a real TOTP code."""

from __future__ import annotations

import re

import pyotp
import pytest
from conftest import PASSWORD

from cyberhub.core import timestamps
from cyberhub.hub import accounts

_TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')


def csrf_token(html: str) -> str:
    return _TOKEN.search(html).group(1)


class Console:
    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.seed: str | None = None

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, data: dict, *, form_page: str | None = None):
        """POST a form as the page at `form_page` (default: `path`) offers it."""
        page = self.client.get(form_page or path)
        return self.client.post(path, data={**data, "csrf_token": csrf_token(page.text)})

    def login(self, username: str, password: str = PASSWORD):
        return self.post("/console/login", {"username": username, "password": password})

    def enrol(self):
        """Set up the second factor as the enrolment page offers it; returns the answer."""
        page = self.client.get("/console/second-factor")
        self.seed = re.search(r'id="totp-seed">([A-Z2-7]+)<', page.text).group(1)
        return self.client.post("/console/second-factor", data={
            "code": pyotp.TOTP(self.seed).now(), "csrf_token": csrf_token(page.text)})


@pytest.fixture
def console(app):
    return Console(app)


@pytest.fixture
def person(db, initialised):
    """Make a person with a role; returns the username."""

    def make(username: str, role: str | None = "analyst") -> str:
        with db.writing() as session:
            accounts.create_account(session, username, PASSWORD, now=timestamps.now_us(),
                                    role=role)
        return username

    return make

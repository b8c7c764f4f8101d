"""Who is at the console in this request, and in which language: shared by the blueprint's
admission check and the views."""

from __future__ import annotations

from flask import g, session

from cyberhub.core import messages
from cyberhub.hub.storage.models import Account, Node
from cyberhub.hub.web import context


def language() -> str:
    return messages.choose(session.get("lang"))


def t(key: str, **values) -> str:
    """A catalog text in the reader's language."""
    return messages.text(key, language(), **values)


def person() -> Account | None:
    """The signed-in person of this request (set by the blueprint's admission check)."""
    return g.get("console_person")


def may_enter(account: Account) -> bool:
    """People with a role; never a town's node account or a machine account without one."""
    if account.role is None or account.disabled:
        return False
    is_node = context.session().query(Node.id).filter(Node.account_id == account.id).first()
    return is_node is None

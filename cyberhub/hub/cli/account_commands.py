"""`cyberhub accounts`: accounts, their rights on collections and their roles."""

from __future__ import annotations

import sys

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import emit, json_option
from cyberhub.hub import accounts
from cyberhub.hub.cli.common import handle_errors, open_database


@click.group("accounts")
def accounts_group() -> None:
    """Manage accounts and their rights on collections."""


@accounts_group.command("add")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--read", "read", multiple=True, metavar="ALIAS", help="May read this collection.")
@click.option("--write", "write", multiple=True, metavar="ALIAS",
              help="May add objects to this collection.")
@click.option("--admin", is_flag=True, help="Full rights on every collection.")
@click.option("--role", type=click.Choice(accounts.ROLES),
              help="For a person: analyst (draft, approve), coordinator (also publish, "
              "withdraw) or admin.")
@json_option
@handle_errors
def accounts_add(
    username: str, password_stdin: bool, read: tuple[str, ...], write: tuple[str, ...],
    admin: bool, role: str | None, as_json: bool,
) -> None:
    """Add an account; prints a generated password unless --password-stdin is given."""
    _, db = open_database()
    generated = not password_stdin
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = accounts.generate_password()
    with db.writing() as session:
        accounts.create_account(
            session, username, password, now=timestamps.now_us(), read=read, write=write,
            admin=admin, role=role,
        )
    data = {"username": username, "password": password if generated else None,
            "read": list(read), "write": list(write), "admin": admin, "role": role}

    def human(d: dict) -> None:
        click.echo(f"Added account {username}.")
        if generated:
            click.echo(f"Password: {password}  (shown once; only its hash is stored)")

    emit(as_json, data, human)


@accounts_group.command("list")
@json_option
@handle_errors
def accounts_list(as_json: bool) -> None:
    """List accounts and their rights (never passwords)."""
    _, db = open_database()
    with db.session() as session:
        data = accounts.list_accounts(session)

    def human(items: list[dict]) -> None:
        for item in items:
            flags = " admin" if item["admin"] else ""
            flags += f" role={item['role']}" if item["role"] else ""
            flags += " disabled" if item["disabled"] else ""
            click.echo(f"{item['username']:<20} read={','.join(item['read']) or '-'} "
                       f"write={','.join(item['write']) or '-'}{flags}")

    emit(as_json, data, human)


@accounts_group.command("grant")
@click.argument("username")
@click.option("--read", "read", multiple=True, metavar="ALIAS")
@click.option("--write", "write", multiple=True, metavar="ALIAS")
@json_option
@handle_errors
def accounts_grant(username: str, read: tuple[str, ...], write: tuple[str, ...],
                   as_json: bool) -> None:
    """Give an existing account more rights."""
    _, db = open_database()
    with db.writing() as session:
        for alias in dict.fromkeys(read + write):
            accounts.grant(session, username, alias, read=alias in read, write=alias in write)
    data = {"username": username, "read": list(read), "write": list(write)}
    emit(as_json, data, lambda d: click.echo(f"Updated rights of {username}."))


@accounts_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(accounts.ROLES + ("none",)))
@json_option
@handle_errors
def accounts_role(username: str, role: str, as_json: bool) -> None:
    """Set what a person may do with advisories (none: nothing)."""
    _, db = open_database()
    with db.writing() as session:
        accounts.set_role(session, username, None if role == "none" else role)
    emit(as_json, {"username": username, "role": None if role == "none" else role},
         lambda d: click.echo(f"{username} now has the role {role}."))


COMMANDS = (accounts_group,)

"""`cyberhub accounts`: accounts, their rights on collections, their roles and API tokens;
the same acts as the console's Konten page, through the same service functions. Whoever runs
these commands holds the hub's data directory, so no password is asked; the audit log names
the actor `cli`."""

from __future__ import annotations

import sys

import click

from cyberhub.core import timestamps
from cyberhub.core.clitools import emit, json_option
from cyberhub.hub import accounts, api_tokens
from cyberhub.hub.cli.common import handle_errors, open_database

# Who the audit log names for an act done here (a name no account can take).
ACTOR = "cli"


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
            admin=admin, role=role, actor=ACTOR,
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
            flags += " town" if item["town"] else ""
            flags += f" tokens={item['tokens']}" if item["tokens"] else ""
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
            accounts.grant(session, username, alias, read=alias in read, write=alias in write,
                           actor=ACTOR, now=timestamps.now_us())
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
        accounts.set_role(session, username, None if role == "none" else role, actor=ACTOR,
                          now=timestamps.now_us())
    emit(as_json, {"username": username, "role": None if role == "none" else role},
         lambda d: click.echo(f"{username} now has the role {role}."))



def _act(username: str, as_json: bool, done: str, act) -> None:
    """Run one act on the account in a write transaction and say what was done."""
    _, db = open_database()
    with db.writing() as session:
        act(session)
    emit(as_json, {"username": username}, lambda d: click.echo(f"{done} {username}."))


@accounts_group.command("disable")
@click.argument("username")
@json_option
@handle_errors
def accounts_disable(username: str, as_json: bool) -> None:
    """Disable an account: no sign-in, no TAXII request, no token works until it is enabled."""
    _act(username, as_json, "Disabled", lambda session: accounts.set_disabled(
        session, username, True, actor=ACTOR, now=timestamps.now_us()))


@accounts_group.command("enable")
@click.argument("username")
@json_option
@handle_errors
def accounts_enable(username: str, as_json: bool) -> None:
    """Enable a disabled account again."""
    _act(username, as_json, "Enabled", lambda session: accounts.set_disabled(
        session, username, False, actor=ACTOR, now=timestamps.now_us()))


@accounts_group.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@handle_errors
def accounts_delete(username: str, yes: bool, as_json: bool) -> None:
    """Delete an account with its rights and tokens (the audit log keeps its name)."""
    if not yes:
        click.confirm(f"Delete the account {username}?", abort=True, err=True)
    _act(username, as_json, "Deleted", lambda session: accounts.delete_account(
        session, username, actor=ACTOR, now=timestamps.now_us()))


@accounts_group.command("reset-password")
@click.argument("username")
@json_option
@handle_errors
def accounts_reset_password(username: str, as_json: bool) -> None:
    """Give an account a new generated password, printed once."""
    _, db = open_database()
    with db.writing() as session:
        password = accounts.reset_password(session, username, actor=ACTOR,
                                           now=timestamps.now_us())

    def human(d: dict) -> None:
        click.echo(f"New password of {username}: {password}  (shown once; only its hash is "
                   "stored)")

    emit(as_json, {"username": username, "password": password}, human)


@accounts_group.command("reset-second-factor")
@click.argument("username")
@json_option
@handle_errors
def accounts_reset_second_factor(username: str, as_json: bool) -> None:
    """Forget a person's second factor; they set up a new one at the next sign-in."""
    _act(username, as_json, "Reset the second factor of", lambda session:
         accounts.reset_second_factor(session, username, actor=ACTOR,
                                      now=timestamps.now_us()))


@accounts_group.group("token")
def token_group() -> None:
    """API tokens: what a machine client sends in place of the account's password."""


@token_group.command("add")
@click.argument("username")
@click.argument("name")
@json_option
@handle_errors
def token_add(username: str, name: str, as_json: bool) -> None:
    """Make a token called NAME for USERNAME; the token is printed once."""
    _, db = open_database()
    with db.writing() as session:
        data = api_tokens.issue(session, username, name, actor=ACTOR, now=timestamps.now_us())

    def human(d: dict) -> None:
        click.echo(f"Token {d['id']} ({d['name']}) for {username}: {d['token']}")
        click.echo("Shown once; only its hash is stored. Send it as the password of "
                   f"{username} (HTTP Basic).")

    emit(as_json, {"username": username, **data}, human)


@token_group.command("list")
@click.argument("username")
@json_option
@handle_errors
def token_list(username: str, as_json: bool) -> None:
    """An account's tokens: id, name, when made and last used (never the token)."""
    _, db = open_database()
    with db.session() as session:
        data = api_tokens.listing(session, username)

    def human(items: list[dict]) -> None:
        if not items:
            click.echo(f"{username} has no API token")
        for item in items:
            used = timestamps.format_us(item["last_used"]) if item["last_used"] else "never"
            click.echo(f"{item['id']:>6}  {item['name']:<30} made "
                       f"{timestamps.format_us(item['created'])}  last used {used}")

    emit(as_json, data, human)


@token_group.command("revoke")
@click.argument("username")
@click.argument("token_id", type=click.IntRange(1))
@json_option
@handle_errors
def token_revoke(username: str, token_id: int, as_json: bool) -> None:
    """Revoke token TOKEN_ID of USERNAME (`token list` shows the ids); it stops at once."""
    _, db = open_database()
    with db.writing() as session:
        api_tokens.revoke(session, username, token_id, actor=ACTOR, now=timestamps.now_us())
    emit(as_json, {"username": username, "id": token_id, "revoked": True},
         lambda d: click.echo(f"Revoked token {token_id} of {username}."))


COMMANDS = (accounts_group,)

"""auth_version: one counter that every change to who may do what moves, by trigger

Each worker remembers who is asking (`cyberhub.hub.principals`) and asks only this counter on
a request. Triggers on the tables that decide a principal - accounts (name, password, admin,
disabled), permissions, API tokens (not their last use), nodes (which account is a town) and
login failures (locks) - move it in the same transaction as the change, so a change made by
any process, the CLI included, takes effect on the next request on every worker.

A later migration that copies one of these tables on SQLite (a batch migration) drops its
triggers and must create them again.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 02:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# table -> the events that move the counter ("UPDATE OF ..." names the columns that matter)
WATCHED = {
    "accounts": ("INSERT", "DELETE", "UPDATE OF username, password_hash, is_admin, disabled"),
    "permissions": ("INSERT", "DELETE", "UPDATE"),
    "api_tokens": ("INSERT", "DELETE", "UPDATE OF account_id, token_hash"),
    "nodes": ("INSERT", "DELETE", "UPDATE OF account_id"),
    "login_failures": ("INSERT", "DELETE", "UPDATE"),
}
BUMP = "UPDATE auth_version SET version = version + 1"


def _name(table: str, event: str) -> str:
    return f"auth_version_{table}_{event.split()[0].lower()}"


def upgrade() -> None:
    op.create_table(
        "auth_version",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.execute("INSERT INTO auth_version (id, version) VALUES (1, 0)")
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("CREATE FUNCTION cyberhub_auth_changed() RETURNS trigger AS $$ BEGIN "
                   f"{BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql")
    for table, events in WATCHED.items():
        for event in events:
            if postgres:  # once per statement, however many rows it changed
                op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                           "FOR EACH STATEMENT EXECUTE FUNCTION cyberhub_auth_changed()")
            else:
                op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                           f"BEGIN {BUMP}; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, events in WATCHED.items():
        for event in events:
            op.execute(f"DROP TRIGGER IF EXISTS {_name(table, event)}"
                       + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS cyberhub_auth_changed()")
    op.drop_table("auth_version")

"""warning lists in the database

`warninglists`: the lists a warning-list feed brought (the community's MISP warning lists),
one row per list with its entries as a JSON array. `warninglist_entries`: the values an
operator added by hand that must never link two reports. Both join the warning list files
of the hub's `warninglists_dir` in the correlation engine.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-08 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "warninglists",
        sa.Column("feed", sa.String(63), sa.ForeignKey("feeds.name", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("ident", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("updated", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "warninglist_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(400), nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("added_by", sa.String(100), nullable=False),
        sa.Column("added", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("kind", "value"),
    )


def downgrade() -> None:
    op.drop_table("warninglist_entries")
    op.drop_table("warninglists")

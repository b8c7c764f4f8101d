"""e-mail notifications sent

One row per event the analysts were mailed about (or that was there before mail was turned
on), under a key unique per event: the primary key is what makes two schedulers on one
database mail each event once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("claimed_until", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("notifications")

"""API tokens for machine clients

A token stands in for an account's password on the TAXII API (HTTP Basic). Only the SHA-256
of the token is kept; the token itself is shown once when it is made.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account_id", sa.Integer(),
                  sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_used", sa.BigInteger(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("api_tokens")

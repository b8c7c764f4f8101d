"""console sessions and second factor

Server-side sessions of the analysts' web console (only a hash of the cookie's value is kept,
so a copy of the database opens no session), and each account's TOTP seed, sealed with the
hub's secret key.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 07:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer(),
                  sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=True, index=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False, index=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.add_column(sa.Column("totp_sealed", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("totp_last_step", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch_op:
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_sealed")
    op.drop_table("console_sessions")

"""campaign verdicts and Lagebild indexes

An analyst's verdict on a campaign (confirmed or dismissed), who gave it and when, why, and the
evidence keys it was given on: a dismissed campaign is not raised again by the same evidence.
Two indexes on the inbox for the Lagebild: new reports in a period, overdue stages.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch:
        batch.add_column(sa.Column("verdict", sa.String(20), nullable=True))
        batch.add_column(sa.Column("verdict_by", sa.String(100), nullable=True))
        batch.add_column(sa.Column("verdict_at", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("verdict_note", sa.Text(), nullable=True))
        batch.add_column(sa.Column("verdict_keys", sa.Text(), nullable=True))
    op.create_index("ix_town_reports_first_reported", "town_reports", ["first_reported"])
    op.create_index("ix_town_reports_stage_first", "town_reports", ["stage", "first_reported"])


def downgrade() -> None:
    op.drop_index("ix_town_reports_stage_first", "town_reports")
    op.drop_index("ix_town_reports_first_reported", "town_reports")
    with op.batch_alter_table("campaigns") as batch:
        for name in ("verdict_keys", "verdict_note", "verdict_at", "verdict_by", "verdict"):
            batch.drop_column(name)

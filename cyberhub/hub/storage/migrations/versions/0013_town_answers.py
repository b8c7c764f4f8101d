"""analysts' answers to towns

An answer is a hub-signed STIX note in the addressed `answers` collection (which `cyberhub init`
adds); these tables record its one recipient town and which stored objects carry it, so that
every TAXII read decides at query time who may see them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "town_answers",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("incident_id", sa.String(300),
                  sa.ForeignKey("town_reports.incident_id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("nodes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    op.create_table(
        "answer_objects",
        sa.Column("answer_id", sa.String(100),
                  sa.ForeignKey("town_answers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("object_id", sa.String(300), primary_key=True, index=True),
    )


def downgrade() -> None:
    op.drop_table("answer_objects")
    op.drop_table("town_answers")

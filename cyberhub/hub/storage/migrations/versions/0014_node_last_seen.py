"""when each town's agent was last seen

`nodes.last_seen`: µs since the epoch of the agent's latest authenticated request, written at
most once a minute per node (`cyberhub.hub.nodes.LastSeen`); NULL until the agent is first seen.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.add_column(sa.Column("last_seen", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("nodes") as batch:
        batch.drop_column("last_seen")

"""wider incident ids

A town report may be named by an object of any STIX type, whose id can be 288 characters
long; 100 was too narrow, and PostgreSQL refused such reports with an error.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 03:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observations") as batch_op:
        batch_op.alter_column("incident_id", type_=sa.String(300),
                              existing_type=sa.String(100), existing_nullable=False)
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.alter_column("anchor", type_=sa.String(300),
                              existing_type=sa.String(100), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.alter_column("anchor", type_=sa.String(100),
                              existing_type=sa.String(300), existing_nullable=False)
    with op.batch_alter_table("observations") as batch_op:
        batch_op.alter_column("incident_id", type_=sa.String(100),
                              existing_type=sa.String(300), existing_nullable=False)

"""advisory receipts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:36:17.060547
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advisory_receipts',
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('object_id', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('node_id', 'object_id', 'version')
    )


def downgrade() -> None:
    op.drop_table('advisory_receipts')

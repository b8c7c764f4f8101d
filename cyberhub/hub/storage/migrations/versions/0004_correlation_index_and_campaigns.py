"""correlation index and campaigns

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:04:03.407531
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('campaigns',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('anchor', sa.String(length=100), nullable=False),
    sa.Column('version', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('merged_into', sa.String(length=100), nullable=True),
    sa.Column('first_seen', sa.BigInteger(), nullable=False),
    sa.Column('last_seen', sa.BigInteger(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('towns', sa.Integer(), nullable=False),
    sa.Column('incidents', sa.Text(), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('updated', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_anchor'), ['anchor'], unique=False)

    op.create_table('key_stats',
    sa.Column('key', sa.String(length=450), nullable=False),
    sa.Column('postings', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('observations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=450), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=300), nullable=False),
    sa.Column('seen', sa.BigInteger(), nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=True),
    sa.Column('listed', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key', 'incident_id')
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observations_incident_id'), ['incident_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observations_incident_id'))

    op.drop_table('observations')
    op.drop_table('key_stats')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_anchor'))

    op.drop_table('campaigns')

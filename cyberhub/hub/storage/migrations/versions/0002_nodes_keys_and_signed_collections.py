"""nodes, keys and signed collections

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:32:07.558841
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accepted_tokens',
    sa.Column('jti', sa.String(length=100), nullable=False),
    sa.Column('expires', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('jti')
    )
    with op.batch_alter_table('accepted_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accepted_tokens_expires'), ['expires'], unique=False)

    op.create_table('nodes',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('land', sa.String(length=2), nullable=False),
    sa.Column('identity_id', sa.String(length=100), nullable=False),
    sa.Column('identity', sa.Text(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('identity_id'),
    sa.UniqueConstraint('slug')
    )
    op.create_table('enrollment_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('expires', sa.BigInteger(), nullable=False),
    sa.Column('used_at', sa.BigInteger(), nullable=True),
    sa.Column('sealed_password', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('enrollment_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enrollment_tokens_node_id'), ['node_id'], unique=False)

    op.create_table('node_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('jwk', sa.Text(), nullable=False),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.Column('revoked_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kid')
    )
    with op.batch_alter_table('node_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_node_keys_node_id'), ['node_id'], unique=False)

    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed', sa.Boolean(), server_default=sa.false(), nullable=False))
    # Town reports must be signed; hubs set up before signing existed get that now.
    op.execute(sa.text("UPDATE collections SET signed = :yes WHERE alias = 'reports'")
               .bindparams(yes=True))



def downgrade() -> None:
    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.drop_column('signed')

    with op.batch_alter_table('node_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_node_keys_node_id'))

    op.drop_table('node_keys')
    with op.batch_alter_table('enrollment_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_enrollment_tokens_node_id'))

    op.drop_table('enrollment_tokens')
    op.drop_table('nodes')
    with op.batch_alter_table('accepted_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accepted_tokens_expires'))

    op.drop_table('accepted_tokens')

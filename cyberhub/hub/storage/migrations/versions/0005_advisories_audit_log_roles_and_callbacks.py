"""advisories, audit log, roles and callbacks

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:32:30.635941
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.BigInteger(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_log_subject'), ['subject'], unique=False)

    op.create_table('advisories',
    sa.Column('id', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=250), nullable=False),
    sa.Column('tlp', sa.String(length=16), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('campaign_id', sa.String(length=100), nullable=True),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.Column('updated', sa.BigInteger(), nullable=False),
    sa.Column('published_version', sa.String(length=40), nullable=True),
    sa.Column('published_tlp', sa.String(length=16), nullable=True),
    sa.Column('published_content', sa.Text(), nullable=True),
    sa.Column('published_at', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['approver_id'], ['accounts.id'], ),
    sa.ForeignKeyConstraint(['author_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('advisory_objects',
    sa.Column('advisory_id', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['advisory_id'], ['advisories.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('advisory_id', 'object_id')
    )
    with op.batch_alter_table('advisory_objects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisory_objects_object_id'), ['object_id'], unique=False)

    op.create_table('advisory_recipients',
    sa.Column('advisory_id', sa.String(length=100), nullable=False),
    sa.Column('node_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('push_state', sa.String(length=20), nullable=False),
    sa.Column('push_version', sa.String(length=40), nullable=True),
    sa.Column('push_attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt', sa.BigInteger(), nullable=True),
    sa.Column('pushed_at', sa.BigInteger(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['advisory_id'], ['advisories.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['node_id'], ['nodes.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('advisory_id', 'node_id')
    )
    with op.batch_alter_table('advisory_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisory_recipients_next_attempt'), ['next_attempt'], unique=False)
        batch_op.create_index(batch_op.f('ix_advisory_recipients_node_id'), ['node_id'], unique=False)

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=20), nullable=True))

    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('addressed', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('callback_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('share_name', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_nodes_account_id'), ['account_id'], unique=False)

    # Advisories are addressed per town; administrators keep every right as the admin role.
    op.execute(sa.text("UPDATE collections SET addressed = :yes WHERE alias = 'advisories'")
               .bindparams(yes=True))
    op.execute(sa.text("UPDATE accounts SET role = 'admin' WHERE is_admin = :yes")
               .bindparams(yes=True))



def downgrade() -> None:
    with op.batch_alter_table('nodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nodes_account_id'))
        batch_op.drop_column('share_name')
        batch_op.drop_column('callback_url')

    with op.batch_alter_table('collections', schema=None) as batch_op:
        batch_op.drop_column('addressed')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('role')

    with op.batch_alter_table('advisory_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisory_recipients_node_id'))
        batch_op.drop_index(batch_op.f('ix_advisory_recipients_next_attempt'))

    op.drop_table('advisory_recipients')
    with op.batch_alter_table('advisory_objects', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisory_objects_object_id'))

    op.drop_table('advisory_objects')
    op.drop_table('advisories')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject'))
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')

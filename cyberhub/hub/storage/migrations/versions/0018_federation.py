"""federation: peer hubs, hubs enrolled as nodes, towns known through a hub, relays received

`nodes.hub`: the node is a downstream hub (a Land hub enrolled here as a node), not a town.
`nodes.relayed_by`: a town this hub knows only through that downstream hub's forwards (its
keys are the ones that hub attested); NULL for the hub's own towns. `advisory_receipts.sent_up`:
for a receipt on an upstream's advisory, the `at` of the version of it sent up.
`peers`: the other hubs this one works with - an upstream it forwards to (with the account it
holds there, its password sealed) and downstreams that forward to it - each with the JWKS
pinned when it was added. `relays`: every forward accepted from a downstream hub (the chain:
which hub, which relay key, which token).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 00:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch copy: on SQLite a copy drops the old table, and its
    # ON DELETE CASCADE would empty node_keys and every other table that refers to nodes.
    op.add_column("nodes", sa.Column("hub", sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.add_column("nodes", sa.Column("relayed_by", sa.Integer(), nullable=True))
    op.add_column("advisory_receipts", sa.Column("sent_up", sa.BigInteger(), nullable=True))
    op.create_index("ix_nodes_relayed_by", "nodes", ["relayed_by"])
    op.create_table(
        "peers",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("role", sa.String(12), nullable=False),
        sa.Column("url", sa.String(500), nullable=False),
        sa.Column("identity_id", sa.String(100), nullable=False, unique=True),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("jwks", sa.Text(), nullable=False),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("nodes.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("username", sa.String(100), nullable=True),
        sa.Column("sealed_password", sa.Text(), nullable=True),
        sa.Column("api_root", sa.String(500), nullable=True),
        sa.Column("collection_id", sa.String(100), nullable=True),
        sa.Column("cursor", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("down_cursor", sa.String(40), nullable=True),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("last_attempt", sa.BigInteger(), nullable=True),
        sa.Column("last_success", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt", sa.BigInteger(), nullable=True),
        sa.Column("running_until", sa.BigInteger(), nullable=True),
        sa.Column("forwarded", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("refused", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "relays",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
                  autoincrement=True),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("nodes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("jti", sa.String(100), nullable=False),
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("received", sa.BigInteger(), nullable=False),
        sa.Column("stored", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("relays")
    op.drop_table("peers")
    op.drop_index("ix_nodes_relayed_by", table_name="nodes")
    op.drop_column("nodes", "relayed_by")  # SQLite 3.35 and later drop a column in place
    op.drop_column("nodes", "hub")
    op.drop_column("advisory_receipts", "sent_up")

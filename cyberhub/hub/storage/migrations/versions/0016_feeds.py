"""the scheduled feed sync's state

`feeds`: one row per feed the hub knows of (a shipped file or one an operator added, whose
definition is kept here); whether it is switched on (NULL: as its file says), its cursors and
conditional-GET validators, when it is due next and who holds its run, and its health.
`feed_entries`: one row per entry a feed brought, with the STIX object it became, the key
the correlation index uses for its value, a digest of what the feed said (a changed entry gets
a new version) and when it was last seen (to expire what the feed no longer lists).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 13:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feeds",
        sa.Column("name", sa.String(63), primary_key=True),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("definition", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("next_due", sa.BigInteger(), nullable=True),
        sa.Column("running_until", sa.BigInteger(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_attempt", sa.BigInteger(), nullable=True),
        sa.Column("last_success", sa.BigInteger(), nullable=True),
        sa.Column("confirmed", sa.BigInteger(), nullable=True),
        sa.Column("last_counts", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_table(
        "feed_entries",
        sa.Column("feed", sa.String(63), sa.ForeignKey("feeds.name", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("object_id", sa.String(300), primary_key=True),
        sa.Column("collection", sa.String(36), nullable=False),
        sa.Column("key", sa.String(420), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("grp", sa.String(200), nullable=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sa.Column("modified", sa.BigInteger(), nullable=False),
        sa.Column("last_seen", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
    )
    op.create_index("ix_feed_entries_key", "feed_entries", ["key"])
    op.create_index("ix_feed_entries_feed_state_last_seen", "feed_entries",
                    ["feed", "state", "last_seen"])


def downgrade() -> None:
    op.drop_index("ix_feed_entries_feed_state_last_seen", table_name="feed_entries")
    op.drop_index("ix_feed_entries_key", table_name="feed_entries")
    op.drop_table("feed_entries")
    op.drop_table("feeds")

"""console indexes on the inbox

Indexes that let the console's aggregates over all town reports be answered from an index:
- `(first_reported, land, types)` in place of `(first_reported)`: the Lagebild's new reports
  by Land and type in a period, without reading the table;
- `(stage, last_reported)` beside `(stage, first_reported)`: the count of notifications
  without a final report;
- `(node_id, last_reported)` in place of `(node_id)`: each town's last report (Kommunen) by one
  index probe per town, and a town's reports newest first.
On SQLite, a database analysed before gets the new indexes analysed too: beside measured
indexes, the planner takes its default figures for unmeasured ones, and with those it walked
every town's reports and sorted them all for the first page of the inbox.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_town_reports_first_land_types", "town_reports",
                    ["first_reported", "land", "types"])
    op.drop_index("ix_town_reports_first_reported", "town_reports")
    op.create_index("ix_town_reports_stage_last", "town_reports", ["stage", "last_reported"])
    op.create_index("ix_town_reports_node_last", "town_reports", ["node_id", "last_reported"])
    op.drop_index("ix_town_reports_node_id", "town_reports")
    _analyse_if_analysed()


def _analyse_if_analysed() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL plans from the table's statistics; autovacuum keeps them
    if connection.scalar(sa.text("SELECT count(*) FROM sqlite_master "
                                 "WHERE name = 'sqlite_stat1'")):
        op.execute("ANALYZE town_reports")


def downgrade() -> None:
    op.create_index("ix_town_reports_node_id", "town_reports", ["node_id"])
    op.drop_index("ix_town_reports_node_last", "town_reports")
    op.drop_index("ix_town_reports_stage_last", "town_reports")
    op.create_index("ix_town_reports_first_reported", "town_reports", ["first_reported"])
    op.drop_index("ix_town_reports_first_land_types", "town_reports")

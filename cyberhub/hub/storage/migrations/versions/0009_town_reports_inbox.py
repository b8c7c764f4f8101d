"""town reports inbox

One row per town incident for the console's inbox (filters, triage, assignee), and analysts'
internal notes. Existing incidents are indexed from the stored objects (name, description,
stage, types, TLP, who reported, when); their observable values are indexed from the next
version on.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 08:00:00.000000
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

INCIDENT_CORE = "extension-definition--ef765651-680c-498d-9894-99799f2fa126"
STAGE_LABEL = "cyberhub:stage="
TLP = {
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
}
ORDER = ["clear", "green", "amber", "amber+strict", "red"]


def upgrade() -> None:
    reports = op.create_table(
        "town_reports",
        sa.Column("pk", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(300), nullable=False, unique=True),
        sa.Column("node_id", sa.Integer(), sa.ForeignKey("nodes.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("land", sa.String(2), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("stage", sa.String(20), nullable=True),
        sa.Column("types", sa.String(300), nullable=False),
        sa.Column("tlp", sa.String(16), nullable=True),
        sa.Column("first_reported", sa.BigInteger(), nullable=False),
        sa.Column("last_reported", sa.BigInteger(), nullable=False),
        sa.Column("versions", sa.Integer(), nullable=False),
        sa.Column("triage", sa.String(20), nullable=False),
        sa.Column("assignee_id", sa.Integer(),
                  sa.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True),
        sa.Column("search", sa.Text(), nullable=False),
    )
    op.create_index("ix_town_reports_last_reported_pk", "town_reports",
                    ["last_reported", "pk"])
    op.create_table(
        "report_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(300),
                  sa.ForeignKey("town_reports.incident_id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("author_id", sa.Integer(), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )
    _backfill(reports)


def _backfill(reports: sa.Table) -> None:
    connection = op.get_bind()
    nodes = {identity: (node_id, land) for node_id, identity, land in connection.execute(
        sa.text("SELECT id, identity_id, land FROM nodes"))}
    found: dict[str, dict] = {}
    rows = connection.execute(sa.text(
        "SELECT o.body, o.date_added FROM objects o JOIN collections c "
        "ON c.id = o.collection_id WHERE c.alias = 'reports' AND o.type = 'incident' "
        "ORDER BY o.date_added"))
    for body, added in rows:
        incident = json.loads(body)
        node = nodes.get(incident.get("created_by_ref"))
        if node is None:
            continue
        core = (incident.get("extensions") or {}).get(INCIDENT_CORE) or {}
        stage = next((label[len(STAGE_LABEL):] for label in incident.get("labels") or []
                      if isinstance(label, str) and label.startswith(STAGE_LABEL)), None)
        levels = [TLP[ref] for ref in incident.get("object_marking_refs") or [] if ref in TLP]
        row = found.setdefault(incident["id"], {
            "incident_id": incident["id"], "node_id": node[0], "land": node[1],
            "first_reported": added, "versions": 0, "triage": "new", "assignee_id": None})
        row.update(
            name=str(incident.get("name") or "")[:300],
            stage=stage if stage in ("early-warning", "notification", "final") else None,
            types=",".join(t for t in core.get("incident_types") or []
                           if isinstance(t, str))[:300],
            tlp=max(levels, key=ORDER.index) if levels else None,
            last_reported=added, versions=row["versions"] + 1,
            search=" ".join([str(incident.get("name") or ""),
                             str(incident.get("description") or "")]).lower()[:4000])
    if found:
        op.bulk_insert(reports, list(found.values()))


def downgrade() -> None:
    op.drop_table("report_notes")
    op.drop_index("ix_town_reports_last_reported_pk", "town_reports")
    op.drop_table("town_reports")

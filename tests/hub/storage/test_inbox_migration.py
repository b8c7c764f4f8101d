"""Migration 0009 indexes the incidents a hub already holds, so the inbox is complete on the
day of the upgrade."""

from __future__ import annotations

from alembic import command
from conftest import post_objects
from sqlalchemy import text

from cyberhub.hub import inbox
from cyberhub.hub.storage.database import alembic_config
from hub.test_inbox import town_report


def test_the_upgrade_indexes_stored_town_reports(client, db, make_town, collection_ids):
    town = make_town("aue", "SN")
    objects = town_report(town, stage="notification", types=("ransomware",))
    answer = post_objects(client, town.headers, collection_ids["reports"], town.sign(objects))
    assert answer.status_code == 202
    config = alembic_config(db.url)
    with db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008")  # as before the upgrade: no inbox
        assert connection.execute(text(
            "SELECT count(*) FROM objects WHERE type = 'incident'")).scalar() == 1
        command.upgrade(config, "head")
    with db.session() as session:
        row = inbox.get(session, objects[1]["id"])
    assert row["town"] == "aue" and row["land"] == "SN" and row["stage"] == "notification"
    assert row["types"] == ["ransomware"] and row["tlp"] == "amber" and row["versions"] == 1

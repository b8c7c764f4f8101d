"""Who gets which indicators: the TAXII rights, the towns' visibility rule, TLP:RED only for
analysts; and the three sources (collection, campaign, advisory)."""

from __future__ import annotations

import json

import pytest
from conftest import PASSWORD

from cyberhub.core import timestamps
from cyberhub.hub import accounts
from cyberhub.hub.correlation import verdicts
from cyberhub.hub.exports import service, sources
from cyberhub.hub.storage.models import CampaignRecord
from hub.exports.conftest import IN_FORCE_VALUES


def _reader(db, username: str, password: str = PASSWORD) -> sources.Reader:
    with db.session() as session:
        principal = accounts.authenticate(session, username, password,
                                          accounts.CredentialCache())
        assert principal is not None
        return sources.reader(session, principal)


def _town_reader(db, town) -> sources.Reader:
    username, password = _basic(town.headers)
    return _reader(db, username, password)


def _basic(headers: dict) -> tuple[str, str]:
    import base64

    decoded = base64.b64decode(headers["Authorization"].split()[1]).decode()
    username, _, password = decoded.partition(":")
    return username, password


def _values(db, reader, kind="collection", name="indicators", **options) -> set[str]:
    with db.session() as session:
        made = service.export(session, reader, kind, name, "csv",
                              service.Options(now_us=timestamps.now_us(), **options))
    return {line.split(",")[1] for line in made.content.splitlines()[1:]}


def _refused(db, reader, kind="collection", name="indicators") -> sources.ExportError:
    with db.session() as session, pytest.raises(sources.ExportError) as refused:
        service.export(session, reader, kind, name, "csv",
                       service.Options(now_us=timestamps.now_us()))
    return refused.value


def test_reading_needs_the_read_right(db, stored_indicators, make_account):
    make_account("niemand")
    make_account("schreiber", write=["indicators"])
    make_account("misp-instanz", read=["indicators"])
    invisible = _refused(db, _reader(db, "niemand"))
    assert (invisible.status, invisible.code) == (404, "collection-not-found")
    write_only = _refused(db, _reader(db, "schreiber"))
    assert (write_only.status, write_only.code) == (403, "read-forbidden")
    assert _refused(db, sources.OPERATOR, name="gibt-es-nicht").status == 404
    assert _values(db, _reader(db, "misp-instanz")) == IN_FORCE_VALUES


def test_red_stays_with_the_analysts(db, stored_indicators, make_account):
    make_account("misp-instanz", read=["indicators"])
    with db.writing() as session:
        accounts.create_account(session, "ines", PASSWORD, now=timestamps.now_us(),
                                role="analyst")  # reads the indicators as every person does
    assert "80.66.88.10" not in _values(db, _reader(db, "misp-instanz"))
    assert "80.66.88.10" in _values(db, _reader(db, "ines"))
    assert "80.66.88.10" in _values(db, sources.OPERATOR)


def test_a_town_gets_only_what_is_addressed_to_it(db, amber_advisory, collection_ids):
    advisory_id, _, towns, outside = amber_advisory
    expected = {"ab" * 32, "rechnung-stadtwerke.example"}
    for town in towns:
        reader = _town_reader(db, town)
        assert _values(db, reader, "advisory", advisory_id) == expected
        assert _values(db, reader, "collection", "advisories") == expected
    stranger = _town_reader(db, outside)
    assert _refused(db, stranger, "advisory", advisory_id).status == 404
    assert _values(db, stranger, "collection", "advisories") == set()
    # The same advisory for everyone else who reads the collection.
    assert _values(db, sources.OPERATOR, "advisory", advisory_id[:14]) == expected


def test_a_withdrawn_advisory_exports_nothing_in_force(db, people, signer, amber_advisory):
    from cyberhub.hub.advisories import lifecycle

    advisory_id, _, towns, _ = amber_advisory
    with db.writing() as session:
        lifecycle.withdraw(session, people(session, "carla"), advisory_id, "Fehlalarm",
                           signer=signer, now=timestamps.now_us())
    reader = _town_reader(db, towns[0])
    assert _values(db, reader, "advisory", advisory_id) == set()
    assert _values(db, reader, "advisory", advisory_id, include_expired=True) == {
        "ab" * 32, "rechnung-stadtwerke.example"}


def test_a_campaign_exports_its_shared_evidence(db, people, campaign):
    campaign_id, towns, _ = campaign
    with db.session() as session:
        record = session.get(CampaignRecord, campaign_id)
        keys = {item["key"] for item in json.loads(record.explanation)["evidence"]}
    assert "hash:SHA-256:" + "ab" * 32 in keys
    assert _values(db, sources.OPERATOR, "campaign", campaign_id) == {
        "ab" * 32, "rechnung-stadtwerke.example"}
    analyst = _reader(db, "anna")
    assert _values(db, analyst, "campaign", campaign_id) == {
        "ab" * 32, "rechnung-stadtwerke.example"}
    town = _town_reader(db, towns[0])
    assert _refused(db, town, "campaign", campaign_id).status == 404
    assert _refused(db, analyst, "campaign", "campaign--nope").status == 404
    with db.writing() as session:
        verdicts.judge(session, people(session, "anna"), campaign_id, "dismissed",
                       "Testlauf der Stadtwerke", now=timestamps.now_us())
    assert _values(db, analyst, "campaign", campaign_id) == set()
    assert len(_values(db, analyst, "campaign", campaign_id, include_expired=True)) == 2


@pytest.mark.parametrize("key, expected", [
    ("ipv4:51.75.72.240", ("ipv4", "51.75.72.240")),
    ("hash:SHA-256:" + "AB" * 32, ("sha256", "ab" * 32)),
    ("url:http://rechnung.example/a", ("url", "http://rechnung.example/a")),
    # Neighbourhoods, families and techniques name nothing to block.
    ("ipv4-24:51.75.72.0/24", None), ("regdomain:stadtwerke.example", None),
    ("malware:emotet", None), ("technique:T1566", None), ("hash:SSDEEP:3:abc:def", None),
    ("ipv4:kein-wert", None),
])
def test_evidence_keys_that_are_values(key, expected):
    assert sources._evidence_value(key) == expected

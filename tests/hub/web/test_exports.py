"""The export endpoints over HTTP: TAXII's authentication and rights, the right Content-Type,
and every failure a JSON error body."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import PASSWORD, basic
from pymisp import MISPEvent

from cyberhub.core import timestamps
from cyberhub.hub import accounts
from hub.exports.conftest import (  # noqa: F401 - fixtures
    IN_FORCE_VALUES,
    amber_advisory,
    campaign,
    people,
    stored_indicators,
)
from hub.exports.test_suricata import check


def _error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type == "application/json"
    body = response.get_json()
    assert body["http_status"] == str(status)
    if code:
        assert body["error_code"] == code
    return body


def _values(response) -> set[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {row["value"] for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}


def test_each_format_with_its_content_type(client, admin, stored_indicators):  # noqa: F811
    response = client.get("/exports/collections/indicators.csv", headers=admin)
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="cyberhub-collection-indicators.csv"'
    assert response.headers["X-Cyberhub-Indicators"] == "6"
    assert _values(response) == IN_FORCE_VALUES | {"80.66.88.10"}

    response = client.get("/exports/collections/indicators.misp", headers=admin)
    assert response.content_type == "application/json"
    event = MISPEvent()
    event.load(response.get_data(as_text=True))
    assert ("ip-dst", "51.75.72.240") in {(a.type, a.value) for a in event.attributes}

    response = client.get("/exports/collections/indicators.suricata?sid_base=1500000",
                          headers=admin)
    assert response.content_type == "text/plain; charset=utf-8"
    rules = check(response.get_data(as_text=True), base=1_500_000)
    assert min(int(rule["sid"]) for rule in rules) == 1_500_000

    response = client.get("/exports/collections/indicators.domain", headers=admin)
    assert response.get_data(as_text=True) == "rechnung-download.example\n"
    response = client.get("/exports/collections/indicators.ip?all=true", headers=admin)
    assert "45.9.148.21" in response.get_data(as_text=True).split()
    response = client.get("/exports/collections/indicators.rpz", headers=admin)
    assert "rechnung-download.example CNAME ." in response.get_data(as_text=True)


def test_credentials_and_rights(client, db, stored_indicators, make_account):  # noqa: F811
    url = "/exports/collections/indicators.csv"
    missing = client.get(url)
    _error(missing, 401, "unauthorized")
    assert missing.headers["WWW-Authenticate"].startswith("Basic")
    _error(client.get(url, headers=basic("admin", "falsch")), 401)
    _error(client.get(url, headers=make_account("niemand")), 404, "collection-not-found")
    _error(client.get(url, headers=make_account("schreiber", write=["indicators"])), 403,
           "read-forbidden")
    machine = make_account("misp-instanz", read=["indicators"])
    assert _values(client.get(url, headers=machine)) == IN_FORCE_VALUES  # no RED
    with db.writing() as session:
        accounts.create_account(session, "ines", PASSWORD, now=timestamps.now_us(),
                                role="analyst")
    assert "80.66.88.10" in _values(client.get(url, headers=basic("ines", PASSWORD)))


def test_a_town_reads_only_what_is_addressed_to_it(client, amber_advisory):  # noqa: F811
    advisory_id, campaign_id, towns, outside = amber_advisory
    url = f"/exports/advisories/{advisory_id}.csv"
    expected = {"ab" * 32, "rechnung-stadtwerke.example"}
    assert _values(client.get(url, headers=towns[0].headers)) == expected
    _error(client.get(url, headers=outside.headers), 404, "advisory-not-found")
    assert _values(client.get("/exports/collections/advisories.csv",
                              headers=outside.headers)) == set()
    _error(client.get(f"/exports/campaigns/{campaign_id}.csv", headers=towns[0].headers), 404)


def test_a_campaign_for_an_analyst(client, people, campaign):  # noqa: F811
    campaign_id = campaign[0]
    analyst = basic("anna", PASSWORD)
    response = client.get(f"/exports/campaigns/{campaign_id}.suricata", headers=analyst)
    assert response.status_code == 200
    rules = check(response.get_data(as_text=True), base=1_000_000)
    assert {r["protocol"] for r in rules} == {"dns", "tls"}


@pytest.mark.parametrize("path, status", [
    ("/exports/collections/indicators.stix1", 404),
    ("/exports/collections/indicators", 404),
    ("/exports/collections/.csv", 404),
    ("/exports/collections/gibt-es-nicht.csv", 404),
    ("/exports/campaigns/campaign--00000000-0000-4000-8000-000000000000.csv", 404),
    ("/exports/advisories/report--00000000-0000-4000-8000-000000000000.misp", 404),
    ("/exports/collections/indicators.suricata?sid_base=0", 400),
    ("/exports/collections/indicators.suricata?sid_base=4294967295", 400),
    ("/exports/collections/indicators.suricata?sid_base=-5", 400),
    ("/exports/collections/indicators.csv?all=ja", 400),
    ("/exports/collections/indi%00cators.csv", 400),
    ("/exports/collections/" + "x" * 5000 + ".csv", 404),
])
def test_bad_requests_are_json_errors_never_a_500(client, admin, stored_indicators, path,  # noqa: F811
                                                  status):
    _error(client.get(path, headers=admin), status)

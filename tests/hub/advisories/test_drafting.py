"""An advisory drafted from a campaign cites what the feeds say about its CVEs: the entry in
CISA's catalogue of exploited vulnerabilities and the CERT-Bund advisory (CSAF) that covers
it, in the text for the towns and as references of the published STIX report."""

from __future__ import annotations

import json
import uuid

from conftest import post_objects
from sqlalchemy import select

from cyberhub.hub.advisories import content, drafting
from cyberhub.hub.storage.models import CampaignRecord
from hub.advisories.conftest import campaign_report
from hub.feeds.conftest import fixture_bytes, shipped
from hub.feeds.formats.test_csaf import Provider, feed_for, keys  # noqa: F401 - the fixture

KEV_CVE, CSAF_CVE = "CVE-2024-3400", "CVE-2026-21740"


def _with_cves(town, n: int) -> list[dict]:
    objects = campaign_report(town, n)
    stamp = objects[1]["created"]
    for cve in (KEV_CVE, CSAF_CVE):
        objects.append({"type": "vulnerability", "spec_version": "2.1",
                        "id": f"vulnerability--{uuid.uuid4()}", "created": stamp,
                        "modified": stamp, "created_by_ref": town.identity, "name": cve,
                        "external_references": [{"source_name": "cve", "external_id": cve}]})
    return objects


def test_a_draft_cites_the_kev_entry_and_the_cert_bund_advisory_of_its_cves(
        db, client, collection_ids, make_town, run_feed, httpserver, tmp_path,
        keys):  # noqa: F811
    httpserver.expect_request("/kev.json").respond_with_data(
        fixture_bytes("known_exploited_vulnerabilities.json"))
    assert not run_feed(shipped("cisa-kev", httpserver.url_for("/kev.json"))).failed
    provider = Provider(httpserver, tmp_path, keys["provider"])
    assert not run_feed(feed_for(provider)).failed
    for n, (slug, land) in enumerate((("aue", "SN"), ("brilon", "NW"), ("celle", "NI"))):
        town = make_town(slug, land)
        assert post_objects(client, town.headers, collection_ids["reports"],
                            town.sign(_with_cves(town, n))).status_code == 202
    with db.session() as session:
        campaign_id = session.scalar(select(CampaignRecord.id)
                                     .where(CampaignRecord.state == "active"))
        document = drafting.from_campaign(session, campaign_id)

    cited = {(r.source, r.external_id) for r in document.references}
    assert ("CISA Known Exploited Vulnerabilities", KEV_CVE) in cited
    assert ("CERT-Bund WID-Sicherheitshinweise", "WID-SEC-W-2026-0101") in cited
    advisory = next(r for r in document.references if r.external_id == "WID-SEC-W-2026-0101")
    assert advisory.url.startswith("https://")
    assert f"- {KEV_CVE}: " in document.summary.de and f"- {CSAF_CVE}: OpenSSH" in \
        document.summary.de
    report = next(o for o in content.build(
        "report--5d3c1a52-8a33-4d0b-9a51-0d2f6a8d0a01", document,
        created="2026-12-05T10:00:00.000Z", modified="2026-12-05T10:00:00.000Z",
        hub_identity="identity--5d3c1a52-8a33-4d0b-9a51-0d2f6a8d0a02") if o["type"] == "report")
    assert {"source_name": "CISA Known Exploited Vulnerabilities", "external_id": KEV_CVE} \
        in [{k: v for k, v in r.items() if k != "url"} for r in report["external_references"]]
    assert json.dumps(report["external_references"]).count("WID-SEC-W-2026-0101") == 1

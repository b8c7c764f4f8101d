"""CSAF 2.0 providers: a provider tree as CERT-Bund publishes it (provider-metadata.json,
changes.csv, a ROLIE feed, documents in year folders with .sha256/.sha512), served by a real
local HTTP server. The OpenPGP keys and the documents' .asc signatures are made at test time
(no private key in the repository); the provider-metadata.json gets the test key's
fingerprint and the server's address before it is served."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pysequoia
import pytest

from cyberhub.core import timestamps, tlp
from cyberhub.hub.feeds import definitions, objects
from hub.feeds.conftest import DAY_US, FIXTURES, entries, shipped, stored

TREE = FIXTURES / "csaf"
HOST = "https://csaf.cert-bund.example"   # where the fixture files say they live
ROOT = "/.well-known/csaf"
GOOD = {"WID-SEC-W-2026-0101", "WID-SEC-W-2026-0102", "WID-SEC-W-2025-2871"}
CVES = {"CVE-2026-21740", "CVE-2026-21741", "CVE-2026-0871"}


@pytest.fixture(scope="module")
def keys() -> dict[str, pysequoia.Tsk]:
    return {"provider": pysequoia.Tsk.generate("CSAF Provider <csaf-provider@cert-bund.example>"),
            "other": pysequoia.Tsk.generate("Someone else <csaf@elsewhere.example>")}


def fingerprint(key: pysequoia.Tsk) -> str:
    return key.extract_certificate().fingerprint.upper()


class Provider:
    """The fixture tree copied to tmp_path, signed, and served under /.well-known/csaf/."""

    def __init__(self, httpserver, tmp_path: Path, key: pysequoia.Tsk, *,
                 signers: dict[str, pysequoia.Tsk] | None = None,
                 served_key: pysequoia.Tsk | None = None) -> None:
        self.server = httpserver
        self.tree = tmp_path / "provider"
        self.key = key
        shutil.copytree(TREE, self.tree)
        base = httpserver.url_for("").rstrip("/")
        for name in ("provider-metadata.json", "white/bsi-wid-white.json"):
            path = self.tree / name
            path.write_text(path.read_text(encoding="utf-8").replace(HOST, base),
                            encoding="utf-8")
        listed = fingerprint(key)
        self.metadata(public_openpgp_keys=[
            {"fingerprint": listed, "url": f"{base}{ROOT}/openpgp/{listed}.asc"}])
        (self.tree / "openpgp").mkdir()
        (self.tree / "openpgp" / f"{listed}.asc").write_text(
            str((served_key or key).extract_certificate()))
        for document in (self.tree / "white").glob("*/*.json"):
            self.sign(document, (signers or {}).get(document.name, key))
        httpserver.no_handler_status_code = 404
        self.serve()

    def url(self, path: str = "provider-metadata.json") -> str:
        return self.server.url_for(f"{ROOT}/{path}")

    def metadata(self, **changes) -> None:
        path = self.tree / "provider-metadata.json"
        found = json.loads(path.read_text(encoding="utf-8"))
        found.update(changes)
        path.write_text(json.dumps(found, indent=2, ensure_ascii=False), encoding="utf-8")

    def sign(self, document: Path, key: pysequoia.Tsk | None = None) -> None:
        signature = pysequoia.sign((key or self.key).signer(), document.read_bytes(),
                                   mode=pysequoia.SignatureMode.DETACHED)
        document.with_name(document.name + ".asc").write_bytes(signature)

    def serve(self) -> None:
        """Every file of the tree, as it is now (after the test changed it)."""
        self.server.clear_all_handlers()
        for path in sorted(self.tree.rglob("*")):
            if path.is_file():
                self.server.expect_request(f"{ROOT}/{path.relative_to(self.tree)}") \
                    .respond_with_data(path.read_bytes())

    def requested(self) -> list[str]:
        return [request.path.removeprefix(f"{ROOT}/") for request, _ in self.server.log]


def feed_for(provider: Provider, key: pysequoia.Tsk | None = None, **csaf) -> definitions.Feed:
    pinned = definitions.Csaf(openpgp_fingerprint=fingerprint(key or provider.key), **csaf)
    return shipped("certbund-wid", provider.url(), csaf=pinned)


def by_name(db, stix_type: str) -> dict[str, dict]:
    return {o["name"] if stix_type == "vulnerability" else o["external_references"][0]
            ["external_id"]: o for o in stored(db, "vulnerabilities") if o["type"] == stix_type}


def digest(path: Path, algorithm: str) -> str:
    return hashlib.new(algorithm, path.read_bytes()).hexdigest()


def test_signed_documents_become_reports_and_vulnerabilities_and_bad_ones_are_named(
        hub, run_feed, httpserver, tmp_path, keys):
    provider = Provider(httpserver, tmp_path, keys["provider"])
    feed = feed_for(provider)

    result = run_feed(feed)

    assert not result.failed, result.errors
    assert (result.fetched, result.added, result.skipped) == (5, 6, 2)
    reports, vulnerabilities = by_name(hub.db, "report"), by_name(hub.db, "vulnerability")
    assert set(reports) == GOOD and set(vulnerabilities) == CVES
    openssh = reports["WID-SEC-W-2026-0101"]
    document = provider.tree / "white/2026/wid-sec-w-2026-0101.json"
    assert openssh["name"] == ("OpenSSH: Mehrere Schwachstellen ermöglichen Umgehen von "
                               "Sicherheitsvorkehrungen")
    assert openssh["published"] == "2026-01-20T23:00:00.000Z"
    assert openssh["report_types"] == ["vulnerability"]
    assert openssh["description"].startswith("Ein entfernter, anonymer Angreifer kann mehrere")
    assert sorted(openssh["object_refs"]) == sorted(
        vulnerabilities[cve]["id"] for cve in ("CVE-2026-21740", "CVE-2026-21741"))
    assert openssh["external_references"] == [
        {"source_name": "CERT-Bund WID-Sicherheitshinweise",
         "url": "https://wid.cert-bund.example/portal/wid/securityadvisory"
                "?name=WID-SEC-2026-0101", "external_id": "WID-SEC-W-2026-0101"},
        {"source_name": "csaf", "url": provider.url("white/2026/wid-sec-w-2026-0101.json"),
         "hashes": {"SHA-256": digest(document, "sha256"),
                    "SHA-512": digest(document, "sha512")},
         "external_id": "WID-SEC-W-2026-0101"}]
    assert openssh["x_cyberhub_csaf"] == {
        "severity": "hoch", "products": [{"vendor": "Open Source", "product": "OpenSSH"}],
        "cves": ["CVE-2026-21740", "CVE-2026-21741"], "version": "2",
        "current_release_date": "2026-01-21T23:00:00.000Z"}
    assert openssh["object_marking_refs"] == [tlp.IDS["clear"]]
    # Only a .sha512 is published for the Firefox advisory: that one is checked and cited.
    assert set(reports["WID-SEC-W-2026-0102"]["external_references"][1]["hashes"]) == {
        "SHA-512"}
    # An advisory without a CVE references the provider, as STIX needs a reference.
    assert reports["WID-SEC-W-2025-2871"]["object_refs"] == [objects.identity_id(feed)]
    assert vulnerabilities["CVE-2026-0871"]["external_references"][-1] == {
        "source_name": "cve", "external_id": "CVE-2026-0871"}
    # The tampered Apache advisory and the cut-off GitLab one are not used, and say why.
    problems = "\n".join(result.errors)
    assert "wid-sec-w-2026-0103.json: SHA512 in wid-sec-w-2026-0103.json.sha512 does not " \
           "match" in problems
    assert "wid-sec-w-2026-0104.json: not JSON" in problems
    assert not {"CVE-2026-23918", "CVE-2026-23919", "CVE-2026-0723"} & set(vulnerabilities)
    assert not [o for o in stored(hub.db, "indicators") if o["type"] in ("report",
                                                                          "vulnerability")]


def test_a_second_run_downloads_nothing_new_and_a_changed_advisory_alone_is_fetched(
        hub, run_feed, httpserver, tmp_path, keys):
    provider = Provider(httpserver, tmp_path, keys["provider"])
    feed = feed_for(provider)
    first = timestamps.now_us()
    run_feed(feed, now=first)
    httpserver.clear_log()

    again = run_feed(feed, now=first + DAY_US)

    assert (again.added, again.updated, again.skipped) == (0, 0, 0), again.errors
    assert sorted(provider.requested()) == [
        f"openpgp/{fingerprint(keys['provider'])}.asc", "provider-metadata.json",
        "white/changes.csv"]

    # CERT-Bund revises the OpenSSH advisory (a third CVE) a year later.
    path = provider.tree / "white/2026/wid-sec-w-2026-0101.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["document"]["tracking"]["current_release_date"] = "2026-11-30T08:00:00.000+00:00"
    document["document"]["tracking"]["version"] = "3"
    document["vulnerabilities"].append({"cve": "CVE-2026-21742", "title": "CVE-2026-21742"})
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    for algorithm in ("sha256", "sha512"):
        path.with_name(path.name + "." + algorithm).write_text(
            f"{digest(path, algorithm)}  {path.name}\n")
    provider.sign(path)
    changes = provider.tree / "white/changes.csv"
    changes.write_text('"2026/wid-sec-w-2026-0101.json","2026-11-30T08:00:00.000+00:00"\n'
                       + changes.read_text())
    provider.serve()
    httpserver.clear_log()

    later = run_feed(feed, now=first + 400 * DAY_US)

    assert (later.added, later.updated, later.expired) == (1, 1, 0), later.errors
    assert [name for name in provider.requested() if name.startswith("white/20")] == [
        "white/2026/wid-sec-w-2026-0101.json", "white/2026/wid-sec-w-2026-0101.json.sha512",
        "white/2026/wid-sec-w-2026-0101.json.sha256",
        "white/2026/wid-sec-w-2026-0101.json.asc"]
    assert by_name(hub.db, "report")["WID-SEC-W-2026-0101"]["x_cyberhub_csaf"]["version"] == "3"
    # Unchanged advisories were still listed: 400 days on, none of them expired.
    states = entries(hub.db, "certbund-wid")
    assert len(states) == 7 and set(states.values()) == {"active"}


def test_a_document_signed_by_another_key_is_not_used(
        hub, run_feed, httpserver, tmp_path, keys):
    provider = Provider(httpserver, tmp_path, keys["provider"],
                        signers={"wid-sec-w-2026-0102.json": keys["other"]})

    result = run_feed(feed_for(provider))

    assert not result.failed
    assert set(by_name(hub.db, "report")) == GOOD - {"WID-SEC-W-2026-0102"}
    assert "CVE-2026-0871" not in by_name(hub.db, "vulnerability")
    problem = next(line for line in result.errors if "wid-sec-w-2026-0102.json" in line)
    assert "does not verify with the pinned key" in problem
    assert "(issuer " in problem  # names the (sub)key that did sign it


@pytest.mark.parametrize("case", ["listed", "served"])
def test_a_provider_key_that_is_not_the_pinned_one_fails_the_run(
        hub, run_feed, httpserver, tmp_path, keys, case):
    if case == "listed":  # the provider (now) names another key
        provider = Provider(httpserver, tmp_path, keys["other"])
    else:  # it names the pinned fingerprint, but its server hands out another key
        provider = Provider(httpserver, tmp_path, keys["provider"], served_key=keys["other"])

    result = run_feed(feed_for(provider, keys["provider"]))

    assert result.failed
    problem = result.errors[0]
    assert "pinned" in problem and fingerprint(keys["provider"]) in problem
    assert fingerprint(keys["other"]) in problem and "out of band" in problem
    assert not by_name(hub.db, "report")
    assert not [name for name in provider.requested() if name.startswith("white/20")]


def test_the_shipped_placeholder_fingerprint_refuses_to_run(hub, run_feed, httpserver,
                                                            tmp_path, keys):
    provider = Provider(httpserver, tmp_path, keys["provider"])
    feed = shipped("certbund-wid", provider.url())
    assert feed.url.endswith("/.well-known/csaf/provider-metadata.json")
    assert (feed.format, feed.every, feed.tlp, feed.enabled) == ("csaf", "6h", "clear", False)

    result = run_feed(feed)

    assert result.failed and "placeholder" in result.errors[0]
    assert provider.requested() == []


def test_the_rolie_feed_lists_the_documents_when_there_is_no_directory(
        hub, run_feed, httpserver, tmp_path, keys):
    provider = Provider(httpserver, tmp_path, keys["provider"])
    path = provider.tree / "provider-metadata.json"
    found = json.loads(path.read_text(encoding="utf-8"))
    del found["distributions"][0]["directory_url"]
    provider.metadata(distributions=found["distributions"])
    provider.serve()
    feed = feed_for(provider)

    result = run_feed(feed)

    assert (result.fetched, result.added, result.skipped) == (5, 6, 2), result.errors
    assert set(by_name(hub.db, "report")) == GOOD
    assert "white/changes.csv" not in provider.requested()
    httpserver.clear_log()
    assert run_feed(feed).added == 0
    assert not [name for name in provider.requested() if name.startswith("white/20")]


def test_a_document_that_could_not_be_downloaded_is_tried_again(
        hub, run_feed, httpserver, tmp_path, keys):
    provider = Provider(httpserver, tmp_path, keys["provider"])
    signature = provider.tree / "white/2025/wid-sec-w-2025-2871.json.asc"
    kept = signature.read_bytes()
    signature.unlink()
    provider.serve()
    feed = feed_for(provider)

    first = run_feed(feed)

    assert "WID-SEC-W-2025-2871" not in by_name(hub.db, "report")
    assert any("wid-sec-w-2025-2871.json: signature" in line and "tried again" in line
               for line in first.errors)
    signature.write_bytes(kept)
    provider.serve()
    httpserver.clear_log()

    second = run_feed(feed)

    assert second.added == 1 and "WID-SEC-W-2025-2871" in by_name(hub.db, "report")
    assert [name for name in provider.requested() if name.startswith("white/20")] == [
        "white/2025/wid-sec-w-2025-2871.json", "white/2025/wid-sec-w-2025-2871.json.sha512",
        "white/2025/wid-sec-w-2025-2871.json.sha256",
        "white/2025/wid-sec-w-2025-2871.json.asc"]


def test_the_key_may_come_from_a_file_beside_the_feed(hub, run_feed, httpserver, tmp_path,
                                                      keys):
    provider = Provider(httpserver, tmp_path, keys["provider"])
    provider.metadata(public_openpgp_keys=[])
    provider.serve()
    key_file = tmp_path / "certbund-csaf.asc"
    key_file.write_text(str(keys["provider"].extract_certificate()))

    result = run_feed(feed_for(provider, openpgp_key=str(key_file)))

    assert not result.failed and result.added == 6
    assert not [name for name in provider.requested() if name.startswith("openpgp/")]

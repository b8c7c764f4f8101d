"""`cyberhub export` from the command line: as the operator or as an account, to standard
output or a file, and one-line errors."""

from __future__ import annotations

import base64
import json

from conftest import PASSWORD
from pymisp import MISPEvent

from cyberhub.cli import main
from hub.exports.conftest import (  # noqa: F401 - fixtures
    IN_FORCE_VALUES,
    amber_advisory,
    campaign,
    people,
    stored_indicators,
)


def _credentials(town) -> tuple[str, str]:
    decoded = base64.b64decode(town.headers["Authorization"].split()[1]).decode()
    username, _, password = decoded.partition(":")
    return username, password


def _csv_values(output: str) -> set[str]:
    return {line.split(",")[1] for line in output.splitlines()[1:]}


def test_the_operator_exports_a_collection(runner, stored_indicators):  # noqa: F811
    result = runner.invoke(main, ["export", "collection", "indicators", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert _csv_values(result.output) == IN_FORCE_VALUES | {"80.66.88.10"}
    result = runner.invoke(main, ["export", "collection", "indicators", "--format", "ip",
                                  "--all"])
    assert "91.215.85.17" in result.output.split()


def test_as_an_account_with_its_rights(runner, stored_indicators, make_account):  # noqa: F811
    make_account("misp-instanz", read=["indicators"])
    make_account("niemand")
    command = ["export", "collection", "indicators", "--format", "csv", "--as"]
    result = runner.invoke(main, command + ["misp-instanz"],
                           env={"CYBERHUB_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert _csv_values(result.output) == IN_FORCE_VALUES  # no RED for a machine account
    refused = runner.invoke(main, command + ["niemand"], env={"CYBERHUB_PASSWORD": PASSWORD})
    assert refused.exit_code == 1
    assert refused.output.strip().splitlines() == [
        "error: no collection 'indicators', or it is not readable by this account"]
    wrong = runner.invoke(main, command + ["misp-instanz"], env={"CYBERHUB_PASSWORD": "x"})
    assert wrong.exit_code == 1 and "wrong password for 'misp-instanz'" in wrong.output


def test_to_a_file_with_a_summary(runner, stored_indicators, tmp_path):  # noqa: F811
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "event.json"
    result = runner.invoke(main, ["export", "collection", "indicators", "--format", "misp",
                                  "--output", str(target), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["indicators"] == 6 and summary["output"] == str(target)
    event = MISPEvent()
    event.load(target.read_text(encoding="utf-8"))
    assert ("sha256", "5f2b7c0d9e4a1b3c6d8e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e") in {
        (a.type, a.value) for a in event.attributes}
    assert [p.name for p in target.parent.iterdir()] == ["event.json"]  # no temporary left
    csv_file = tmp_path / "list.csv"
    runner.invoke(main, ["export", "collection", "indicators", "--format", "csv", "--output",
                         str(csv_file)])
    assert csv_file.read_bytes().count(b"\r\n") == 7  # RFC 4180 line ends kept in the file


def test_a_failed_export_writes_nothing(runner, stored_indicators, tmp_path):  # noqa: F811
    target = tmp_path / "rules"
    target.write_text("old rules\n", encoding="utf-8")
    result = runner.invoke(main, ["export", "collection", "indicators", "--format",
                                  "suricata", "--sid-base", "4294967291", "--output",
                                  str(target)])
    assert result.exit_code == 1 and "do not fit" in result.output
    assert target.read_text(encoding="utf-8") == "old rules\n"
    unknown = runner.invoke(main, ["export", "collection", "indicators", "--format", "stix1"])
    assert unknown.exit_code == 2 and "stix1" in unknown.output
    json_only = runner.invoke(main, ["export", "collection", "indicators", "--format", "ip",
                                     "--json"])
    assert json_only.exit_code == 1 and "--json describes what --output wrote" in \
        json_only.output


def test_campaign_and_advisory(runner, amber_advisory):  # noqa: F811
    advisory_id, campaign_id, towns, _ = amber_advisory
    expected = {"ab" * 32, "rechnung-stadtwerke.example"}
    result = runner.invoke(main, ["export", "campaign", campaign_id, "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert _csv_values(result.output) == expected
    # As a town the advisory reaches, with the town's own credentials.
    username, password = _credentials(towns[0])
    result = runner.invoke(main, ["export", "advisory", advisory_id, "--format", "csv",
                                  "--as", username], env={"CYBERHUB_PASSWORD": password})
    assert result.exit_code == 0, result.output
    assert _csv_values(result.output) == expected
    missing = runner.invoke(main, ["export", "campaign", "campaign--gibt-es-nicht",
                                   "--format", "csv"])
    assert missing.exit_code == 1
    assert missing.output == "error: no campaign 'campaign--gibt-es-nicht'\n"

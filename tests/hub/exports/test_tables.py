"""CSV and plain lists of stored indicators: every value of the indicators in force, formulas
defused, nothing from revoked, expired or combined patterns."""

from __future__ import annotations

import csv
import io

from cyberhub.core import timestamps
from cyberhub.hub.exports import service, sources
from cyberhub.hub.exports.tables import COLUMNS, defused, render_csv
from hub.exports.conftest import FORMULA_NAME, IN_FORCE_VALUES, SHA256


def _export(db, format_name: str, **options) -> str:
    with db.session() as session:
        return service.export(session, sources.OPERATOR, "collection", "indicators",
                              format_name, service.Options(now_us=timestamps.now_us(),
                                                           **options)).content


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_has_a_row_per_value_of_the_indicators_in_force(db, stored_indicators):
    text = _export(db, "csv")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    assert "\r\n" in text  # RFC 4180 line ends
    rows = _rows(text)
    assert {row["value"] for row in rows} == IN_FORCE_VALUES | {"80.66.88.10"}  # RED: operator
    c2 = next(row for row in rows if row["value"] == "51.75.72.240")
    assert c2 == {"type": "ipv4", "value": "51.75.72.240", "name": "Emotet C2",
                  "labels": "botnet-c2|emotet", "valid_from": "2026-11-02T08:00:00Z",
                  "valid_until": "2027-06-01T00:00:00Z", "source": "abuse.ch Feodo Tracker",
                  "indicator": stored_indicators["c2"]["id"]}
    phishing = {row["type"]: row["value"] for row in rows
                if row["indicator"] == stored_indicators["phishing"]["id"]}
    assert phishing == {"domain": "rechnung-download.example",
                        "url": "http://rechnung-download.example/invoice.php?id=7"}


def test_formula_cells_are_defused(db, stored_indicators):
    row = next(row for row in _rows(_export(db, "csv")) if row["type"] == "ipv6")
    assert row["name"] == "'" + FORMULA_NAME
    assert row["labels"] == "'+49 fraud|@team|-x"
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert defused(cell) == "'" + cell
    assert defused("Emotet C2") == "Emotet C2"


def test_formulas_are_defused_in_every_column():
    hostile = {"id": "indicator--00000000-0000-4000-8000-000000000001",
               "name": "-2+3", "labels": ["=x"], "pattern": "[ipv4-addr:value = '51.75.72.240']",
               "valid_from": "@now", "external_references": [{"source_name": "+feed"}]}
    row = _rows(render_csv([hostile]))[0]
    assert (row["name"], row["labels"], row["valid_from"], row["source"]) == (
        "'-2+3", "'=x", "'@now", "'+feed")


def test_all_adds_revoked_and_expired_but_never_a_combination(db, stored_indicators):
    values = {row["value"] for row in _rows(_export(db, "csv", include_expired=True))}
    assert {"45.9.148.21", "91.215.85.17"} <= values
    assert not {"193.42.33.9", "combo.example"} & values


def test_plain_lists_hold_one_value_per_line(db, stored_indicators):
    assert _export(db, "ip") == "51.75.72.240\n80.66.88.10\n2a01:4f8:1c17:9a2b::7\n"
    assert _export(db, "domain") == "rechnung-download.example\n"
    assert _export(db, "url") == "http://rechnung-download.example/invoice.php?id=7\n"
    assert _export(db, "sha256") == SHA256 + "\n"
    assert _export(db, "md5") == ""

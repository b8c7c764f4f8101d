"""One export: its format's media type and file name, and the errors a caller can cause."""

from __future__ import annotations

import pytest

from cyberhub.core import timestamps
from cyberhub.hub.exports import service, sources


def _export(db, kind, name, format_name, **options):
    with db.session() as session:
        return service.export(session, sources.OPERATOR, kind, name, format_name,
                              service.Options(now_us=timestamps.now_us(), **options))


@pytest.mark.parametrize("format_name, media_type, suffix", [
    ("misp", "application/json", ".misp.json"), ("csv", "text/csv; charset=utf-8", ".csv"),
    ("ip", "text/plain; charset=utf-8", ".txt"), ("suricata", "text/plain; charset=utf-8",
                                                  ".rules"),
    ("nft", "text/plain; charset=utf-8", ".nft"), ("rpz", "text/plain; charset=utf-8", ".rpz"),
])
def test_each_format_says_what_it_is(db, stored_indicators, format_name, media_type, suffix):
    made = _export(db, "collection", "indicators", format_name)
    assert made.media_type == media_type
    assert made.filename == f"cyberhub-collection-indicators{suffix}"
    assert made.indicators == 6  # in force: 5 with values, 1 a combination


def test_an_unknown_format_or_a_bad_sid_base_is_refused(db, stored_indicators):
    with pytest.raises(sources.ExportError, match="no export format 'stix1'") as refused:
        _export(db, "collection", "indicators", "stix1")
    assert refused.value.status == 404
    with pytest.raises(sources.ExportError, match="do not fit") as refused:
        _export(db, "collection", "indicators", "suricata", sid_base=2**32 - 2)
    assert refused.value.status == 400


def test_an_empty_collection_is_an_empty_export(db, collection_ids):
    assert _export(db, "collection", "scratch", "ip").content == ""
    assert _export(db, "collection", "scratch", "csv").content.count("\n") == 1
    assert '"Event"' in _export(db, "collection", "scratch", "misp").content

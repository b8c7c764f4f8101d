"""The agent's own blocklist files, made by the agent's code from what the reader may have."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cyberhub.agent import blocklists
from cyberhub.core import timestamps
from cyberhub.hub.exports import agent_files, service, sources
from hub.exports.conftest import INDICATORS


def _export(db, format_name: str, now_us: int | None = None, **options) -> str:
    with db.session() as session:
        return service.export(session, sources.OPERATOR, "collection", "indicators",
                              format_name, service.Options(now_us=now_us or timestamps.now_us(),
                                                           **options)).content


def _body(text: str) -> str:
    """Without the first line, which says when the file was made."""
    return text.split("\n", 1)[1]


def test_the_files_are_the_agents_own(db, stored_indicators):
    now = timestamps.now_us()
    expected = blocklists.render(
        blocklists.build(list(INDICATORS.values()), now=timestamps.stix_time(now)), header="",
        now_seconds=now // 1_000_000)
    for name, file_name in agent_files.FILES.items():
        # The same instant for both: the zone's serial is the time in seconds (a second that
        # turned between two clocks made this fail now and then).
        assert _body(_export(db, name, now)) == _body(expected[file_name]), name
    assert _export(db, "ip-blocklist").startswith(
        "# cyberhub export of collection indicators at ")
    rpz = _export(db, "rpz")
    assert "rechnung-download.example CNAME .\n*.rechnung-download.example CNAME .\n" in rpz
    # The zone's serial is the export's time in seconds, not the clock's when it is written.
    earlier = now - 86_400_000_000
    assert f" {earlier // 1_000_000} 3600 600" in _export(db, "rpz", earlier)
    assert "elements = { 51.75.72.240, 80.66.88.10 }" in _export(db, "nft")


def test_blocklists_never_hold_what_is_no_longer_in_force(db, stored_indicators):
    for name in ("ip-blocklist", "nft"):
        text = _export(db, name, include_expired=True)
        assert "45.9.148.21" not in text and "91.215.85.17" not in text
        assert "193.42.33.9" not in text  # a combination blocks nothing


@pytest.mark.skipif(shutil.which("nft") is None, reason="nftables is not installed")
def test_nft_reads_the_file(db, stored_indicators, tmp_path):
    path = tmp_path / "cyberhub.nft"
    path.write_text(_export(db, "nft"), encoding="utf-8")
    done = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True,
                          timeout=60)
    if done.returncode != 0 and "Operation not permitted" in done.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN here")
    assert done.returncode == 0, done.stderr

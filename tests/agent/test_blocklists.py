"""Blocklists: only simple patterns, only well-formed values, written atomically as a set."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess

import pytest

from cyberhub.agent import blocklists


@pytest.mark.parametrize("pattern, expected", [
    ("[ipv4-addr:value = '203.0.113.5']", [("ip", "203.0.113.5")]),
    ("[ipv4-addr:value ISSUBSET '198.51.100.0/24'] OR [domain-name:value = 'evil.example']",
     [("ip", "198.51.100.0/24"), ("domain", "evil.example")]),
    ("[ipv4-addr:value IN ('192.0.2.1', '192.0.2.2')]", [("ip", "192.0.2.1"),
                                                          ("ip", "192.0.2.2")]),
    ("[url:value = 'https://evil.example/a']", [("url", "https://evil.example/a")]),
    # Combinations: blocking one half would block the innocent.
    ("[ipv4-addr:value = '192.0.2.1' AND ipv4-addr:value = '192.0.2.2']", []),
    ("[ipv4-addr:value = '192.0.2.1'] FOLLOWEDBY [domain-name:value = 'a.example']", []),
    ("[ipv4-addr:value != '192.0.2.1']", []),
    ("[file:hashes.'SHA-256' = 'aa']", []),
    ("[domain-name:value = 'AND.example']", [("domain", "AND.example")]),
    ("not a pattern", []),
])
def test_pattern_values(pattern, expected):
    assert blocklists.pattern_values(pattern) == expected


def _indicator(pattern: str, **extra) -> dict:
    return {"type": "indicator", "pattern": pattern, "pattern_type": "stix", **extra}


def test_build_skips_revoked_expired_and_malformed_values():
    result = blocklists.build([
        _indicator("[ipv4-addr:value = '203.0.113.5']"),
        _indicator("[ipv4-addr:value = '203.0.113.6']", revoked=True),
        _indicator("[ipv4-addr:value = '203.0.113.7']", valid_until="2026-01-01T00:00:00Z"),
        _indicator("[ipv4-addr:value = '203.0.113.999']"),
        _indicator("[domain-name:value = 'evil.example; drop table']"),
        _indicator("[domain-name:value = 'Bücher.Example']"),
        _indicator("[url:value = 'http://x.example/a\nb']"),
        {"type": "indicator", "pattern": "alert tcp any any", "pattern_type": "snort"},
    ], now="2026-11-23T00:00:00.000Z")
    assert [blocklists.address(n) for n in result.networks] == ["203.0.113.5"]
    assert result.domains == {"xn--bcher-kva.example"}
    assert result.urls == set()


def test_render_and_write_atomically(tmp_path):
    result = blocklists.build([
        _indicator("[ipv4-addr:value = '203.0.113.5'] OR [ipv6-addr:value = '2001:db8::/32']"),
        _indicator("[domain-name:value = 'evil.example']"),
    ], now="2026-11-23T00:00:00.000Z")
    files = blocklists.render(result, header="test")
    assert files["ip-blocklist.txt"] == "# test\n203.0.113.5\n2001:db8::/32\n"
    assert "elements = { 203.0.113.5 }" in files["cyberhub.nft"]
    assert "elements = { 2001:db8::/32 }" in files["cyberhub.nft"]
    assert "evil.example CNAME .\n*.evil.example CNAME ." in files["cyberhub.rpz"]
    assert 'local-zone: "evil.example." always_nxdomain' in files["unbound-cyberhub.conf"]

    assert sorted(blocklists.write(tmp_path, files)) == sorted(blocklists.FILES)
    assert blocklists.write(tmp_path, files) == []  # unchanged lists are not rewritten
    assert sorted(os.listdir(tmp_path)) == sorted(blocklists.FILES)  # no temporary files left
    empty = blocklists.render(blocklists.Blocklist(), header="none")
    assert blocklists.write(tmp_path, empty) == list(blocklists.FILES)
    assert (tmp_path / "ip-blocklist.txt").read_text() == "# none\n"
    assert "elements" not in (tmp_path / "cyberhub.nft").read_text()


def _two_sets(tmp_path):
    old = blocklists.render(blocklists.build(
        [_indicator("[ipv4-addr:value = '192.0.2.1'] OR [domain-name:value = 'old.example']")],
        now="2026-11-23T00:00:00.000Z"), header="old")
    new = blocklists.render(blocklists.build(
        [_indicator("[ipv4-addr:value = '203.0.113.5'] OR [domain-name:value = 'new.example'] "
                    "OR [url:value = 'https://new.example/x']")],
        now="2026-11-23T00:00:00.000Z"), header="new")
    blocklists.write(tmp_path, old)
    return old, new


def _finals(directory) -> dict[str, str]:
    return {name: (directory / name).read_text() for name in blocklists.FILES}


def test_no_file_is_replaced_before_every_new_file_is_complete(tmp_path, monkeypatch):
    old, new = _two_sets(tmp_path)
    fsynced: set[int] = set()
    renamed: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        real_fsync(fd)
        fsynced.add(os.fstat(fd).st_ino)

    def replace(source, target):
        if not renamed:  # the first rename: every new file must be complete and on disk
            assert _finals(tmp_path) == old
            temporaries = [name for name in os.listdir(tmp_path) if name.startswith(".")]
            assert len(temporaries) == len(blocklists.FILES)
            for name in blocklists.FILES:
                [staged] = [tmp_path / t for t in temporaries if t.startswith(f".{name}.")]
                assert staged.read_text() == new[name]
                assert staged.stat().st_ino in fsynced
        real_replace(source, target)
        renamed.append(os.path.basename(target))

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    assert blocklists.write(tmp_path, new) == list(blocklists.FILES)
    # The loaders' files first, the plain lists after them, ip-blocklist.txt last: who sees
    # the new ip-blocklist.txt sees the whole new set.
    assert renamed == list(reversed(blocklists.FILES))
    assert renamed[-1] == "ip-blocklist.txt"
    assert _finals(tmp_path) == new
    assert sorted(os.listdir(tmp_path)) == sorted(blocklists.FILES)


def test_a_failure_while_writing_the_new_set_changes_no_file(tmp_path, monkeypatch):
    old, new = _two_sets(tmp_path)
    real_fsync = os.fsync
    calls = []

    def failing_fsync(fd):
        calls.append(fd)
        if len(calls) == 3:  # the disk fills up while the third new file is written
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError):
        blocklists.write(tmp_path, new)
    assert _finals(tmp_path) == old
    assert sorted(os.listdir(tmp_path)) == sorted(blocklists.FILES)  # no temporary left


@pytest.mark.skipif(shutil.which("nft") is None, reason="nft is not installed")
def test_nftables_file_is_accepted_by_nft(tmp_path):
    result = blocklists.build([_indicator("[ipv4-addr:value = '203.0.113.5']")],
                              now="2026-11-23T00:00:00.000Z")
    path = tmp_path / "cyberhub.nft"
    path.write_text(blocklists.render(result, header="check")["cyberhub.nft"])
    done = subprocess.run(["nft", "-c", "-f", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

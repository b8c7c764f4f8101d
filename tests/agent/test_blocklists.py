"""Blocklists: only simple patterns, only well-formed values, written atomically as a set."""

from __future__ import annotations

import errno
import grp
import os
import shutil
import stat
import subprocess
import tempfile
from pathlib import Path

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
    ("[file:hashes.'SHA-256' = 'aa']", [("SHA-256", "aa")]),  # build checks the value
    ("[file:hashes.MD5 = 'ab'] OR [email-addr:value = 'a@b.example']",
     [("MD5", "ab"), ("sender", "a@b.example")]),
    ("[email-addr:value LIKE '%@spam.example']", [("sender-domain", "spam.example")]),
    # Any other LIKE is a wildcard no list can hold.
    ("[email-addr:value LIKE 'info%@spam.example']", []),
    ("[email-addr:value LIKE '%@spam_.example']", []),
    # The header's From: a phishing mail forges it, often with the town's own address.
    ("[email-message:from_ref.value = 'buergermeister@stadt.example']", []),
    ("[file:hashes.MD5 = 'ab' AND file:size = 3]", []),
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


SHA256 = "82962c3a6ad1a319d740b8da72a081467e22e0c10efab9ee4dee393c50ed7203"


def test_build_takes_only_well_formed_senders_and_hashes():
    advisory = "report--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
    result = blocklists.build([
        _indicator("[email-addr:value = 'Rechnung@Bücher.Example']", id="indicator--a"),
        _indicator("[email-addr:value LIKE '%@Spam.Example']", id="indicator--b"),
        _indicator("[email-addr:value = 'a b@evil.example']"),         # whitespace
        _indicator("[email-addr:value = 'a\x00@evil.example']"),       # a NUL byte
        _indicator("[email-addr:value = '\"a b\"@evil.example']"),     # quoted local part
        _indicator("[email-addr:value = '#x@evil.example']"),          # a map comment
        _indicator("[email-addr:value = 'x@evil.example REJECT']"),    # a second field
        _indicator("[email-addr:value = 'x@localhost']"),              # no domain
        _indicator(f"[email-addr:value = '{'a' * 65}@evil.example']"),  # local part too long
        _indicator(f"[file:hashes.'SHA-256' = '{SHA256.upper()}']", id="indicator--c"),
        _indicator(f"[file:hashes.'SHA-256' = '{SHA256}']", id="indicator--d"),
        _indicator(f"[file:hashes.'SHA-1' = '{SHA256[:39]}g']"),        # not hex
        _indicator(f"[file:hashes.MD5 = '{SHA256}']"),                 # wrong length
        _indicator(f"[file:hashes.'SHA-512' = '{SHA256 * 2}']"),       # ClamAV has no .hsb
    ], now="2026-11-23T00:00:00.000Z",
        advisories={"indicator--a": advisory, "indicator--b": advisory,
                    "indicator--d": "report--0000ffff-0000-4000-8000-000000000000"})
    assert result.senders == {"rechnung@xn--bcher-kva.example": advisory,
                              "spam.example": advisory}
    # Named twice: an advisory before a bare indicator, and the same one whatever the order.
    assert result.hashes == {SHA256: "report--0000ffff-0000-4000-8000-000000000000"}
    assert len(result) == 3


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


# --- who may read them ---------------------------------------------------------------------

def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def _some_group() -> grp.struct_group | None:
    """A group other than this process's own that it may give files to."""
    mine = os.getegid()
    allowed = ([g.gr_gid for g in grp.getgrall()] if os.geteuid() == 0 else os.getgroups())
    return next((grp.getgrgid(g) for g in sorted(allowed) if g != mine), None)


def _write_with_umask(directory, files, **options):
    previous = os.umask(0o077)  # as under the systemd unit: modes must not depend on it
    try:
        return blocklists.write(directory, files, **options)
    finally:
        os.umask(previous)


def test_without_a_group_every_local_account_may_read(tmp_path):
    directory = tmp_path / "lists"
    _write_with_umask(directory, blocklists.render(blocklists.Blocklist(), header="x"))
    assert _mode(directory) == 0o755
    assert {_mode(directory / name) for name in blocklists.FILES} == {0o644}


def test_with_a_group_only_that_group_may_read(tmp_path):
    group = _some_group()
    if group is None:
        pytest.skip("this process may give files to no other group")
    directory = tmp_path / "lists"
    files = blocklists.render(blocklists.Blocklist(), header="x")
    blocklists.write(directory, files)
    # The group set later: the same content, but every file (and the directory) changes hands.
    assert _write_with_umask(directory, files, group=group.gr_name) == list(blocklists.FILES)
    assert _mode(directory) == 0o750 and os.stat(directory).st_gid == group.gr_gid
    for name in blocklists.FILES:
        assert _mode(directory / name) == 0o640
        assert os.stat(directory / name).st_gid == group.gr_gid
    assert blocklists.write(directory, files, group=group.gr_name) == []


def test_a_set_group_id_directory_keeps_its_bit_and_gives_files_its_group(tmp_path):
    """As `cyberhub-agent install` makes it: mode 2750, the readers' group, new files get
    that group from the directory."""
    group = _some_group()
    if group is None:
        pytest.skip("this process may give files to no other group")
    directory = tmp_path / "lists"
    directory.mkdir()
    os.chown(directory, -1, group.gr_gid)
    os.chmod(directory, 0o2750)
    files = blocklists.render(blocklists.Blocklist(), header="x")
    _write_with_umask(directory, files, group=group.gr_name)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o2750
    assert {os.stat(directory / name).st_gid for name in blocklists.FILES} == {group.gr_gid}
    assert {_mode(directory / name) for name in blocklists.FILES} == {0o640}


def test_an_unknown_group_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("CYBERHUB_LANGUAGE", "de")
    old, new = _two_sets(tmp_path)
    with pytest.raises(blocklists.BlocklistError, match="Gruppe 'no-such-group' gibt es"):
        blocklists.write(tmp_path, new, group="no-such-group")
    assert _finals(tmp_path) == old
    with pytest.raises(blocklists.BlocklistError):
        blocklists.write(tmp_path / "fresh", new, group="no-such-group")
    assert not (tmp_path / "fresh").exists()  # not even the directory


def _read_as_nobody(path: Path, *groups: int) -> subprocess.CompletedProcess:
    options = [f"--groups={','.join(map(str, groups))}"] if groups else ["--clear-groups"]
    return subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", *options,
                           "cat", str(path)], capture_output=True, text=True, timeout=30)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="reading as another account needs root and setpriv (util-linux)")
def test_a_resolver_account_reads_the_lists(tmp_path):
    group = grp.getgrnam("adm") if "adm" in {g.gr_name for g in grp.getgrall()} else None
    if group is None:
        pytest.skip("no group adm to stand in for the resolver's group")
    # pytest's own tmp_path is 0700 to other accounts: a base they may pass through.
    base = Path(tempfile.mkdtemp(prefix="cyberhub-blocklists-"))
    try:
        os.chmod(base, 0o711)
        files = _two_sets(tmp_path)[1]
        open_dir, group_dir = base / "open", base / "group"
        _write_with_umask(open_dir, files)
        _write_with_umask(group_dir, files, group=group.gr_name)
        zone = files[blocklists.RPZ]
        assert _read_as_nobody(open_dir / blocklists.RPZ).stdout == zone
        assert _read_as_nobody(group_dir / blocklists.RPZ, group.gr_gid).stdout == zone
        refused = _read_as_nobody(group_dir / blocklists.RPZ)
        assert refused.returncode != 0 and "Permission denied" in refused.stderr
    finally:
        shutil.rmtree(base)

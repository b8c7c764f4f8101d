"""Blocklist formats, each checked by the program that reads it (nft, BIND's named-checkzone,
unbound-checkconf, Postfix's postmap, ClamAV's clamscan), and the zone serial's arithmetic."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time

import pytest

from cyberhub.agent import blocklist_formats as formats
from cyberhub.agent import blocklists

NOW = "2026-11-23T00:00:00.000Z"
ADVISORY = "report--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
SAMPLE = b"MZ this stands in for a malicious attachment\n"


def _needs(program: str, package: str):
    return pytest.mark.skipif(shutil.which(program) is None,
                              reason=f"{program} is not installed (Debian package {package})")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)


def _files(*patterns: str, **render) -> dict[str, str]:
    indicators = [{"type": "indicator", "id": f"indicator--{n:08d}-0000-4000-8000-000000000000",
                   "pattern": p, "pattern_type": "stix"} for n, p in enumerate(patterns)]
    advisories = {i["id"]: ADVISORY for i in indicators}
    built = blocklists.build(indicators, now=NOW, advisories=advisories)
    return blocklists.render(built, header="check", **render)


# --- the zone serial --------------------------------------------------------------------

@pytest.mark.parametrize("new, old, after", [
    (2, 1, True), (1, 2, False), (1, 1, False),
    (0, 2 ** 32 - 1, True),            # wraps around
    (2 ** 31 - 1, 0, True), (2 ** 31, 0, False),  # exactly half way is undefined: not after
    (5, 2 ** 32 - 10, True),
])
def test_serial_arithmetic_is_rfc_1982(new, old, after):
    assert formats.serial_after(new, old) is after


@pytest.mark.parametrize("previous, now, expected", [
    (None, 1_795_000_000, 1_795_000_000),       # first zone: the clock
    (1_795_000_000, 1_795_000_500, 1_795_000_500),
    (1_795_000_000, 1_795_000_000, 1_795_000_001),  # a second change within the second
    (1_795_000_000, 1_700_000_000, 1_795_000_001),  # the clock set back
    (2_026_112_301, 1_795_000_000, 2_026_112_302),  # a date-style serial from a hand-made zone
    (2 ** 32 - 1, 2 ** 31, 0),                   # RFC 1982 wraps; 0 is after 2^32-1
    (2 ** 32 - 1, 1_795_000_000, 1_795_000_000),  # ... and so is the clock, here
])
def test_next_serial_is_always_after_the_previous(previous, now, expected):
    serial = formats.next_serial(previous, now)
    assert serial == expected
    assert previous is None or formats.serial_after(serial, previous)


def test_the_zone_keeps_its_serial_while_unchanged_and_grows_on_change():
    first = _files("[domain-name:value = 'a.example']", now_seconds=1_795_000_000)[blocklists.RPZ]
    assert formats.zone_serial(first) == 1_795_000_000
    same = _files("[domain-name:value = 'a.example']", previous_zone=first,
                  now_seconds=1_795_009_999)[blocklists.RPZ]
    assert same == first
    changed = _files("[domain-name:value = 'b.example']", previous_zone=first,
                     now_seconds=1_795_000_000)[blocklists.RPZ]
    assert formats.zone_serial(changed) == 1_795_000_001
    assert formats.zone_serial("; not a zone of ours\n") is None


@_needs("named-checkzone", "bind9-utils")
def test_bind_loads_the_zone_with_its_serial(tmp_path):
    zone = _files("[domain-name:value = 'evil.example'] OR [domain-name:value = 'xn--bcher-kva"
                  ".example']", now_seconds=1_795_000_000)[blocklists.RPZ]
    path = tmp_path / "cyberhub.rpz"
    path.write_text(zone)
    done = _run("named-checkzone", "rpz.cyberhub", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "loaded serial 1795000000" in done.stdout
    path.write_text(_files(previous_zone=zone, now_seconds=1_795_000_000)[blocklists.RPZ])
    done = _run("named-checkzone", "rpz.cyberhub", str(path))  # empty, but a zone
    assert done.returncode == 0 and "loaded serial 1795000001" in done.stdout, done.stdout


# --- the other readers ------------------------------------------------------------------

@_needs("nft", "nftables")
def test_nftables_file_is_accepted_by_nft(tmp_path):
    path = tmp_path / "cyberhub.nft"
    path.write_text(_files("[ipv4-addr:value = '203.0.113.5'] OR "
                           "[ipv6-addr:value = '2001:db8::/32']")["cyberhub.nft"])
    done = _run("nft", "-c", "-f", str(path))
    assert done.returncode == 0, done.stderr


@_needs("unbound-checkconf", "unbound")
@pytest.mark.parametrize("patterns", [(), ("[domain-name:value = 'evil.example']",)])
def test_unbound_accepts_the_include(tmp_path, patterns):
    include = tmp_path / "unbound-cyberhub.conf"
    include.write_text(_files(*patterns)["unbound-cyberhub.conf"])
    config = tmp_path / "unbound.conf"
    config.write_text(f'server:\n    directory: "{tmp_path}"\n    chroot: ""\n'
                      f'    username: ""\n    pidfile: ""\ninclude: "{include}"\n')
    done = _run("unbound-checkconf", str(config))
    assert done.returncode == 0, done.stdout + done.stderr


@_needs("postmap", "postfix")
def test_postfix_rejects_the_listed_senders(tmp_path):
    # postmap reads main.cf; a minimal one here, so the test needs no configured Postfix.
    main_cf = tmp_path / "main.cf"
    main_cf.write_text("myhostname = localhost.localdomain\ncompatibility_level = 3.6\n")
    # Postfix rereads a main.cf changed within the last seconds until it stops changing
    # (someone may be editing it): an old time stamp spares the test those seconds.
    os.utime(main_cf, (time.time() - 60, time.time() - 60))
    table = tmp_path / "sender-access"
    table.write_text(_files("[email-addr:value = 'Rechnung@Evil.Example']",
                            "[email-addr:value LIKE '%@spam.example']")["sender-access"])
    done = _run("postmap", "-c", str(tmp_path), f"hash:{table}")
    assert done.returncode == 0, done.stderr

    def lookup(key):
        return _run("postmap", "-c", str(tmp_path), "-q", key, f"hash:{table}")

    reason = "REJECT Absender gesperrt laut Sicherheitswarnung 1a2b3c4d (cyberhub)"
    assert lookup("rechnung@evil.example").stdout.strip() == reason
    assert lookup("RECHNUNG@evil.example").stdout.strip() == reason  # keys fold to lower case
    assert lookup("spam.example").stdout.strip() == reason  # every address at the domain
    assert lookup("buergerbuero@example.org").returncode == 1  # not listed
    assert lookup("#").returncode == 1  # the header stayed a comment


@_needs("clamscan", "clamav")
def test_clamav_finds_a_file_whose_hash_is_listed(tmp_path):
    listed, other = tmp_path / "rechnung.pdf.exe", tmp_path / "harmless.txt"
    listed.write_bytes(SAMPLE)
    other.write_bytes(b"nothing to see\n")
    database = tmp_path / "cyberhub.hsb"
    for algorithm, kind in (("SHA-256", "sha256"), ("SHA-1", "sha1"), ("MD5", "md5")):
        digest = hashlib.new(kind, SAMPLE).hexdigest().upper()  # upper case is normalised
        database.write_text(_files(f"[file:hashes.'{algorithm}' = '{digest}']")["cyberhub.hsb"])
        done = _run("clamscan", "--no-summary", "-d", str(database), str(listed), str(other))
        assert done.returncode == 1, done.stderr  # 1: something found; 2 would be an error
        assert f"{listed}: Cyberhub.Advisory.1a2b3c4d.UNOFFICIAL FOUND" in done.stdout
        assert f"{other}: OK" in done.stdout


@_needs("clamscan", "clamav")
def test_clamav_loads_an_empty_list(tmp_path):
    # ClamAV refuses an empty database file, which would stop clamd from reloading.
    database = tmp_path / "cyberhub.hsb"
    database.write_text(_files()["cyberhub.hsb"])
    sample = tmp_path / "sample"
    sample.write_bytes(SAMPLE)
    done = _run("clamscan", "--no-summary", "-d", str(database), str(sample))
    assert done.returncode == 0, done.stdout + done.stderr


def test_signature_names_and_references_are_safe():
    assert formats.signature_name(ADVISORY) == "Cyberhub.Advisory.1a2b3c4d"
    assert formats.signature_name("indicator--ABCDEF12-0000") == "Cyberhub.Indicator.abcdef12"
    assert formats.short_reference("indicator--x:y z\n") == "0"  # nothing but hex gets through
    assert formats.reject_reason(ADVISORY).isascii()  # an SMTP reply is ASCII

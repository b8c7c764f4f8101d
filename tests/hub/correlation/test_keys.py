"""Keys: one canonical form, so the same address, domain or hash meets itself everywhere."""

from __future__ import annotations

import pytest

from cyberhub.hub.correlation.index_keys import object_keys, pattern_keys


@pytest.mark.parametrize("obj, expected", [
    ({"type": "ipv4-addr", "value": "45.13.7.9"},
     [("ipv4", "45.13.7.9"), ("ipv4-24", "45.13.7.0/24")]),
    ({"type": "ipv4-addr", "value": "45.13.7.9/32"},
     [("ipv4", "45.13.7.9"), ("ipv4-24", "45.13.7.0/24")]),
    ({"type": "ipv6-addr", "value": "2a01:4f8:0:1::5"},
     [("ipv6", "2a01:4f8:0:1::5"), ("ipv6-64", "2a01:4f8:0:1::/64")]),
    ({"type": "domain-name", "value": "Login.Bücher-Stadt.CO.UK."},
     [("domain", "login.xn--bcher-stadt-thb.co.uk"), ("regdomain", "xn--bcher-stadt-thb.co.uk")]),
    ({"type": "url", "value": "HTTPS://Evil.Example:443/a?b=1#frag"},
     [("url", "https://evil.example/a?b=1"), ("domain", "evil.example"),
      ("regdomain", "evil.example")]),
    ({"type": "email-addr", "value": "Rechnung@Mail.Evil.example"},
     [("email", "rechnung@mail.evil.example"), ("domain", "mail.evil.example"),
      ("regdomain", "evil.example")]),
    ({"type": "email-message", "is_multipart": False, "subject": "Ihre  Rechnung  4711"},
     [("subject", "ihre rechnung 4711")]),
    ({"type": "email-message", "is_multipart": False, "subject": "Re:"}, []),
    ({"type": "file", "hashes": {"SHA-256": "AB" * 32, "MD5": "cd" * 16}},
     [("hash", "SHA-256:" + "ab" * 32), ("hash", "MD5:" + "cd" * 16)]),
    ({"type": "attack-pattern", "name": "x", "external_references": [
        {"source_name": "mitre-attack", "external_id": "t1566.001"}]},
     [("technique", "T1566.001")]),
    ({"type": "vulnerability", "name": "CVE-2023-4966"}, [("cve", "CVE-2023-4966")]),
    ({"type": "malware", "name": "Emotet", "is_family": True, "aliases": ["Heodo"]},
     [("malware", "emotet"), ("malware", "heodo")]),
    ({"type": "ipv4-addr", "value": "not an address"}, []),
])
def test_object_keys(obj, expected):
    assert list(object_keys(obj)) == expected


def test_pattern_values_meet_the_sco_values():
    pattern = ("[ipv4-addr:value = '45.13.7.9'] OR [file:hashes.'SHA-256' = '" + "AB" * 32 +
               "'] OR [domain-name:value IN ('a.evil.example', 'b.evil.example')] OR "
               "[email-message:subject = 'Ihre Rechnung 4711'] OR [ipv4-addr:value != '1.2.3.4']")
    keys = pattern_keys(pattern)
    assert ("ipv4", "45.13.7.9") in keys and ("hash", "SHA-256:" + "ab" * 32) in keys
    assert ("domain", "a.evil.example") in keys and ("domain", "b.evil.example") in keys
    assert ("subject", "ihre rechnung 4711") in keys
    assert ("ipv4", "1.2.3.4") not in keys  # != says nothing shared
    assert pattern_keys("[not a pattern") == []

"""Values from patterns: canonical, only from simple patterns, and what is in force."""

from __future__ import annotations

import pytest

from cyberhub.core import timestamps
from cyberhub.hub.exports.values import Value, in_force, indicator_values, pattern_values

NOW = timestamps.to_us("2026-12-01T00:00:00Z")


def test_values_are_canonical_and_typed():
    assert pattern_values("[domain-name:value = 'Rechnung-Download.EXAMPLE.']") == (
        Value("domain", "rechnung-download.example"),)
    assert pattern_values("[url:value = 'HTTP://Bad.Example:80/a?b=1']") == (
        Value("url", "http://bad.example/a?b=1"),)
    assert pattern_values("[ipv4-addr:value IN ('51.75.72.240', '185.220.101.0/24')]") == (
        Value("ipv4", "51.75.72.240"), Value("ipv4", "185.220.101.0/24"))
    digest = "AB" * 32
    assert pattern_values(f"[file:hashes.'SHA-256' = '{digest}' OR file:hashes.MD5 = "
                          f"'{'cd' * 16}']") == (Value("sha256", digest.lower()),
                                                 Value("md5", "cd" * 16))
    assert pattern_values("[email-addr:value = 'Buchhaltung@Rechnung.example']") == (
        Value("email", "buchhaltung@rechnung.example"),)


@pytest.mark.parametrize("pattern", [
    "[ipv4-addr:value = '51.75.72.240'] AND [domain-name:value = 'c2.example']",
    "[ipv4-addr:value = '51.75.72.240' AND network-traffic:dst_port = 443]",
    "[ipv4-addr:value = '51.75.72.240'] FOLLOWEDBY [domain-name:value = 'c2.example']",
    "[ipv4-addr:value = '51.75.72.240'] REPEATS 5 TIMES",
    "[ipv4-addr:value = '51.75.72.240'] WITHIN 60 SECONDS",
    "[ipv4-addr:value NOT = '51.75.72.240']",
    "[ipv4-addr:value != '51.75.72.240']",
    "[domain-name:value LIKE '%.c2.example']",
    "[ipv4-addr:value = 'not an address']",
    "[url:value = 'ftp://files.example/a']",  # no http(s) URL: nothing a proxy could match
    "this is no pattern",
])
def test_combinations_and_non_values_give_nothing(pattern):
    assert pattern_values(pattern) == ()


def test_or_joined_observations_give_each_value():
    assert pattern_values("[ipv4-addr:value = '51.75.72.240'] OR "
                          "[domain-name:value = 'c2.example']") == (
        Value("ipv4", "51.75.72.240"), Value("domain", "c2.example"))


def test_only_stix_patterns_are_read():
    sigma = {"pattern_type": "sigma", "pattern": "[ipv4-addr:value = '51.75.72.240']"}
    assert indicator_values(sigma) == ()
    assert indicator_values({"pattern": 7}) == ()


@pytest.mark.parametrize("indicator, expected", [
    ({}, True),
    ({"valid_until": "2026-12-01T00:00:01Z"}, True),
    ({"valid_until": "2026-12-01T00:00:00Z"}, False),
    ({"valid_until": "2026-11-30T23:59:59.999Z"}, False),
    ({"revoked": True}, False),
    ({"revoked": False, "valid_until": "2027-01-01T00:00:00Z"}, True),
    ({"valid_until": "gestern"}, False),
])
def test_in_force(indicator, expected):
    assert in_force(indicator, NOW) is expected

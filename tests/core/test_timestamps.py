from datetime import datetime, timezone

import pytest

from cyberhub.core import timestamps


def test_microseconds_round_trip():
    value = timestamps.to_us("2026-11-23T10:20:30.123456Z")
    assert timestamps.format_us(value) == "2026-11-23T10:20:30.123456Z"


@pytest.mark.parametrize("text, expected", [
    ("2026-11-23T10:20:30Z", "2026-11-23T10:20:30.000000Z"),
    ("2026-11-23T10:20:30.1Z", "2026-11-23T10:20:30.100000Z"),
    ("2026-11-23T10:20:30.1234567Z", "2026-11-23T10:20:30.123456Z"),
])
def test_any_fraction_precision_is_read(text, expected):
    assert timestamps.format_us(timestamps.to_us(text)) == expected


@pytest.mark.parametrize("text", [
    "2026-11-23 10:20:30Z", "2026-11-23T10:20:30+00:00", "2026-13-01T00:00:00Z",
    "2026-02-30T00:00:00Z", "yesterday", "", "2026-11-23T10:20:30.Z",
])
def test_malformed_timestamps_are_refused(text):
    assert timestamps.to_us(text) is None
    assert not timestamps.is_stix_timestamp(text)


def test_sort_keys_order_like_time_across_precisions():
    keys = [timestamps.sort_key(t) for t in (
        "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.0000001Z", "2026-01-01T00:00:00.001Z",
        "2026-01-01T00:00:01Z",
    )]
    assert keys == sorted(keys) and len(set(keys)) == 4
    assert timestamps.sort_key("2026-01-01T00:00:00Z") == \
        timestamps.sort_key("2026-01-01T00:00:00.000Z")


def test_versions_always_increase():
    now = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    assert timestamps.later_than(None, now) == "2026-11-23T10:00:00.000Z"
    assert timestamps.later_than("2026-11-23T10:00:00.000Z", now) == "2026-11-23T10:00:00.001Z"
    assert timestamps.later_than("2026-11-23T11:00:00.000Z", now) == "2026-11-23T11:00:00.001Z"

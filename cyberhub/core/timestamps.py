"""Timestamps as STIX and TAXII write them, and as the database stores them.

`date_added` is kept as integer microseconds since the epoch: exact, portable between SQLite
and PostgreSQL, and cheap to compare in the keyset index.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timezone

# STIX 2.1 section 3.2: RFC 3339, always UTC with a literal "Z", optional fraction.
STIX_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def now_us() -> int:
    return time.time_ns() // 1000


def datetime_to_us(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def stix_time(moment: datetime | int) -> str:
    """A moment (aware datetime, or microseconds since the epoch) as the STIX timestamp the
    hub and the agent write: UTC, millisecond precision (STIX needs no more; extra digits
    would only make versions harder to compare by eye)."""
    value = moment if isinstance(moment, int) else datetime_to_us(moment)
    return format_us(value)[:-4] + "Z"


def later_than(previous: str | None, now: datetime | int) -> str:
    """`now` as a STIX timestamp, moved past `previous` so that versions always increase."""
    value = now if isinstance(now, int) else datetime_to_us(now)
    floor = to_us(previous) if previous else None
    if floor is not None:
        value = max(value, floor - floor % 1000 + 1000)
    return stix_time(value)


def format_us(value: int) -> str:
    """Microseconds since the epoch as a TAXII timestamp with microsecond precision."""
    seconds, micros = divmod(value, 1_000_000)
    moment = datetime.fromtimestamp(seconds, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"


def parse_stix(value: object) -> tuple[datetime, str] | None:
    """Parse a STIX timestamp strictly. Returns the moment and its fraction digits, or None.

    The fraction is returned separately so sub-microsecond digits survive in sort keys.
    """
    if not isinstance(value, str):
        return None
    match = STIX_TIMESTAMP.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second, fraction = match.groups()
    try:
        moment = datetime(
            int(year), int(month), int(day), int(hour), int(minute),
            # STIX allows a leap second (60); datetime does not, so clamp it for ordering.
            min(int(second), 59), tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    return moment, fraction or ""


def is_stix_timestamp(value: object) -> bool:
    return parse_stix(value) is not None


# Versions are compared and stored to the nanosecond (`sort_key`); a timestamp with more
# fraction digits would name two versions by one key, and would not fit the version columns.
MAX_FRACTION_DIGITS = 9


def too_precise(value: object) -> bool:
    """Whether a STIX timestamp has more fraction digits than versions keep."""
    parsed = parse_stix(value)
    return parsed is not None and len(parsed[1]) > MAX_FRACTION_DIGITS


def sort_key(value: str) -> str | None:
    """A fixed-width string that sorts like the timestamp: 'YYYY-MM-DDTHH:MM:SS.fffffffffZ'."""
    parsed = parse_stix(value)
    if parsed is None:
        return None
    moment, fraction = parsed
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + "." + (fraction + "0" * 9)[:9] + "Z"


def to_us(value: str) -> int | None:
    """A STIX/TAXII timestamp as microseconds since the epoch (extra digits truncated)."""
    parsed = parse_stix(value)
    if parsed is None:
        return None
    moment, fraction = parsed
    delta = moment - _EPOCH
    whole = (delta.days * 86400 + delta.seconds) * 1_000_000
    return whole + int((fraction + "000000")[:6])


def key_to_us(key: str) -> int:
    """Microseconds for a sort key made by `sort_key` (used for unversioned objects)."""
    value = to_us(key)
    assert value is not None
    return value


def us_to_key(value: int) -> str:
    key = sort_key(format_us(value))
    assert key is not None
    return key

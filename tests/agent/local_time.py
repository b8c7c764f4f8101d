"""The machine's local time zone for a test: German time, as on a town's server."""

from __future__ import annotations

import os
import time

import pytest

# German time without the tz database: CET, CEST from the last Sunday of March to October's.
BERLIN = "CET-1CEST,M3.5.0,M10.5.0/3"


@pytest.fixture
def berlin():
    before = os.environ.get("TZ")
    os.environ["TZ"] = BERLIN
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()

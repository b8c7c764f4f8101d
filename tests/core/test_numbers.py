"""Whole numbers from untrusted text: ASCII digits only."""

import pytest

from cyberhub.core.numbers import strict_int


@pytest.mark.parametrize("text, expected", [
    ("0", 0), ("7", 7), ("0042", 42), ("1" * 18, int("1" * 18)),
])
def test_ascii_digits_are_numbers(text, expected):
    assert strict_int(text) == expected


@pytest.mark.parametrize("text", [None, "", "²", "٣", "５", " 7", "7 ", "1_000", "+5", "-5", "0x10",
                                  "1e3", "1" * 19, "7\n"])
def test_anything_else_is_not(text):
    assert strict_int(text) is None

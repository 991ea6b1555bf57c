"""suite.protocol.safe_json: the one decoder for what clients send refuses, never raises
anything but JsonRefused."""

from __future__ import annotations

import pytest

from suite.protocol import safe_json

NESTED_32: list = []
for _ in range(31):
    NESTED_32 = [NESTED_32]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"type":"typing","active":true}', {"type": "typing", "active": True}),
        ("[[1, 2], [3.5, -4]]", [[1, 2], [3.5, -4]]),
        ('"\\ud83d\\ude00 안녕"', "\U0001f600 안녕"),  # a surrogate pair is one character
        ("[" * 32 + "]" * 32, NESTED_32),
        ('"\\\\ud800"', "\\ud800"),  # an escaped backslash, not a surrogate
    ],
)
def test_accepts_json(text, expected):
    """Ordinary JSON, surrogate pairs and 32 levels of nesting decode as json.loads would."""
    assert safe_json.loads(text) == expected
    assert safe_json.loads(text.encode()) == expected


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("[" * 100_000, "nested deeper than 32"),  # RecursionError in json.loads
        ("[" * 33 + "]" * 33, "nested deeper than 32"),
        ('{"a":' * 40 + "1" + "}" * 40, "nested deeper than 32"),
        ("NaN", "not valid JSON"),
        ('{"x": -Infinity}', "not valid JSON"),
        ("[1e999]", "out of the range"),
        ("9" * 5000, "Exceeds the limit"),
        ('"\\ud800"', "lone UTF-16 surrogate"),
        ('{"\\udc00": 1}', "lone UTF-16 surrogate"),
        (b"\xff\xfe{}", "not UTF-8"),
        ("{", "not valid JSON"),
        ("", "not valid JSON"),
    ],
)
def test_refuses_what_json_loads_trusts(data, reason):
    """Deep nesting, NaN and Infinity, numbers out of range, lone surrogates and bytes that are
    not UTF-8 are refused with a message naming the reason."""
    with pytest.raises(safe_json.JsonRefused) as refused:
        safe_json.loads(data)
    assert reason in refused.value.message
    assert not refused.value.too_large


def test_refuses_oversize_input_before_decoding():
    """Input over max_bytes is refused as too_large without being parsed."""
    with pytest.raises(safe_json.JsonRefused) as refused:
        safe_json.loads(b"[" * 1001, max_bytes=1000)
    assert refused.value.too_large
    assert safe_json.loads(b"[]" + b" " * 998, max_bytes=1000) == []

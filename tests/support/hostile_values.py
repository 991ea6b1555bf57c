"""Hostile values and frames for the relay's fuzz test: wrong types, huge and non-finite numbers,
deep nesting, invalid UTF-8, truncated binary headers (seeded by the caller's ``random.Random``)."""

from __future__ import annotations

import json
import random
import time
from typing import Any

from suite.screen.frames import HEADER
from tests.support.message_templates import TEMPLATES


class Raw:
    """JSON text placed as is where a value goes: ``NaN``, ``1e999``, 5,000 digits, ``[[[``."""

    def __init__(self, text: str) -> None:
        self.text = text


def to_json(value: Any) -> str:
    """``json.dumps`` that writes :class:`Raw` values as their text."""
    raws: list[str] = []

    def place(item: Any) -> str:
        if not isinstance(item, Raw):
            raise TypeError(f"not JSON: {item!r}")
        raws.append(item.text)
        return f"\x00raw{len(raws) - 1}\x00"

    text = json.dumps(value, default=place)
    for index, raw in enumerate(raws):
        text = text.replace(f'"\\u0000raw{index}\\u0000"', raw)
    return text


def hostile_value(rng: random.Random) -> Any:
    """One value no field expects."""
    choice = rng.randrange(40)
    if choice < 14:
        return rng.choice([
            None, True, False, 0, -1, 1, 2**31, -(2**31) - 1, 2**53, 2**63, -(2**64), 10**400,
            1e308, -0.0, 0.5, -1e-300, 65535, 16384, 99999999999,
        ])  # fmt: skip
    if choice < 20:
        return Raw(rng.choice([
            "NaN", "-Infinity", "Infinity", "1e999", "-1e999", "9" * 5000, "1" * 4300,
            "[" * 40 + "]" * 40, "[" * 2000 + "]" * 2000, '{"a":' * 50 + "1" + "}" * 50,
        ]))  # fmt: skip
    if choice < 30:
        return rng.choice([
            "", " ", "x", "NaN", "Infinity", "-1", "1e999", "true", "null", "#zzzzzz",
            "한국어 텍스트 😀", "\u202e\u0000\u007f\u2028", "\ud800", "\udfff x", "\n\t\r",
            "<script>alert(1)</script>", "../../etc/passwd", "pen\u0000", "left ", "LEFT",
            "x" * 65, "x" * 257, "x" * 4001, "move", "down", "text", "wheel", "rectangle",
        ])  # fmt: skip
    if choice < 31:
        return "x" * 100_000
    if choice < 38:
        return rng.choice([
            [], {}, [1, 2], [[1, 2]], [[1]], [[1, 2, 3]], [["1", "2"]], [[None, None]],
            [[True, False]], {"a": 1}, [{"x": 1}], [[1e308, -1e308]], [[2**40, 2**40]],
            [[1, 2]] * 501, [[0.5, 0.5]] * 300, ["shift"] * 1000, ["shift", "hyper"],
            list(range(50)), {"type": "send_chat"},
        ])  # fmt: skip
    nested: Any = 1
    for _ in range(rng.choice([31, 33, 100])):
        nested = [nested] if rng.random() < 0.5 else {"k": nested}
    return nested


def mutate(rng: random.Random, message_type: str) -> Any:
    """A hostile variant of a valid ``message_type`` body (a dict, or rarely not an object)."""
    body: dict[str, Any] = {"type": message_type, **TEMPLATES[message_type]}
    fields = [name for name in body if name != "type"]
    for _ in range(rng.randint(1, 3)):
        action = rng.randrange(10)
        if action < 5 and fields:
            body[rng.choice(fields)] = hostile_value(rng)
        elif action < 7 and fields:
            body.pop(rng.choice(fields), None)
        elif action < 9:
            body[rng.choice(["extra", "__proto__", "constructor", "x" * 300, "", "type2"])] = (
                hostile_value(rng)
            )
        else:
            body["type"] = hostile_value(rng)
    if rng.random() < 0.02:
        return rng.choice([[body], body.get("type"), None, 1])
    return body


def garbage_text(rng: random.Random) -> str | bytes:
    """A text frame that is not a message (bytes: invalid UTF-8, sent as a text frame)."""
    return rng.choice([
        "", " ", "null", "[]", "{}", '"text"', "1", "{", "}", "[" * 100_000, "{" * 50_000,
        '{"a":' * 5000, "[" * 31 + "]" * 31, '{"type":"send_chat","client_id":"c","text":' +
        "1" * 5000 + "}", '{"type":"cursor","x":NaN,"y":Infinity,"visible":true}',
        '{"type":"mark_read","up_to_id":1e999}', '{"type":"typing","active":true,"active":1}',
        '{"type":"\\ud800"}', '{"type":"send_chat","client_id":"\\udc00","text":"\\ud800"}',
        b"\xff\xfe\xfd", b'{"type":"typing","active":true}\xc3', b"\xed\xa0\x80",
        "\x00" * 100, "😀" * 1000, '{"type": "hello"}', "x" * 300_000,
    ])  # fmt: skip


def garbage_binary(rng: random.Random, presenter: bool) -> bytes:
    """A binary frame: random bytes, or a region frame header with hostile fields."""
    if rng.random() < 0.3 or not presenter:
        return rng.randbytes(rng.choice([0, 1, 31, 32, 33, 1000]))
    magic = rng.choice([b"RS", b"RS", b"XX"])
    numbers = [rng.choice([0, 1, 2, 255]), rng.choice([0, 1, 2, 255])]
    seq = rng.choice([0, 1, 2**32 - 1, rng.randrange(2**32)])
    capture = rng.choice([0.0, float("nan"), float("inf"), -1.0, 1e300, time.time() * 1000])
    rect = [rng.choice([0, 1, 639, 640, 65535, rng.randrange(65536)]) for _ in range(6)]
    tail = [rng.choice([0, 1, 2, 3, 255]), rng.randrange(256), rng.choice([0, 65535])]
    header = HEADER.pack(magic, *numbers, seq, capture, *rect, *tail)
    return header + rng.randbytes(rng.choice([0, 10, 1000]))

"""Parsing what clients send: every malformed frame becomes a precise ProtocolError."""

from __future__ import annotations

import json

import pytest

from suite.protocol import (
    ErrorCode,
    Hello,
    MarkRead,
    ProtocolError,
    Role,
    SendChat,
    Typing,
    decode_client_message,
    encode,
)
from tests.support.message_templates import TEMPLATES

HELLO = {
    "type": "hello",
    "protocol_version": 1,
    "role": "customer",
    "session_id": "s",
    "token": "t",
}


def test_valid_messages_parse_into_dataclasses():
    assert decode_client_message(json.dumps(HELLO)) == Hello(1, Role.CUSTOMER, "s", "t", 0)
    assert decode_client_message(
        '{"type":"send_chat","client_id":"a","text":"hi","extra":1}'
    ) == SendChat("a", "hi")
    assert decode_client_message('{"type":"typing","active":false}') == Typing(False)
    assert decode_client_message('{"type":"mark_read","up_to_id":3}') == MarkRead(3)


@pytest.mark.parametrize(
    ("frame", "code", "words"),
    [
        (b"\x00", ErrorCode.BINARY_NOT_EXPECTED, "binary"),
        ("{", ErrorCode.BAD_JSON, "not valid JSON"),
        ('"text"', ErrorCode.BAD_MESSAGE, "JSON object"),
        ("{}", ErrorCode.BAD_MESSAGE, "'type'"),
        ('{"type": 7}', ErrorCode.BAD_MESSAGE, "'type'"),
        ('{"type": "fly"}', ErrorCode.UNKNOWN_TYPE, "'fly'"),
        ('{"type": "send_chat", "text": "x"}', ErrorCode.BAD_MESSAGE, "requires 'client_id'"),
        ('{"type": "send_chat", "client_id": "", "text": "x"}', ErrorCode.BAD_MESSAGE, "1-64"),
        ('{"type": "send_chat", "client_id": "a", "text": "   "}', ErrorCode.BAD_MESSAGE, "empty"),
        ('{"type": "mark_read", "up_to_id": true}', ErrorCode.BAD_MESSAGE, "must be int"),
        ('{"type": "typing", "active": 1}', ErrorCode.BAD_MESSAGE, "must be bool"),
        (json.dumps({**HELLO, "role": "admin"}), ErrorCode.BAD_MESSAGE, "'role'"),
        (json.dumps({**HELLO, "protocol_version": "1"}), ErrorCode.BAD_MESSAGE, "must be int"),
    ],
)
def test_bad_frames_name_the_problem(frame, code, words):
    with pytest.raises(ProtocolError) as caught:
        decode_client_message(frame)
    assert caught.value.code == code
    assert words in caught.value.message


def test_text_limit_is_4000_characters_not_bytes():
    korean = "가" * 4000  # 12,000 bytes of UTF-8, still 4,000 characters
    assert (
        decode_client_message(
            json.dumps({"type": "send_chat", "client_id": "k", "text": korean})
        ).text
        == korean
    )
    with pytest.raises(ProtocolError) as caught:
        decode_client_message(
            json.dumps({"type": "send_chat", "client_id": "k", "text": korean + "가"})
        )
    assert caught.value.code == ErrorCode.TEXT_TOO_LONG


def test_error_frame_carries_code_message_and_origin():
    frame = json.loads(
        ProtocolError(ErrorCode.NOT_ALLOWED, "only the agent", "remove_customer").to_frame()
    )
    assert frame == {
        "type": "error",
        "code": "not_allowed",
        "message": "only the agent",
        "in_reply_to": "remove_customer",
    }


def test_encode_keeps_unicode_readable():
    assert (
        encode("chat_message", text="<b>안녕</b>") == '{"type":"chat_message","text":"<b>안녕</b>"}'
    )


HOSTILE_VALUES = [
    None, True, 0, -1, 2**31 + 1, 2**53, 10**400, -(10**400), 1e308, 0.5, "", "x" * 100_000,
    "NaN", "\u202e\u0000", [], {}, ["pen"], [[1, 2]], [[10**400, 1]], [[1e308, 1e308]],
    [["1", "2"]], [[None, None]], {"a": [1]}, [[1, 2]] * 501,
]  # fmt: skip


@pytest.mark.parametrize("message_type", sorted(TEMPLATES))
def test_every_field_of_every_message_refuses_hostile_values(message_type):
    """Each field of each client message set to a wrong type, a huge or non-finite number, a
    long string, a list or a dict either parses or is a ProtocolError: never TypeError,
    OverflowError or another exception (a list as `tool`, a 401-digit point used to raise)."""
    body = {"type": message_type, **TEMPLATES[message_type]}
    decode_client_message(json.dumps(body))  # the template itself is valid
    for name in [key for key in body if key != "type"]:
        for value in HOSTILE_VALUES:
            try:
                decode_client_message(json.dumps({**body, name: value}))
            except ProtocolError as error:
                assert error.code in (ErrorCode.BAD_MESSAGE, ErrorCode.TEXT_TOO_LONG), error


@pytest.mark.parametrize(
    ("frame", "words"),
    [
        ('{"type": "mark_read", "up_to_id": ' + "9" * 20 + "}", "out of range"),
        ('{"type": "cursor", "x": 4294967296, "y": 1, "visible": true}', "out of range"),
        ('{"type": "paint_report", "seq": 1, "capture_ms": 1e400, "painted_ms": 1}', "range"),
        (json.dumps({**HELLO, "token": "t" * 513}), "512 chars at most"),
        ("[" * 100_000, "nested deeper than 32"),
        ('{"type": "typing", "active": NaN}', "NaN is not"),
    ],
)
def test_numbers_and_strings_are_bounded(frame, words):
    """Integers within ±(2^53 - 1), coordinates within ±2^31, finite floats, hello's token at
    most 512 characters, nesting at most 32: otherwise a ProtocolError naming the bound."""
    with pytest.raises(ProtocolError) as caught:
        decode_client_message(frame)
    assert words in caught.value.message

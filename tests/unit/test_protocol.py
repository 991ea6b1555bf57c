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

"""One handler per message type: the relay's chat and screen tables cover their channel's set."""

from __future__ import annotations

import pytest

from relay_server.screen.router import SCREEN_HANDLERS
from relay_server.sessions.chat_sockets import CHAT_HANDLERS
from suite.protocol import (
    CHAT_MESSAGES,
    SCREEN_MESSAGES,
    Channel,
    ProtocolError,
    ScreenAck,
    SendChat,
    require_channel,
)


@pytest.mark.parametrize(
    ("handlers", "messages"),
    [(CHAT_HANDLERS, CHAT_MESSAGES), (SCREEN_HANDLERS, SCREEN_MESSAGES)],
    ids=["chat", "screen"],
)
def test_each_channel_message_has_its_named_handler(handlers, messages):
    """Every message of the channel has a handler named handle_<type> with a docstring, and
    nothing else has one."""
    assert set(handlers) == set(messages)
    for cls, handler in handlers.items():
        assert handler.__name__ == f"handle_{cls.type}"
        assert handler.__doc__ and f"``{cls.type}``" in handler.__doc__


def test_off_channel_messages_are_named_as_such():
    """require_channel names the message and the channel it does not belong on."""
    with pytest.raises(ProtocolError) as caught:
        require_channel(ScreenAck(seq=1), Channel.CHAT)
    assert caught.value.message == "screen_ack is not sent on the chat channel"
    assert caught.value.in_reply_to == "screen_ack"
    with pytest.raises(ProtocolError) as caught:
        require_channel(SendChat("c", "hi"), Channel.SCREEN)
    assert caught.value.message == "send_chat is not sent on the screen channel"
    require_channel(SendChat("c", "hi"), Channel.CHAT)

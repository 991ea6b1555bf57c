"""A resent ``send_chat`` is acknowledged only once the stored original is durable.

Real parts: the relay core, its store on disk and the group committer in gevent. Two
greenlets play two sockets of the customer (a reconnect resends while the first socket's
original is still waiting for its fsync); the member records, at each acknowledgement,
whether everything the journal holds was synced by then.
"""

from __future__ import annotations

from pathlib import Path

import gevent

from relay_server.accounts.registry import Principal
from relay_server.sessions.relay import Relay, RelayOptions
from relay_server.sessions.supports import customer_id
from relay_server.store import TinyDBStore
from relay_server.store.committer import GroupCommitter
from suite.protocol import Channel, Role, SendChat


class _Socket:
    """A chat member that notes, for every frame sent to it, whether the store was durable."""

    def __init__(self, store: TinyDBStore, session_id: str, token: str):
        self.role = Role.CUSTOMER
        self.channel = Channel.CHAT
        self.name = "Kim"
        self.session_id = session_id
        self.customer_id = customer_id(token)
        self.store = store
        self.sent: list[tuple[str, bool]] = []

    def send(self, frame: str | bytes) -> None:
        journal = self.store.journal
        self.sent.append((str(frame), journal.synced >= journal.appended))

    def close(self, code: int, reason: str) -> None:
        pass


def test_a_resend_racing_the_original_fsync_is_acked_after_it(tmp_path: Path):
    store = TinyDBStore(tmp_path)
    committer = GroupCommitter(store)
    try:
        relay = Relay(store, RelayOptions(), wait_durable=committer.wait_durable)
        relay.accounts.create("alice", "alice-password-1")
        support = relay.new_support(Principal("alice", "agent", "x"), 0.0, "http://relay")
        joined = relay.join(support["code"], None, "Kim", "10.0.0.1", 1.0)
        first, second = (
            _Socket(store, joined["session_id"], joined["customer_token"]) for _ in range(2)
        )
        relay.rooms.room(joined["session_id"]).add(first)
        message = SendChat(client_id="c-1", text="hello")
        # Both greenlets are ready before either runs: the resend is handled while the
        # original waits for the committer's sync.
        original = gevent.spawn(relay.handle, first, message, 2.0)
        resend = gevent.spawn(relay.handle, second, message, 2.1)
        gevent.joinall([original, resend], raise_error=True, timeout=10)
        assert [durable for _, durable in first.sent] == [True]
        assert len(second.sent) == 1 and '"client_id":"c-1"' in second.sent[0][0]
        assert second.sent[0][1], "the resend was acknowledged before the message was durable"
        assert relay._chat(joined["session_id"]).last_id == 1  # stored once
    finally:
        committer.stop()
        store.close()

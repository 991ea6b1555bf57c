"""Two relay nodes on ONE PostgreSQL database and one Redis hub, a real SMTP server: the mails a
node queued are sent by the other node once the first is killed (SIGKILL) and its lease
expires, each exactly once, without waiting for the dead node's restart
(mail/adoption.py)."""

from __future__ import annotations

import time

import pytest

from relay_server.sessions.relay import SESSION_LEASE_S
from tests.support.cluster import running_nodes
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE
from tests.support.smtp_server import RETRY_ARGS, SmtpServer, invite, wait_mail_state

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

MAILS = 20


def test_a_killed_nodes_waiting_mails_are_sent_once_by_another_node(
    postgres: PostgresServer, tmp_path
) -> None:
    smtp = SmtpServer()  # not started yet: every try of node 1 is refused (retrying)
    args = (*smtp.relay_args(), *RETRY_ARGS)
    with running_nodes(tmp_path, postgres, 2, (ALICE,), args) as nodes:
        one, two = nodes.api(0), nodes.api(1)
        token = one.login(ALICE.username, ALICE.password)
        session_id = one.new_support(token)["session_id"]
        status, body = invite(one, token, session_id,
                              *[(f"wait{i}@example.com", "en") for i in range(MAILS)])  # fmt: skip
        assert status == 202, body
        ids = {mail["message_id"] for mail in body["mails"]}
        wait_mail_state(one, token, body["mails"][-1]["id"], "retrying")
        nodes.nodes[0].kill()
        killed_at = time.monotonic()
        smtp.start()
        try:
            smtp.wait_for(MAILS, timeout_s=30)
            delivered_s = time.monotonic() - killed_at
            print(f"{MAILS} mails of the killed node delivered by node 2 {delivered_s:.2f} s "
                  "after the SIGKILL")  # fmt: skip
            time.sleep(1.0)  # a second sender would have sent again by now
            assert smtp.message_id_counts() == {message_id: 1 for message_id in ids}
            # Node 2 holds them now: their state is read there.
            token = two.login(ALICE.username, ALICE.password)
            for mail in body["mails"]:
                wait_mail_state(two, token, mail["id"], "sent")
            # The lease (3 s) and one look a second, then the retry: well under the restart.
            assert delivered_s < SESSION_LEASE_S + 10
        finally:
            smtp.stop()

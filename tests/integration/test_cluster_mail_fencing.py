"""Two relay nodes on ONE PostgreSQL database and one Redis hub, a real SMTP server: node 1
claims a mail and starts sending it (the server holds it at RCPT, before the final ``.``),
then stalls (SIGSTOP) past its lease and its claim (``--mail-claim``, short here); node 2
adopts the mail and sends it; node 1, woken (SIGCONT) with its SMTP conversation still open,
asks for its claim again before the final ``.``, finds node 2's, and neither sends the mail
again nor writes over it (mail/outbox.py ``claim``, store/fencing.py): the server takes it
exactly once."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.support.cluster import running_nodes
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE
from tests.support.smtp_server import (
    RETRY_ARGS,
    SmtpServer,
    invite,
    mail_state,
    wait_mail_state,
)

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

CLAIM_S = 8.0  # the claim's time (default 600 s): node 2 may take the mail once it passed


def _claims(postgres: PostgresServer, database: str) -> list[tuple[str]]:
    return postgres.sql("SELECT node FROM row_claims WHERE tbl = 'outbox'", database)


def test_a_node_stalled_past_its_mail_claim_neither_sends_nor_marks_the_mail_again(
    postgres: PostgresServer, tmp_path
) -> None:
    smtp = SmtpServer()
    smtp.hold_rcpt_of = "stall@example.com"
    smtp.start()
    args = (*smtp.relay_args(), *RETRY_ARGS, "--mail-claim", str(CLAIM_S))
    try:
        with running_nodes(tmp_path, postgres, 2, (ALICE,), args) as nodes:
            one, two = nodes.api(0), nodes.api(1)
            token = one.login(ALICE.username, ALICE.password)
            session_id = one.new_support(token)["session_id"]
            status, body = invite(one, token, session_id, ("stall@example.com", "en"))
            assert status == 202, body
            mail = body["mails"][0]
            assert smtp.rcpt_held.wait(30)  # node 1's worker is in the conversation
            assert mail_state(one, token, mail["id"])["state"] == "sending"
            [(first_claimer,)] = _claims(postgres, nodes.database)
            smtp.hold_rcpt_of = None  # node 2's conversation goes through
            process = nodes.nodes[0].process
            assert process is not None
            os.kill(process.pid, signal.SIGSTOP)
            resumed = False
            try:
                stopped_at = time.monotonic()
                # Node 2 adopts it once node 1's lease (3 s) and claim have expired.
                smtp.wait_for(1, timeout_s=CLAIM_S + 40)
                adopted_s = time.monotonic() - stopped_at
                [(claimer,)] = _claims(postgres, nodes.database)
                assert claimer != first_claimer
                # Node 1's worker goes on (RCPT answered) and asks node 1, which wakes now,
                # for the claim before the final "." while node 2's claim lives.
                smtp.release_rcpt.set()
                os.kill(process.pid, signal.SIGCONT)
                resumed = True
                print(f"node 2 sent the stalled node's mail {adopted_s:.1f} s after SIGSTOP")
                time.sleep(4.0)  # node 1 would have sent it again by now
            finally:
                if not resumed:
                    os.kill(process.pid, signal.SIGCONT)
            assert smtp.message_id_counts() == {mail["message_id"]: 1}
            token_two = two.login(ALICE.username, ALICE.password)
            wait_mail_state(two, token_two, mail["id"], "sent")
            # Node 1's own marks did not land over node 2's: the row says sent, once.
            state = postgres.sql(
                "SELECT doc->>'state' FROM documents WHERE tbl = 'outbox'", nodes.database
            )
            assert state == [("sent",)]
            assert smtp.attempts == 1  # node 1 never reached the final "."
    finally:
        smtp.stop()

"""Two relay nodes on ONE PostgreSQL database and one Redis hub, a real SMTP server: a start's
reminders claimed by a node that is killed (SIGKILL) before it queued them are sent by the
other node once the claim's lease expires, each once (reservations/reminder_loop.py)."""

from __future__ import annotations

import time

import pytest

from relay_server.hub.redis_hub import RedisHub
from relay_server.reservations.reminder_loop import REMINDER_LEASE_S
from tests.support.cluster import running_nodes
from tests.support.postgres import PostgresServer
from tests.support.redis_server import redis_missing
from tests.support.relay import ALICE, ROOT
from tests.support.reservations import book
from tests.support.smtp_server import RETRY_ARGS, SmtpServer

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(redis_missing() is not None, reason=str(redis_missing())),
]

OPTIONS = "/api/admin/options"
AGENT_EMAIL = "alice@example.com"
INVITEES = ("kim@example.com", "lee@example.com")


def test_reminders_claimed_by_a_killed_node_are_sent_once_by_another(
    postgres: PostgresServer, tmp_path
) -> None:
    with SmtpServer() as smtp:
        args = (*smtp.relay_args(), *RETRY_ARGS)
        with running_nodes(tmp_path, postgres, 2, (ALICE, ROOT), args) as nodes:
            one, two = nodes.api(0), nodes.api(1)
            root = one.login(ROOT.username, ROOT.password)
            # Reminders off while the meeting is booked, so that no node claims them yet.
            status, body, _ = one.request(
                "PUT", OPTIONS, json={"values": {"mail.reminder_minutes": 0}}, token=root
            )
            assert status == 200, body
            status, body, _ = one.request(
                "PUT", "/api/admin/accounts/alice", json={"email": AGENT_EMAIL}, token=root
            )
            assert status == 200, body
            alice = one.login(ALICE.username, ALICE.password)
            reservation = book(one, alice)  # starts in 5 minutes; node 1 mails the invitations
            for address in INVITEES:
                smtp.wait_for_address(address)
            # Node 1 claims the start's reminders (its name, its lease, as its loop does) and
            # is killed before it queues them.
            slot = f"{reservation['id']}:{reservation['start_utc']}"
            hub = RedisHub(nodes.redis.url(), "node1", nodes.redis.password)
            try:
                assert hub.claim("reminder", slot, "node1", REMINDER_LEASE_S)
            finally:
                hub.close()
            claimed_at = time.monotonic()
            nodes.nodes[0].kill()
            # Reminders on again (15 minutes before the start: due now), on node 2.
            status, body, _ = two.request(
                "PUT", OPTIONS, json={"values": {"mail.reminder_minutes": 15}}, token=root
            )
            assert status == 200, body
            first = smtp.wait_for_address(AGENT_EMAIL, timeout_s=REMINDER_LEASE_S + 20)
            sent_s = time.monotonic() - claimed_at
            print(f"the killed node's reminder sent by node 2 {sent_s:.2f} s after its claim "
                  f"(lease {REMINDER_LEASE_S:.0f} s)")  # fmt: skip
            assert sent_s >= REMINDER_LEASE_S - 1.0  # not while node 1's claim held
            assert "Zephyr quartz pricing" in first.part("plain")
            time.sleep(2 * REMINDER_LEASE_S / 3)  # a second sender would have sent by now
            assert len(smtp.messages_to(AGENT_EMAIL)) == 1
            # The invitees were invited inside the reminder window: node 2 read node 1's
            # invitations from the outbox and sends them no reminder, as node 1 would not.
            for address in INVITEES:
                assert len(smtp.messages_to(address)) == 1, address
            assert all(count == 1 for count in smtp.message_id_counts().values())

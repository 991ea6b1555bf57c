"""The outbox's sender against a real SMTP server (aiosmtpd on loopback), without a relay."""

from __future__ import annotations

import time

import gevent

from relay_server.mail.outbox import SENT, Outbox, OutgoingMail
from relay_server.mail.sender import MailSender
from relay_server.mail.settings import SmtpSettings
from relay_server.mail.templates import MailContent
from relay_server.store import TinyDBStore
from relay_server.store.committer import GroupCommitter
from tests.support.smtp_server import SmtpServer, wait_outbox_sent
from tests.support.waiting import wait_until


def _enqueue_invitations(outbox: Outbox, count: int) -> list[str]:
    """``count`` invitations from alice to p0@, p1@ ... example.com; their mail ids."""
    return [
        outbox.enqueue(
            OutgoingMail(
                "alice",
                "support:s1",
                "invitation",
                f"p{n}@example.com",
                "en",
                MailContent("s", "t", "h"),
            ),
            time.time(),
            "example.com",
        )  # fmt: skip
        for n in range(count)
    ]


def test_a_burst_is_paced_and_each_mail_arrives_once_and_ends_sent(tmp_path):
    """Five mails queued at once leave at most max_per_s a second (5/s: the last arrives at
    least 0.8 s after the sender starts; unpaced they take milliseconds), each arrives once,
    and each ends ``sent`` on disk once the sender is idle (its outcome is not synced alone)."""
    smtp = SmtpServer().start()
    store = TinyDBStore(tmp_path)
    try:
        outbox = Outbox(store)
        settings = SmtpSettings(
            "127.0.0.1", smtp.port, "none", "", "", "relay@example.com", "RemoteSales"
        )
        ids = _enqueue_invitations(outbox, 5)
        store.sync()
        sender = MailSender(outbox, lambda: settings, store.sync, max_per_s=5)
        started = time.monotonic()
        sender.start()  # a greenlet: this test's waits let it run
        wait_until(
            lambda: len(smtp.received) >= 5, "5 mails at the server", 20, 0.005, gevent.sleep
        )
        # The fifth try starts at least four gaps after the first (arrivals alone could be
        # closer: the first transaction may take long under load).
        assert time.monotonic() - started >= 4 / 5
        wait_until(
            lambda: store.journal.synced == store.journal.appended,
            "the journal synced",
            20,
            0.005,
            gevent.sleep,
        )
        sender.stop()
        assert sorted(smtp.message_id_counts().values()) == [1] * 5
        assert [outbox.view(mail_id)["state"] for mail_id in ids] == [SENT] * 5
        assert store.journal.synced == store.journal.appended
    finally:
        store.close()
        smtp.stop()


def test_while_chat_commits_the_sender_asks_for_no_commit_of_its_own(tmp_path):
    """Twenty mails sent while a chat-like writer commits every few milliseconds: the mail's
    marks ride on the writer's commits (at most a few asked for by the mail, where each mail
    used to ask for two or three), every mail arrives once and ends ``sent`` on disk."""
    smtp = SmtpServer().start()
    store = TinyDBStore(tmp_path)
    committer = GroupCommitter(store)
    writing = True

    def chat() -> None:
        while writing:
            store.insert("chat:s1", {"text": "hello"})
            committer.wait_durable()
            gevent.sleep(0.002)

    try:
        outbox = Outbox(store)
        ids = _enqueue_invitations(outbox, 20)
        committer.wait_durable()
        writer = gevent.spawn(chat)
        settings = SmtpSettings(
            "127.0.0.1", smtp.port, "none", "", "", "relay@example.com", "RemoteSales"
        )
        sender = MailSender(
            outbox, lambda: settings, committer.wait_durable_mail, max_per_s=0,
            ride_durable=committer.ride_durable_mail,
        )  # fmt: skip
        sender.start()
        wait_outbox_sent(outbox, ids)
        wait_until(
            lambda: store.synced == store.appended, "the store synced", 20, 0.005, gevent.sleep
        )
        writing = False
        writer.join(5)
        sender.stop()
        assert sorted(smtp.message_id_counts().values()) == [1] * 20
        # Without riding, each of the 20 mails asks two or three times (>= 40). A rider asks
        # only when no commit of the writer's ends within RIDE_MAX_S: on a loaded machine a
        # few do (5 seen at load ~20), so the bound is a quarter of the no-ride count.
        assert committer.stats.asks.get("mail", 0) <= 10, committer.stats.snapshot()["asks"]
        assert committer.stats.waits["mail"] >= 20  # it did wait: on the writer's commits
    finally:
        writing = False
        committer.stop()
        store.close()
        smtp.stop()

"""The mail worker (a child process that builds and sends the relay's mail) against a real
SMTP server (aiosmtpd on loopback), without a relay: what arrives, and what a worker that
dies or is abandoned at the commit point leaves at the server (never a mail without its
commit mark on the relay's side)."""

from __future__ import annotations

import os
import signal
import time

import gevent
import pytest

from relay_server.mail import commit_journal
from relay_server.mail.delivery import Envelope, Unbuildable
from relay_server.mail.outbox import Outbox, OutgoingMail
from relay_server.mail.sender import MailSender
from relay_server.mail.settings import SmtpSettings
from relay_server.mail.smtp_client import TemporaryFailure, UncertainFailure
from relay_server.mail.templates import Attachment, MailContent, stand_in
from relay_server.mail.worker_client import WorkerDelivery
from relay_server.store import TinyDBStore
from tests.support.smtp_server import SmtpServer, wait_outbox_sent

SECRET_CHARS = 22
FIELDS = {"subject": "s", "text": "t", "html": "<p>h</p>", "attachments": []}


def _settings(smtp: SmtpServer) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", smtp.port, "none", "", "", "relay@example.com", "RemoteSales")


def test_the_sender_through_the_worker_delivers_each_mail_once_with_its_own_link(tmp_path):
    """Six invitations (one content with a stand-in, a calendar file attached) sent by the
    outbox's sender through the worker: each arrives once with its own secret, each ends
    ``sent``, and the work ran in one child process, not this one."""
    smtp = SmtpServer().start()
    store = TinyDBStore(tmp_path)
    delivery = WorkerDelivery()
    try:
        outbox = Outbox(store)
        content = MailContent(
            "Invitation", f"Join: https://relay.example/?s={stand_in(SECRET_CHARS)}\n",
            f"<p><a href='https://relay.example/?s={stand_in(SECRET_CHARS)}'>Join</a></p>",
            (Attachment("invite.ics", "text/calendar; method=REQUEST", b"BEGIN:VCALENDAR\r\n"),),
        )  # fmt: skip
        secrets = [f"secret{n}".ljust(SECRET_CHARS, "a") for n in range(6)]
        ids = [
            outbox.enqueue(
                OutgoingMail(
                    "alice",
                    "support:s1",
                    "invitation",
                    f"p{n}@example.com",
                    "en",
                    content,
                    meta={"value": secret},
                ),
                time.time(),
                "example.com",
            )  # fmt: skip
            for n, secret in enumerate(secrets)
        ]
        store.sync()
        sender = MailSender(outbox, lambda: _settings(smtp), store.sync, max_per_s=0,
                            delivery=delivery)  # fmt: skip
        sender.start()
        wait_outbox_sent(outbox, ids)
        worker_pid = delivery.pid
        sender.stop()
        assert sorted(smtp.message_id_counts().values()) == [1] * 6
        for n, secret in enumerate(secrets):
            received = smtp.messages_to(f"p{n}@example.com")[0]
            assert secret in received.part("plain")
            assert stand_in(SECRET_CHARS) not in received.part("html")
        assert delivery.started == 1
        assert worker_pid is not None and worker_pid != os.getpid()
    finally:
        delivery.stop()
        store.close()
        smtp.stop()


def test_a_worker_killed_at_the_commit_point_sent_nothing_and_the_next_one_sends_once():
    """The worker SIGKILLed while it waits for the relay's "go" (the message written, the
    final "." not): the try is a temporary failure, the server has nothing; the next try
    starts a new worker and the mail arrives once."""
    smtp = SmtpServer().start()
    delivery = WorkerDelivery()
    envelope = Envelope("kim@example.com", "<killed-1@example.com>")

    def kill_worker() -> None:
        assert delivery.pid is not None
        os.kill(delivery.pid, signal.SIGKILL)
        gevent.sleep(0.2)

    try:
        with pytest.raises(TemporaryFailure):
            delivery.send(_settings(smtp), envelope, "k1", FIELDS, time.time(), kill_worker)
        gevent.sleep(0.5)
        assert smtp.received == []
        answer = delivery.send(_settings(smtp), envelope, "k1", FIELDS, time.time(), lambda: None)
        assert answer.startswith("250")
        smtp.wait_for(1)
        assert smtp.message_id_counts() == {"<killed-1@example.com>": 1}
        assert delivery.started == 2
    finally:
        delivery.stop()
        smtp.stop()


def test_a_try_abandoned_at_the_commit_point_stops_the_worker_without_the_final_dot():
    """The relay's commit point fails (its store, a stop): the worker is killed before it
    hears "go", so the server never gets the final "."; the error reaches the caller."""
    smtp = SmtpServer().start()
    delivery = WorkerDelivery()
    first_pid: list[int | None] = []

    def commit_fails() -> None:
        first_pid.append(delivery.pid)
        raise OSError("the disk is full")

    try:
        envelope = Envelope("lee@example.com", "<abandoned-1@example.com>")
        with pytest.raises(OSError, match="disk is full"):
            delivery.send(_settings(smtp), envelope, None, FIELDS, time.time(), commit_fails)
        assert delivery.pid is None
        gevent.sleep(0.5)
        assert smtp.received == []
        assert first_pid[0] is not None
        with pytest.raises(ProcessLookupError):
            os.kill(first_pid[0], 0)
    finally:
        delivery.stop()
        smtp.stop()


def test_a_mail_that_cannot_be_built_is_unbuildable_and_the_worker_goes_on():
    """A recipient that is no header value: the worker answers "unbuildable" (the outbox
    fails it, never sent) and sends the next mail on the same worker."""
    smtp = SmtpServer().start()
    delivery = WorkerDelivery()
    try:
        bad = Envelope("bad address@example.com", "<bad-1@example.com>")
        with pytest.raises(Unbuildable, match="cannot be built"):
            delivery.send(_settings(smtp), bad, "k", FIELDS, time.time(), lambda: None)
        good = Envelope("ok@example.com", "<good-1@example.com>")
        delivery.send(_settings(smtp), good, "k", FIELDS, time.time(), lambda: None)
        smtp.wait_for(1)
        assert smtp.message_id_counts() == {"<good-1@example.com>": 1}
        assert delivery.started == 1
    finally:
        delivery.stop()
        smtp.stop()


def test_the_worker_yields_to_the_relay_niced_batch_and_off_its_pinned_cpu():
    """The worker runs niced, as SCHED_BATCH (woken by the relay's line it does not preempt
    the relay), and a relay pinned to one CPU finds its worker on the others (here this test
    process stands for the relay)."""
    usable = os.sched_getaffinity(0)
    if len(usable) < 2:
        pytest.skip("one CPU: nowhere else to go")
    pinned = {min(usable)}
    smtp = SmtpServer().start()
    delivery = WorkerDelivery()
    os.sched_setaffinity(0, pinned)
    try:
        envelope = Envelope("kim@example.com", "<pinned-1@example.com>")
        answer = delivery.send(_settings(smtp), envelope, None, FIELDS, time.time(), lambda: None)
        assert answer.startswith("250")
        assert delivery.pid is not None
        assert os.sched_getscheduler(delivery.pid) == os.SCHED_BATCH
        assert os.getpriority(os.PRIO_PROCESS, delivery.pid) >= 10
        assert os.sched_getaffinity(delivery.pid) == usable - pinned
    finally:
        os.sched_setaffinity(0, usable)
        delivery.stop()
        smtp.stop()


def test_a_journaled_worker_keeps_the_commit_points_and_its_journal_is_emptied_when_idle(tmp_path):
    """The single-folder store's way: the sender's worker writes ``committing`` and ``sent``
    to its own journal (no ``sending`` line in the store's journal, no commit point asked of
    the relay), each mail arrives once, every outcome reaches the store, and the worker's
    journal is emptied once the sender is idle and the outcomes are durable."""
    smtp = SmtpServer().start()
    store = TinyDBStore(tmp_path / "data")
    journal = commit_journal.path_in(tmp_path / "data")
    delivery = WorkerDelivery(journal=str(journal))
    asked: list[str] = []
    try:
        outbox = Outbox(store)
        content = MailContent("Hello", "t", "<p>h</p>")
        ids = [
            outbox.enqueue(
                OutgoingMail("alice", "r", "test", f"j{n}@example.com", "en", content),
                time.time(),
                "example.com",
            )  # fmt: skip
            for n in range(5)
        ]
        store.sync()
        appended = store.appended
        sender = MailSender(outbox, lambda: _settings(smtp), store.sync, max_per_s=0,
                            delivery=delivery)  # fmt: skip
        sender.outbox.committing = asked.append  # type: ignore[method-assign]
        sender.start()
        wait_outbox_sent(outbox, ids)
        assert sorted(smtp.message_id_counts().values()) == [1] * 5
        assert asked == []  # the worker kept every commit point
        assert store.appended - appended == 5  # one store line a mail: its outcome
        deadline = time.monotonic() + 10
        while journal.stat().st_size and time.monotonic() < deadline:
            gevent.sleep(0.05)
        assert journal.stat().st_size == 0
        assert store.synced >= store.appended
        sender.stop()
    finally:
        delivery.stop()
        store.close()
        smtp.stop()


def test_a_journaled_worker_killed_after_its_commit_point_is_uncertain_and_never_resent(
    tmp_path,
):
    """The worker SIGKILLed while the server holds its answer to the message (taken, not yet
    answered): the worker's journal has the mail ``committing``, so the try is uncertain (it
    may have gone), and nothing is sent twice."""
    smtp = SmtpServer()
    smtp.hold_after = 1
    smtp.start()
    journal = commit_journal.path_in(tmp_path)
    delivery = WorkerDelivery(journal=str(journal))
    envelope = Envelope("kim@example.com", "<journaled-1@example.com>")
    try:
        killer = gevent.spawn(_kill_when, smtp.data_held, delivery)
        with pytest.raises(UncertainFailure):
            delivery.send(_settings(smtp), envelope, "k1", FIELDS, time.time(), _never)
        killer.join()
        marks = commit_journal.outcomes(journal)
        assert marks["<journaled-1@example.com>"]["s"] == "committing"
        assert delivery.reached_commit("<journaled-1@example.com>")
        smtp.release_data.set()
        assert smtp.message_id_counts() == {"<journaled-1@example.com>": 1}
    finally:
        smtp.release_data.set()
        delivery.stop()
        smtp.stop()


def test_a_journaled_worker_killed_before_its_commit_point_leaves_a_temporary_failure(tmp_path):
    """The worker SIGKILLed while the server holds RCPT (no message yet): nothing in its
    journal, the try is a temporary failure and the next try sends the mail once."""
    smtp = SmtpServer()
    smtp.hold_rcpt_of = "lee@example.com"
    smtp.start()
    journal = commit_journal.path_in(tmp_path)
    delivery = WorkerDelivery(journal=str(journal))
    envelope = Envelope("lee@example.com", "<journaled-2@example.com>")
    try:
        killer = gevent.spawn(_kill_when, smtp.rcpt_held, delivery)
        with pytest.raises(TemporaryFailure):
            delivery.send(_settings(smtp), envelope, "k2", FIELDS, time.time(), _never)
        killer.join()
        assert commit_journal.outcomes(journal) == {}
        smtp.hold_rcpt_of = None
        smtp.release_rcpt.set()
        answer = delivery.send(_settings(smtp), envelope, "k2", FIELDS, time.time(), _never)
        assert answer.startswith("250")
        smtp.wait_for(1)
        assert smtp.message_id_counts() == {"<journaled-2@example.com>": 1}
        assert commit_journal.outcomes(journal)["<journaled-2@example.com>"]["s"] == "sent"
    finally:
        smtp.release_rcpt.set()
        delivery.stop()
        smtp.stop()


def _kill_when(event, delivery: WorkerDelivery) -> None:
    """SIGKILL the worker once the server holds it (``event`` set in the server's thread)."""
    deadline = time.monotonic() + 20
    while not event.is_set() and time.monotonic() < deadline:
        gevent.sleep(0.02)
    assert event.is_set()
    assert delivery.pid is not None
    os.kill(delivery.pid, signal.SIGKILL)


def _never() -> None:
    raise AssertionError("a journaled worker keeps its own commit point")


def test_a_batch_hands_its_content_over_once_and_a_worker_killed_in_it_leaves_each_try_to_its_journal(  # noqa: E501
    tmp_path,
):
    """Four tries handed to the journaled worker in one write (``send_many``): the content
    goes over once; the worker SIGKILLed while the server holds its answer to the second
    message leaves the first ``sent`` (its answer read, or in the journal), the second
    uncertain (past its commit point) and the last two temporary failures (never reached the
    server); nothing arrives twice, and a fresh worker takes the content again."""
    smtp = SmtpServer()
    smtp.hold_after = 2
    smtp.start()
    journal = commit_journal.path_in(tmp_path)
    delivery = WorkerDelivery(journal=str(journal))
    tries = [(Envelope(f"b{n}@example.com", f"<batch-{n}@example.com>"), "k3", FIELDS)
             for n in range(4)]  # fmt: skip
    sent_bytes = delivery._batch_bytes(_settings(smtp), tries, time.time())
    assert sent_bytes.count(b'"op": "content"') == 1 and sent_bytes.count(b'"op": "send"') == 4
    assert delivery._batch_bytes(_settings(smtp), tries, time.time()).count(b'"content"') == 0
    delivery._handed.clear()  # as a new worker would start
    outcomes: dict[int, object] = {}
    try:
        killer = gevent.spawn(_kill_when, smtp.data_held, delivery)
        delivery.send_many(_settings(smtp), tries, time.time(), outcomes.__setitem__)
        killer.join()
        assert sorted(outcomes) == [0, 1, 2, 3]
        assert isinstance(outcomes[0], str) and outcomes[0].startswith("250")
        assert isinstance(outcomes[1], UncertainFailure)
        assert all(isinstance(outcomes[n], TemporaryFailure) for n in (2, 3))
        smtp.release_data.set()
        again: dict[int, object] = {}
        delivery.send_many(_settings(smtp), tries[2:], time.time(), again.__setitem__)
        assert all(isinstance(answer, str) for answer in again.values()) and len(again) == 2
        smtp.wait_for(4)
        assert sorted(smtp.message_id_counts().values()) == [1] * 4
    finally:
        smtp.release_data.set()
        delivery.stop()
        smtp.stop()


def test_a_batch_outcome_held_back_reaches_the_relay_while_the_server_holds_the_next_answer(
    tmp_path,
):
    """The worker holds a batch's ``done`` lines for one wake-up of the relay, but no longer
    than its flush timer: with the server holding its answer to the batch's second message,
    the first one's outcome arrives meanwhile, not with the next line the worker writes."""
    smtp = SmtpServer()
    smtp.hold_after = 2
    smtp.start()
    delivery = WorkerDelivery(journal=str(commit_journal.path_in(tmp_path)))
    tries = [(Envelope(f"h{n}@example.com", f"<held-{n}@example.com>"), "k", FIELDS)
             for n in range(3)]  # fmt: skip
    outcomes: dict[int, object] = {}
    try:
        batch = gevent.spawn(delivery.send_many, _settings(smtp), tries, time.time(),
                             outcomes.__setitem__)  # fmt: skip
        deadline = time.monotonic() + 20
        while not (smtp.data_held.is_set() and 0 in outcomes) and time.monotonic() < deadline:
            gevent.sleep(0.01)  # (a thread's event: waited for without blocking the loop)
        assert smtp.data_held.is_set()
        assert isinstance(outcomes.get(0), str) and 1 not in outcomes
        smtp.release_data.set()
        batch.get(timeout=20)
        assert sorted(outcomes) == [0, 1, 2]
        assert all(isinstance(outcomes[n], str) for n in range(3))
    finally:
        smtp.release_data.set()
        delivery.stop()
        smtp.stop()

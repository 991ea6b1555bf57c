"""The sender greenlet: takes due mails from the outbox and delivers them one by one.

One connection at a time, kept open between mails (and closed after IDLE_CLOSE_S without
work), so a burst of invitations costs one TLS handshake and login. The settings are read for
every mail: an admin's change applies to the next mail without a restart.

A successful try asks the store's group commit (which the chat shares) for nothing of its
own: its marks **ride** on the commits that others ask for (``ride_durable``: the chat's, a
few milliseconds apart on a busy relay), and only when none comes within ``RIDE_MAX_S`` does
the sender ask for one. Each mail used to add two or three commits of its own, and the chat's
messages queued behind them (docs/performance.md, *Mail*). What must be durable, and when:

- ``sending`` is not waited for: the store makes changes durable in order, so it is durable
  whenever the ``committing`` after it is, and a crash before ``committing`` is durable
  leaves the mail ``queued``, or ``sending`` without ``committing``, on disk, which recovery
  queues again (the server cannot have the mail: no final ``.`` yet). Sent once.
- ``committing`` is durable before the final ``.`` (the sender rides until it is): a crash
  after that point never sends the mail again.
- ``sent`` rides on the next commit: before a pause, before the sender goes idle, or before
  the next try starts (never later: a server that holds the next transaction must not keep
  an outcome in memory only). Lost in a crash, the mail is ``uncertain`` (never sent twice);
  the window is at most the committer's ``RIDE_MAX_S`` (10 ms) longer than one sync.

Failures wait for their outcome's own commit: they are rare, and their answer is what the
sender reads.

With the single-folder store the mail worker keeps the commit point in a journal of its own
(``relay_server/mail/commit_journal.py``: ``committing`` fsynced there before the ``.``, the
outcome after): then ``sending`` is not written at all (it goes to the store with the
outcome), the sender neither rides nor asks for a commit per mail, and the ``sent`` marks go
to disk with whatever commit comes next; before going idle, and every ``FORGET_EVERY`` tries,
the sender makes them durable and has the worker empty its journal. The tries then go in
**batches** (``WorkerDelivery.send_many``): every ``BATCH_S`` the sender hands the worker as
many due mails as the pace allows in one write, sleeps the pace's gap while the worker sends
them, and reads their outcomes at its end (several lines, held back by the worker, to one
read): one wake-up a batch. A mail costs the relay's loop a fraction of each, its marks in
memory and one journal line (the outcome): tens of microseconds; and its steps (a batch's
claims, its outcomes) yield the loop between two mails once they have run for
``loop_slices.SLICE_S`` (0.1 ms), so that none holds the chat for long (docs/performance.md,
*Mail*).

Tries are paced (``max_per_s``): see :class:`MailSender`.

Building a message and the SMTP conversation are the ``delivery``'s: in the relay the mail
worker, a child process (``relay_server/mail/worker.py``), so that they take no time from the
event loop where the chat runs; the relay's loop keeps the outbox's marks and a few lines of
JSON a mail. The tests' senders without a relay build and send in place (:class:`Delivery`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import parseaddr

import gevent
from gevent.event import Event

from relay_server.mail.delivery import Deliveries, Delivery, Envelope, Unbuildable
from relay_server.mail.loop_slices import LoopSlice
from relay_server.mail.outbox import Outbox
from relay_server.mail.pacing import Pace
from relay_server.mail.settings import SmtpSettings
from relay_server.mail.smtp_client import (
    MailFailure,
    PermanentFailure,
    TemporaryFailure,
    UncertainFailure,
)
from relay_server.mail.templates import MailContent
from relay_server.mail.worker_client import Outcome, Try

logger = logging.getLogger(__name__)

IDLE_CLOSE_S = 5.0
FORGET_EVERY = 500  # tries after which the worker's commit journal is emptied (module docstring)
STOP_WAIT_S = 5.0  # a clean stop waits this long for the mail being sent
MAX_PER_S = 50.0  # pace: see MailSender
BATCH_S = 0.1  # a batch holds the tries of this long at the current pace (module docstring)
MAX_BATCH = 10
NOT_CONFIGURED = "no mail server is set: an admin sets one on the admin site (Mail)"


def message_domain(settings: SmtpSettings) -> str:
    """The right-hand side of Message-IDs: the sender address's domain."""
    return parseaddr(settings.sender_address)[1].rpartition("@")[2] or "remotesales.invalid"


class MailSender:
    """Delivers the outbox's due mails in a greenlet of its own.

    Args:
        outbox: the mails.
        settings: returns the current SMTP settings (read for every mail).
        wait_durable: the store's group commit.
        ride_durable: the same, but riding on others' commits (``GroupCommitter.ride_durable``);
            ``wait_durable`` when not given.
        delivery: builds and sends a try (``worker_client.WorkerDelivery`` in the relay);
            in place when not given.
        max_per_s: at most this many tries a second (0: unpaced). Mail servers throttle
            senders that burst (a 4xx "too many messages" pushes mails into back-off), and an
            unpaced burst takes the relay's loop and the server's CPU from the chat: 1,000
            invitations still go out in 20 s. Slower, down to 25 a second, while the relay's
            loop lags (``relay_server/mail/pacing.py``).
    """

    def __init__(
        self,
        outbox: Outbox,
        settings: Callable[[], SmtpSettings],
        wait_durable: Callable[[], object],
        clock: Callable[[], float] = time.time,
        max_per_s: float = MAX_PER_S,
        ride_durable: Callable[[], object] | None = None,
        delivery: Deliveries | None = None,
    ):
        self.outbox = outbox
        self.settings = settings
        self.wait_durable = wait_durable
        self.ride_durable = ride_durable or wait_durable
        self.clock = clock
        self.pace = Pace(max_per_s)  # slower while the relay's loop lags (mail/pacing.py)
        self._next_try_at = 0.0  # time.monotonic() before which the next try waits
        self._outcome_at = 0  # the store's sequence number of the last ``sent`` (riding)
        self._wake = Event()
        self.delivery: Deliveries = delivery or Delivery()
        self._connected = False  # a try since the last close: the delivery may hold a connection
        # The worker keeps the commit points in its own journal (module docstring).
        self._journaled = bool(getattr(self.delivery, "journaled", False))
        self._unforgotten = 0  # tries in the worker's journal since it was last emptied
        self._batched = self._journaled and hasattr(self.delivery, "send_many")
        self._greenlet: gevent.Greenlet | None = None
        self._stopping = False
        self._step = LoopSlice()  # the current step in the loop (mail/loop_slices.py)
        outbox.on_enqueued = self.wake

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self, timeout_s: float = STOP_WAIT_S) -> None:
        """Let the mail being sent finish (its outcome durable), then stop.

        After ``timeout_s`` the greenlet is killed where it is: a mail still ``sending`` is
        queued again at the next start, one past its commit point is ``uncertain`` (as after
        a crash)."""
        self._stopping = True
        self._wake.set()
        if self._greenlet is not None:
            self._greenlet.join(timeout_s)
            self._greenlet.kill()
        self._close()
        self.delivery.stop()

    def wake(self) -> None:
        """Look at the outbox now (a mail was queued, the settings changed)."""
        self._wake.set()

    def _run(self) -> None:
        while not self._stopping:
            try:
                self._work()
            except gevent.GreenletExit:
                raise
            except Exception:
                # A bug, not a mail failure: log it, drop the connection, go on after a pause.
                logger.exception("mail sender failed; going on in a second")
                self._close()
                gevent.sleep(1.0)

    def _work(self) -> None:
        now = self.clock()
        mail_id = self.outbox.next_due(now)
        if mail_id is None:
            wake_at = self.outbox.next_wake_at()
            timeout = IDLE_CLOSE_S if wake_at is None else max(0.0, wake_at - now)
            if self._connected:
                timeout = min(timeout, IDLE_CLOSE_S)
            self._wake.clear()
            self._last_sent_durable()  # before idling
            self._forget()
            if self._stopping:
                return
            woken = self._wake.wait(timeout)
            self._step.start()
            if not woken and self.outbox.next_due(self.clock()) is None:
                self._close()  # idle: say QUIT rather than keep the server's slot
            return
        wait_s = self._next_try_at - time.monotonic()
        if wait_s > 0:  # paced: look again after the pause (the mail may be gone by then)
            if not self._journaled:
                self._last_sent_durable()  # not left waiting through the pause
            self._pause()
            return
        if self._batched:
            self.deliver_batch(mail_id)
            return
        self._next_try_at = time.monotonic() + self.pace.gap_s
        self.deliver(mail_id)

    def _pause(self) -> None:
        """Sleep until the pace lets the next try go, noting the loop's lag."""
        asked_s = max(0.0, self._next_try_at - time.monotonic())
        slept_from = time.monotonic()
        gevent.sleep(asked_s)
        self.pace.note_sleep(asked_s, time.monotonic() - slept_from)  # the loop's lag
        self._step.start()

    def deliver_batch(self, first_id: str) -> None:
        """Tries of the due mails from ``first_id`` on, as many as the pace allows in
        ``BATCH_S``, handed to the worker at once (module docstring); each outcome is kept as
        it comes. The pace's pause runs while the worker sends (its outcomes are read at its
        end), and every step yields the loop after ``loop_slices.SLICE_S`` between mails."""
        settings = self.settings()
        if not settings.configured:
            self._next_try_at = time.monotonic() + self.pace.gap_s
            self.deliver(first_id)
            return
        gap_s = self.pace.gap_s
        count = MAX_BATCH if gap_s <= 0 else max(1, min(MAX_BATCH, round(BATCH_S / gap_s)))
        if self._unforgotten + count > FORGET_EVERY:  # nothing in flight between batches
            self._last_sent_durable()
            self._forget()
        now = self.clock()
        ids: list[str] = []
        tries: list[Try] = []
        mail_id: str | None = first_id
        while mail_id is not None and len(ids) < count:
            self._step.check()
            if not self.outbox.stored(mail_id):  # queued an instant ago, not yet committed:
                if ids:  # (its link neither) this batch goes without it
                    break
                self.ride_durable()  # on the commit its request asks for before its 202
                self._step.start()
            if self.outbox.claim(mail_id):
                # In memory only: written with its outcome (the worker's journal keeps the
                # commit point); begin() also takes it off the due list.
                self.outbox.begin(mail_id, now, durable=False)
                mail, key, fields = self.outbox.stored_content(mail_id)
                value = (mail.get("meta") or {}).get("value") or ""
                envelope = Envelope(
                    mail["to"], mail["message_id"], mail.get("reply_to") or "", value
                )
                ids.append(mail_id)
                tries.append((envelope, key, fields))
            mail_id = self.outbox.next_due(now)
        self._next_try_at = time.monotonic() + gap_s * max(1, len(ids))
        if not ids:
            return
        self._unforgotten += len(ids)
        self._connected = True
        failed = [False, False]  # a failure's outcome to make durable; a temporary one

        def on_outcome(index: int, outcome: Outcome) -> None:
            self._step.check()
            if isinstance(outcome, str):
                self.outbox.sent(ids[index], outcome, self.clock())
                # durable before the worker's journal is emptied (_last_sent_durable)
                self._outcome_at = self.outbox.store.appended
                return
            failed[0] = True
            if isinstance(outcome, TemporaryFailure):
                failed[1] = True
            self._failed(ids[index], outcome)

        self.delivery.send_many(  # type: ignore[attr-defined]
            settings, tries, self.clock(), on_outcome, self._pause
        )
        if failed[1]:
            self._close()  # as after a single try's temporary failure
        if failed[0]:
            self.wait_durable()  # failures wait for their outcome's own commit

    def _failed(self, mail_id: str, outcome: MailFailure | RuntimeError) -> None:
        """A batch's try that did not end in ``sent`` (as :meth:`deliver`'s failures)."""
        if isinstance(outcome, Unbuildable | PermanentFailure):
            self.outbox.rejected(mail_id, outcome.answer, self.clock())
            if isinstance(outcome, PermanentFailure):
                logger.info("mail refused", extra={"mail": mail_id, "answer": outcome.answer})
        elif isinstance(outcome, UncertainFailure):
            self.outbox.uncertain(mail_id, outcome.answer, self.clock())
            logger.warning("mail may or may not have gone", extra={"mail": mail_id})
        elif isinstance(outcome, MailFailure):
            self.outbox.deferred(mail_id, outcome.answer, self.clock())
            logger.info("mail deferred", extra={"mail": mail_id, "answer": outcome.answer})
        else:  # the worker's own error (a bug): as deliver()'s
            logger.error("mail worker failed", extra={"mail": mail_id, "error": str(outcome)})
            if self._committed(mail_id):
                self.outbox.uncertain(mail_id, "internal error", self.clock())
            else:
                self.outbox.deferred(mail_id, "internal error in the relay", self.clock())

    def deliver(self, mail_id: str) -> None:
        """One try of one mail, its outcome durable before the next."""
        if not self.outbox.stored(mail_id):  # queued an instant ago, not yet committed
            self.wait_durable()
        if not self.outbox.claim(mail_id):  # another relay node sends this one
            return
        settings = self.settings()
        if not settings.configured:
            self.outbox.begin(mail_id, self.clock())
            self.outbox.deferred(mail_id, NOT_CONFIGURED, self.clock())
            self.wait_durable()
            return
        if self._journaled:  # the worker's journal keeps the last outcome (module docstring)
            self._unforgotten += 1
            if self._unforgotten >= FORGET_EVERY:
                self._last_sent_durable()
                self._forget()
        else:
            self._last_sent_durable()  # before a server can hold this try up
        # not waited for; not even written when the worker keeps the commit point
        self.outbox.begin(mail_id, self.clock(), durable=not self._journaled)
        mail, key, fields = self.outbox.stored_content(mail_id)
        value = (mail.get("meta") or {}).get("value") or ""
        envelope = Envelope(mail["to"], mail["message_id"], mail.get("reply_to") or "", value)

        def commit_point() -> None:
            # Several nodes: still ours? A node that stalled past its lease finds the mail
            # adopted by another node (Outbox.adopt) and stops before the final ".".
            if not self.outbox.claim(mail_id):
                raise ClaimLost(mail_id)
            self.outbox.committing(mail_id)
            self.ride_durable()  # with ``sending`` and the previous mail's ``sent``

        try:
            self._connected = True
            answer = self.delivery.send(settings, envelope, key, fields, self.clock(), commit_point)
        except ClaimLost:
            self._close()  # no final ".": the server drops the transaction (RFC 5321)
            logger.warning("mail taken over by another node; not sent here",
                           extra={"mail": mail_id})  # fmt: skip
            return
        except Unbuildable as failure:  # a header the policy refuses: never sent
            self.outbox.rejected(mail_id, failure.answer, self.clock())
        except UncertainFailure as failure:
            self.outbox.uncertain(mail_id, failure.answer, self.clock())
            logger.warning("mail may or may not have gone", extra={"mail": mail_id})
        except PermanentFailure as failure:
            self.outbox.rejected(mail_id, failure.answer, self.clock())
            logger.info("mail refused", extra={"mail": mail_id, "answer": failure.answer})
        except TemporaryFailure as failure:
            self._close()
            self.outbox.deferred(mail_id, failure.answer, self.clock())
            logger.info("mail deferred", extra={"mail": mail_id, "answer": failure.answer})
        except MailFailure as failure:  # pragma: no cover - every failure is one of the above
            self.outbox.deferred(mail_id, failure.answer, self.clock())
        except Exception:
            # A bug: the mail must not stay "sending" until a restart. Before its commit point
            # it is retried later; past it, it is uncertain like any break after the ".".
            self._close()
            if self._committed(mail_id):
                self.outbox.uncertain(mail_id, "internal error", self.clock())
            else:
                self.outbox.deferred(mail_id, "internal error in the relay", self.clock())
            self.wait_durable()
            raise
        else:
            self.outbox.sent(mail_id, answer, self.clock())
            self._outcome_at = self.outbox.store.appended
            return  # durable with the next try's `sending`, or before idling (module docstring)
        self.wait_durable()

    def _last_sent_durable(self) -> None:
        """The last ``sent`` on disk, riding on others' commits (module docstring)."""
        if self.outbox.store.synced < self._outcome_at:
            self.ride_durable()

    def _forget(self) -> None:
        """Every outcome durable in the store: the worker's journal can be emptied."""
        if self._journaled and self._unforgotten:
            self.delivery.forget()  # type: ignore[attr-defined]
            self._unforgotten = 0

    def _committed(self, mail_id: str) -> bool:
        mail = self.outbox.content(mail_id)[0]
        if self._journaled:
            reached = self.delivery.reached_commit(mail["message_id"])  # type: ignore[attr-defined]
            return bool(reached)
        return bool(mail.get("committing"))

    def _close(self) -> None:
        if self._connected:
            self.delivery.close()
            self._connected = False


class ClaimLost(Exception):
    """Another node holds the mail now (adopted from this node, which looked dead)."""


def send_test_mail(
    settings: SmtpSettings,
    to: str,
    message_id: str,
    now: float,
    delivery: Deliveries | None = None,
) -> dict:
    """Send a test mail now, outside the outbox; ``{delivered, answer}`` for the admin.

    ``delivery`` builds and sends it (in the relay a mail worker of its own, started for this
    mail and stopped after it, so that neither the MIME nor the SMTP conversation runs on the
    event loop and the outbox's worker keeps its connection); in place when not given."""
    if not settings.configured:
        return {"delivered": False, "answer": NOT_CONFIGURED}
    content = MailContent(
        subject="RemoteSales test mail / 테스트 메일",
        text="This test mail shows that the relay can send mail with these settings.\n"
        "릴레이가 이 설정으로 메일을 보낼 수 있습니다.\n",
        html="<p>This test mail shows that the relay can send mail with these settings.</p>"
        "<p>릴레이가 이 설정으로 메일을 보낼 수 있습니다.</p>",
    )
    fields = {"subject": content.subject, "text": content.text, "html": content.html,
              "attachments": []}  # fmt: skip
    delivery = delivery or Delivery()
    try:
        answer = delivery.send(settings, Envelope(to, message_id), None, fields, now, _no_op)
    except MailFailure as failure:
        return {"delivered": False, "answer": failure.answer}
    except RuntimeError as error:  # the worker's own error (a bug), said as it is
        logger.error("test mail failed", extra={"error": str(error)})
        return {"delivered": False, "answer": str(error)}
    finally:
        delivery.stop()
    return {"delivered": True, "answer": answer}


def _no_op() -> None:
    """A test mail's commit point: no outbox mark to make durable."""

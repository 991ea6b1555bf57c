"""The relay's side of the mail worker: :class:`WorkerDelivery` sends through the child process.

It has :class:`relay_server.mail.delivery.Delivery`'s interface, so the sender does not know
where the work runs; the protocol is in ``relay_server/mail/worker.py``. The relay's loop only
moves a few lines of JSON a mail (the content's encoding kept per key: a batch of invitations
shares one); the worker is started at the first mail and again after it died.

When the worker ends in the middle of a try (killed, crashed), the try ends as a crash of the
relay would have: before the relay said "go" the server has no final ``.`` (a temporary
failure: the mail is tried again), after it the server may have taken the mail (uncertain:
never sent twice). A try the relay abandons (the sender stopped, the commit point failed)
kills the worker, so that it never finishes a mail alone.

Given a ``journal`` (the single-folder store: ``relay_server/mail/commit_journal.py``), the
worker keeps each mail's commit point in that file itself: a try is one line each way, the
relay's ``before_commit`` is not called, and a worker that ends in the middle of a try is read
there (``sent``: sent; ``committing``: uncertain; else a temporary failure). It also takes a
batch of tries at once (:meth:`WorkerDelivery.send_many`): one write of bytes built for the
batch (each content handed over once per worker, the settings encoded once), and the outcomes
come back as the worker sends them, several lines to a wake-up.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import gevent
from gevent import socket, subprocess

from relay_server.mail import commit_journal
from relay_server.mail.delivery import Envelope, Unbuildable
from relay_server.mail.settings import SmtpSettings
from relay_server.mail.smtp_client import (
    MailFailure,
    PermanentFailure,
    TemporaryFailure,
    UncertainFailure,
)
from relay_server.mail.worker import CONTENTS_KEPT

logger = logging.getLogger(__name__)

REPLY_TIMEOUT_S = 180.0  # past every SMTP timeout of a try (smtp_client: 20 s a step)
STOP_WAIT_S = 2.0
ENCODED_KEPT = 16  # contents' JSON kept, by key
FAILURES: dict[str, type[MailFailure]] = {
    "unbuildable": Unbuildable,
    "uncertain": UncertainFailure,
    "permanent": PermanentFailure,
    "temporary": TemporaryFailure,
}


SETTINGS_FIELDS = dataclasses.fields(SmtpSettings)

# One try of a batch: the recipient's envelope, the content's key (None: its own) and fields.
Try = tuple[Envelope, str | None, dict[str, Any]]
# What a try of a batch came to: the server's answer (sent), or why not.
Outcome = str | MailFailure | RuntimeError


def worker_command() -> list[str]:
    """How to start the worker: the one-file build is its own interpreter."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "mail-worker"]
    return [sys.executable, "-m", "relay_server", "mail-worker"]


class WorkerDelivery:
    """Builds and sends mails in the mail worker (same interface as ``Delivery``)."""

    def __init__(self, command: list[str] | None = None, journal: str | None = None):
        self.command = command or worker_command()
        self.journal = journal  # the worker's commit journal (None: the relay's commit point)
        self._process: subprocess.Popen | None = None
        self._socket: Any = None
        self._reader: Any = None
        self._encoded: dict[str, str] = {}
        self._settings: tuple[SmtpSettings, dict[str, Any]] | None = None
        self._settings_json: tuple[SmtpSettings, str] | None = None
        self._handed: dict[str, None] = {}  # keys whose content the running worker holds
        self.started = 0  # workers started (the first, and one after each that died)

    @property
    def journaled(self) -> bool:
        """Whether the worker keeps the commit points (and ``before_commit`` is not called)."""
        return self.journal is not None

    @property
    def pid(self) -> int | None:
        """The running worker's process id (None: none runs)."""
        return self._process.pid if self._process is not None else None

    def send(
        self,
        settings: SmtpSettings,
        envelope: Envelope,
        key: str | None,
        fields: dict[str, Any],
        sent_at: float,
        before_commit: Callable[[], None],
    ) -> str:
        """As :meth:`relay_server.mail.delivery.Delivery.send`; an error of the worker's own
        (a bug) is a ``RuntimeError``."""
        head = json.dumps({
            "op": "send", "settings": self._settings_fields(settings),
            "envelope": {"to": envelope.to, "message_id": envelope.message_id,
                         "reply_to": envelope.reply_to, "value": envelope.value},
            "key": key, "sent_at": sent_at, "journal": self.journaled,
        })  # fmt: skip
        request = f'{head[:-1]}, "content": {self._content_json(key, fields)}}}\n'.encode()
        went = False  # "go" written: the server may take the mail from now on
        finished = False
        try:
            self._ensure_started()
            self._write(request)
            while True:
                reply = self._read()
                if reply is None:
                    if self.journal is not None:
                        return self._outcome_in_journal(envelope.message_id)
                    if went:
                        raise UncertainFailure("the mail worker stopped after the message")
                    raise TemporaryFailure("the mail worker stopped before the message went")
                if reply.get("op") == "commit":
                    before_commit()
                    went = self._write(b'{"op": "go"}\n')  # else gone: the next read says so
                    continue
                finished = True
                outcome, answer = reply.get("outcome"), str(reply.get("answer", ""))
                if outcome == "sent":
                    return answer
                if outcome in FAILURES:
                    raise FAILURES[outcome](answer)
                raise RuntimeError(f"mail worker: {answer}")
        finally:
            if not finished:  # abandoned or broken: the worker must not go on alone
                self._kill()

    def send_many(
        self,
        settings: SmtpSettings,
        tries: Sequence[Try],
        sent_at: float,
        on_outcome: Callable[[int, Outcome], None],
        pause: Callable[[], None] | None = None,
    ) -> None:
        """Several tries at once (the journaled worker only): ``on_outcome(i, outcome)`` for
        each, in order, as the worker answers (a string: sent with that answer; else the
        failure, a ``RuntimeError`` for the worker's own error). A worker that ends in the
        middle leaves the rest to its journal (:meth:`_outcome_in_journal`).

        ``pause`` (the sender's pace) runs once the batch is written, before its answers are
        read: answers that came meanwhile are read at its end without a wake-up of their
        own, so a batch costs the loop one wake-up, not two."""
        assert self.journal is not None, "batches need the worker's commit journal"
        answered = 0
        try:
            self._ensure_started()
            self._write(self._batch_bytes(settings, tries, sent_at))
            if pause is not None:
                pause()
            while answered < len(tries):
                reply = self._read()
                if reply is None:
                    break
                on_outcome(answered, _outcome_of(reply))
                answered += 1
        finally:
            if answered < len(tries):  # abandoned or broken: the worker must not go on alone
                self._kill()
        marks = commit_journal.outcomes(self.journal) if answered < len(tries) else {}
        for index in range(answered, len(tries)):
            message_id = tries[index][0].message_id
            try:
                outcome: Outcome = self._outcome_in_journal(message_id, marks)
            except MailFailure as failure:
                outcome = failure
            on_outcome(index, outcome)

    def _batch_bytes(self, settings: SmtpSettings, tries: Sequence[Try], sent_at: float) -> bytes:
        """The batch's lines: contents the worker lacks, then one ``send`` a try (the last
        one flushes the worker's answers)."""
        if self._settings_json is None or self._settings_json[0] != settings:
            self._settings_json = (settings, json.dumps(self._settings_fields(settings)))
        head = (
            f'{{"op": "send", "journal": true, "sent_at": {sent_at!r}, '
            f'"settings": {self._settings_json[1]}, '
        )
        parts: list[str] = []
        last = len(tries) - 1
        for index, (envelope, key, fields) in enumerate(tries):
            if key is None:
                content = f'"key": null, "content": {json.dumps(fields)}'
            else:
                if key not in self._handed:
                    if len(self._handed) >= CONTENTS_KEPT:  # as the worker drops its oldest
                        self._handed.pop(next(iter(self._handed)))
                    self._handed[key] = None
                    parts.append(
                        f'{{"op": "content", "key": {json.dumps(key)}, '
                        f'"content": {self._content_json(key, fields)}}}\n'
                    )
                content = f'"key": {json.dumps(key)}'
            envelope_json = json.dumps({
                "to": envelope.to, "message_id": envelope.message_id,
                "reply_to": envelope.reply_to, "value": envelope.value,
            })  # fmt: skip
            flush = "true" if index == last else "false"
            parts.append(f'{head}"envelope": {envelope_json}, {content}, "flush": {flush}}}\n')
        return "".join(parts).encode()

    def close(self) -> None:
        """Have the worker QUIT its connection."""
        if self._process is not None:
            self._write(b'{"op": "close"}\n')

    def forget(self) -> None:
        """Empty the worker's commit journal: every outcome in it is durable in the store."""
        if self.journal is None:
            return
        if self._process is not None and self._process.poll() is None:
            self._write(b'{"op": "truncate"}\n')
        else:
            commit_journal.truncate(self.journal)

    def reached_commit(self, message_id: str) -> bool:
        """Whether the worker's journal has the message past its commit point."""
        mark = commit_journal.outcomes(self.journal).get(message_id) if self.journal else None
        past = (commit_journal.COMMITTING, commit_journal.SENT)
        return mark is not None and mark.get("s") in past

    def _outcome_in_journal(
        self, message_id: str, marks: dict[str, dict[str, Any]] | None = None
    ) -> str:
        """The worker ended during a try: what its journal (``marks``, read when not given)
        says of the message."""
        assert self.journal is not None
        if marks is None:
            marks = commit_journal.outcomes(self.journal)
        mark = marks.get(message_id) or {}
        if mark.get("s") == commit_journal.SENT:
            return str(mark.get("a", ""))
        if mark.get("s") == commit_journal.COMMITTING:
            raise UncertainFailure("the mail worker stopped after the message")
        raise TemporaryFailure("the mail worker stopped before the message went")

    def stop(self) -> None:
        """End the worker: it drops a transaction without its ``.`` and exits."""
        process = self._process
        self._close_socket()
        if process is not None:
            try:
                process.wait(timeout=STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None

    def _settings_fields(self, settings: SmtpSettings) -> dict[str, Any]:
        """The settings' fields, made again only when they change (``dataclasses.asdict``
        deep-copies: a tenth of a millisecond a mail in the relay's loop)."""
        if self._settings is None or self._settings[0] != settings:
            fields = {field.name: getattr(settings, field.name) for field in SETTINGS_FIELDS}
            self._settings = (settings, fields)
        return self._settings[1]

    def _content_json(self, key: str | None, fields: dict[str, Any]) -> str:
        if key is None:
            return json.dumps(fields)
        encoded = self._encoded.get(key)
        if encoded is None:
            if len(self._encoded) >= ENCODED_KEPT:
                self._encoded.pop(next(iter(self._encoded)))
            encoded = self._encoded[key] = json.dumps(fields)
        return encoded

    def _ensure_started(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._kill()
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [*self.command, str(theirs.fileno()), str(os.getpid()),
                 *([self.journal] if self.journal else [])],
                stdin=subprocess.DEVNULL, pass_fds=(theirs.fileno(),),
            )  # fmt: skip
        except OSError as error:
            ours.close()
            raise TemporaryFailure(f"the mail worker could not start: {error}") from None
        finally:
            theirs.close()
        self._socket, self._reader = ours, ours.makefile("rb")
        self._handed.clear()  # a new worker holds no content yet
        self.started += 1

    def _read(self) -> dict[str, Any] | None:
        """The worker's next line; None when it has gone (or took too long: then killed)."""
        try:
            with gevent.Timeout(REPLY_TIMEOUT_S):
                line = self._reader.readline()
        except (gevent.Timeout, OSError):
            line = b""
        if not line:
            self._kill()
            return None
        reply = json.loads(line)
        return reply if isinstance(reply, dict) else {}

    def _write(self, data: bytes) -> bool:
        """False when the worker has gone."""
        if self._socket is None:
            return False
        try:
            self._socket.sendall(data)
        except OSError:
            return False
        return True

    def _close_socket(self) -> None:
        if self._reader is not None:
            self._reader.close()
        if self._socket is not None:
            self._socket.close()
        self._socket = self._reader = None

    def _kill(self) -> None:
        self._close_socket()
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()


def _outcome_of(reply: dict[str, Any]) -> Outcome:
    """A ``done`` line as :meth:`WorkerDelivery.send_many` reports it."""
    outcome, answer = reply.get("outcome"), str(reply.get("answer", ""))
    if outcome == "sent":
        return answer
    if outcome in FAILURES:
        return FAILURES[outcome](answer)
    return RuntimeError(f"mail worker: {answer}")

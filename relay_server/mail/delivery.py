"""One mail try's work outside the outbox: build the message, hold the SMTP connection, send.

:class:`Delivery` is plain blocking code (no gevent of its own): the relay runs it in its mail
worker, a child process (``relay_server/mail/worker.py``), so that the MIME serialisation and
the SMTP conversation take no time from the relay's event loop, where the chat runs; the
tests' senders without a relay run it in place. What the outbox decides (states, the commit
point, retries) stays with the sender (``relay_server/mail/sender.py``).

A content is what the outbox stores (:meth:`relay_server.mail.outbox.Outbox.stored_content`:
subject, text, HTML, attachments in base64) with its key (the SHA-256 the outbox shares it
under; None for a mail that carries its own): the message is serialised once per key, sender
and reply-to for every recipient (``templates.RenderedMail``), and a recipient's personal value
(a link's secret) is written over its stand-in.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from relay_server.mail.settings import SmtpSettings
from relay_server.mail.smtp_client import MailFailure, SmtpConnection, TemporaryFailure
from relay_server.mail.templates import (
    Attachment,
    MailContent,
    RenderedMail,
    render,
    substitute,
    with_value,
)

RENDERED_KEPT = 16  # serialised contents kept (one per language of a batch of invitations)


class Unbuildable(MailFailure):
    """The message cannot be built (a header the policy refuses): never sent."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """One recipient's side of a try: the outbox's fields of the mail."""

    to: str
    message_id: str
    reply_to: str = ""
    value: str = ""  # a personal value written over the content's stand-in ("" for none)


class Deliveries(Protocol):
    """What the sender needs of a delivery: :class:`Delivery` in place, or the mail worker
    (``relay_server/mail/worker_client.py``)."""

    def send(
        self,
        settings: SmtpSettings,
        envelope: Envelope,
        key: str | None,
        fields: dict[str, Any],
        sent_at: float,
        before_commit: Callable[[], None],
    ) -> str: ...

    def close(self) -> None: ...

    def stop(self) -> None: ...


def content_of(fields: dict[str, Any]) -> MailContent:
    """The :class:`MailContent` of a stored content (attachments in base64)."""
    attachments = tuple(
        Attachment(a["filename"], a["content_type"], base64.b64decode(a["data"]))
        for a in fields["attachments"]
    )
    return MailContent(fields["subject"], fields["text"], fields["html"], attachments)


class Delivery:
    """Builds and sends one mail at a time on one kept-open connection (blocking)."""

    def __init__(self) -> None:
        self._connection: SmtpConnection | None = None
        self._rendered: dict[tuple, tuple[MailContent, RenderedMail]] = {}

    def send(
        self,
        settings: SmtpSettings,
        envelope: Envelope,
        key: str | None,
        fields: dict[str, Any],
        sent_at: float,
        before_commit: Callable[[], None],
    ) -> str:
        """Build the message and send it; the server's answer to the final ``.``.

        ``before_commit`` runs when only the final ``.`` is left to write (the outbox's commit
        point); an exception from it drops the connection without the ``.`` and goes on.

        Raises:
            Unbuildable: the message cannot be built.
            TemporaryFailure, PermanentFailure, UncertainFailure: as ``smtp_client`` says.
        """
        try:
            message = self._message(settings, envelope, key, fields, sent_at)
        except ValueError as error:
            raise Unbuildable(f"the mail cannot be built: {error}") from None
        connection = self._connection
        if connection is not None and (connection.settings != settings or not connection.open):
            self.close()
            connection = None
        if connection is not None:
            # A reused connection may have gone stale (the server closed it while idle):
            # then once more on a fresh one, before the message.
            try:
                return self._send_on(connection, settings, message, envelope.to, before_commit)
            except TemporaryFailure:
                if connection.open:  # the server answered: a real refusal, not a stale line
                    raise
                self.close()
        connection = self._connection = SmtpConnection(settings)
        return self._send_on(connection, settings, message, envelope.to, before_commit)

    def _send_on(
        self,
        connection: SmtpConnection,
        settings: SmtpSettings,
        message: bytes,
        to: str,
        before_commit: Callable[[], None],
    ) -> str:
        return connection.send(message, settings.sender_address, to, before_commit)

    def close(self) -> None:
        """Say QUIT and close the connection (idle, or after a failure)."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def stop(self) -> None:
        self.close()

    def drop(self) -> None:
        """Close the connection's socket at once, saying nothing (in the middle of DATA)."""
        if self._connection is not None:
            self._connection.drop()
            self._connection = None

    def _message(
        self,
        settings: SmtpSettings,
        envelope: Envelope,
        key: str | None,
        fields: dict[str, Any],
        sent_at: float,
    ) -> bytes:
        cache_key = (key, settings.sender_address, settings.sender_name, envelope.reply_to)
        cached = self._rendered.get(cache_key) if key is not None else None
        if cached is None:
            content = content_of(fields)
            cached = (
                content,
                render(content, settings.sender_address, settings.sender_name, envelope.reply_to),
            )
            if key is not None:
                if len(self._rendered) >= RENDERED_KEPT:
                    self._rendered.pop(next(iter(self._rendered)))
                self._rendered[cache_key] = cached
        content, rendered = cached
        message = rendered.for_recipient(envelope.to, envelope.message_id, sent_at)
        if not envelope.value:
            return message
        personal = substitute(message, content, envelope.value)
        if personal is None:  # not safely: serialise this one with the value
            own = with_value(content, len(envelope.value), envelope.value)
            personal = render(
                own, settings.sender_address, settings.sender_name, envelope.reply_to
            ).for_recipient(envelope.to, envelope.message_id, sent_at)
        return personal

"""One SMTP connection with smtplib: connect (TLS, STARTTLS, login), send one mail at a time.

The DATA phase is written out here rather than with ``smtplib.SMTP.data`` so that the
outbox can make ``committing`` durable between the message and its final ``.`` (see
``relay_server/mail/outbox.py``). The relay is monkey-patched by gevent, so smtplib's socket
waits yield to the other greenlets.

Failures are sorted for the outbox: :class:`TemporaryFailure` (retry later: 4xx, no
connection, a timeout, a login refused: settings an admin can fix), :class:`PermanentFailure`
(the server's 5xx to this mail), :class:`UncertainFailure` (the connection broke after the
final ``.``: the server may have taken the mail).
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from collections.abc import Callable

from relay_server.mail.settings import SmtpSettings

CONNECT_TIMEOUT_S = 20.0
_LEADING_DOT = re.compile(rb"(?m)^\.")


class MailFailure(Exception):
    """A try failed; ``answer`` is what the server said or what went wrong, for people."""

    def __init__(self, answer: str):
        super().__init__(answer)
        self.answer = answer


class TemporaryFailure(MailFailure):
    pass


class PermanentFailure(MailFailure):
    pass


class UncertainFailure(MailFailure):
    pass


def reply_text(code: int, message: bytes | str) -> str:
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def _failure_for(code: int, answer: str) -> MailFailure:
    return PermanentFailure(answer) if 500 <= code <= 599 else TemporaryFailure(answer)


def tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """The context TLS and STARTTLS use: the server's certificate and name are always checked,
    against ``settings.ca_file`` when set, else the system's trusted CAs.

    Raises:
        TemporaryFailure: the CA file cannot be read (an admin can fix it).
    """
    try:
        return ssl.create_default_context(cafile=settings.ca_file or None)
    except (OSError, ssl.SSLError) as error:
        reason = getattr(error, "strerror", None) or error
        raise TemporaryFailure(f"the CA file {settings.ca_file} cannot be used: {reason}") from None


class SmtpConnection:
    """An open, logged-in connection to the settings' server (raises TemporaryFailure)."""

    def __init__(self, settings: SmtpSettings, timeout_s: float = CONNECT_TIMEOUT_S):
        self.settings = settings
        where = f"{settings.host}:{settings.port}"
        context = tls_context(settings) if settings.security != "none" else None
        try:
            smtp: smtplib.SMTP
            if settings.security == "tls":
                smtp = smtplib.SMTP_SSL(
                    settings.host, settings.port, timeout=timeout_s, context=context
                )
            else:
                smtp = smtplib.SMTP(settings.host, settings.port, timeout=timeout_s)
            self.smtp = smtp
            # The message and its final "." go in two writes (the commit point between
            # them): without this, Nagle's algorithm holds the "." for the server's delayed
            # ACK, 40 ms per mail on Linux.
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if settings.security == "starttls":
                smtp.starttls(context=context)
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password)
        except smtplib.SMTPAuthenticationError as error:
            self.close()
            raise TemporaryFailure(
                f"login refused by {where}: {reply_text(error.smtp_code, error.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as error:
            self.close()
            raise TemporaryFailure(f"{where}: {error}") from None
        except smtplib.SMTPResponseException as error:
            self.close()
            raise TemporaryFailure(
                f"{where} answered {reply_text(error.smtp_code, error.smtp_error)}"
            ) from None
        except ssl.SSLCertVerificationError as error:
            self.close()
            raise TemporaryFailure(
                f"TLS with {where} failed: its certificate is not trusted "
                f"({error.verify_message}); set the mail server's CA file if it uses its own CA"
            ) from None
        except ssl.SSLError as error:
            self.close()
            raise TemporaryFailure(f"TLS with {where} failed: {error.reason or error}") from None
        except ConnectionRefusedError:
            self.close()
            raise TemporaryFailure(
                f"no mail server answers at {where} (connection refused)"
            ) from None
        except TimeoutError:
            self.close()
            raise TemporaryFailure(f"{where} did not answer in time") from None
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise TemporaryFailure(f"cannot reach {where}: {error}") from None

    def send(
        self,
        message: bytes,
        sender: str,
        recipient: str,
        before_commit: Callable[[], None] = lambda: None,
    ) -> str:
        """Send one mail (its bytes, CRLF line ends); returns the server's answer to the
        final ``.`` (``250 ...``).

        ``before_commit`` runs when only the final ``.`` is left to write; if it raises,
        the connection is dropped without the ``.`` (the server discards the transaction) and
        its exception goes on.

        Raises:
            TemporaryFailure, PermanentFailure, UncertainFailure: as the module says; after
                any of them the connection is closed unless it was a refusal of this mail.
        """
        data = _LEADING_DOT.sub(b"..", message)
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        smtp = self.smtp
        committing = False
        try:
            code, answer = smtp.mail(sender)
            if code == 530:  # RFC 3207: "Must issue a STARTTLS command first": settings
                self.close()
                raise TemporaryFailure(
                    f"the mail server requires STARTTLS: set security to STARTTLS "
                    f"({reply_text(code, answer)})"
                )
            if code != 250:
                self._reset()
                raise _failure_for(code, f"sender refused: {reply_text(code, answer)}")
            code, answer = smtp.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise _failure_for(code, f"recipient refused: {reply_text(code, answer)}")
            code, answer = smtp.docmd("DATA")
            if code != 354:
                self._reset()
                raise _failure_for(code, f"DATA refused: {reply_text(code, answer)}")
            smtp.send(data)
            try:
                before_commit()
            except BaseException:  # the "." must not follow: void the transaction
                self.drop()
                raise
            committing = True
            smtp.send(b".\r\n")
            code, answer = smtp.getreply()
        except MailFailure:
            raise
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            text = str(error) or type(error).__name__
            if committing:
                raise UncertainFailure(f"no answer after the message: {text}") from None
            raise TemporaryFailure(f"connection lost: {text}") from None
        if code != 250:
            # The server has answered the message: refused (4xx, 5xx), so it did not take it.
            raise _failure_for(code, reply_text(code, answer))
        return reply_text(code, answer)

    def _reset(self) -> None:
        try:
            self.smtp.rset()
        except (OSError, smtplib.SMTPException):
            self.close()

    def close(self) -> None:
        smtp = getattr(self, "smtp", None)
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
        self.smtp = None  # type: ignore[assignment]

    def drop(self) -> None:
        """Close the socket at once, saying nothing (QUIT in the middle of DATA would be
        read as the message's text, and its answer waited for)."""
        smtp = getattr(self, "smtp", None)
        if smtp is not None:
            smtp.close()
            self.smtp = None  # type: ignore[assignment]

    @property
    def open(self) -> bool:
        return getattr(self, "smtp", None) is not None

"""A real SMTP server on loopback for the mail tests and scripts/bench_mail.py (aiosmtpd).

:class:`SmtpServer` listens on a free port of 127.0.0.1 it picks itself (aiosmtpd's
``port=0`` does not work), keeps every message it accepted, and can be told to misbehave the
way real servers do: answer 4xx (try later) or 5xx (refused) to some mails, hold a mail after
its final ``.`` (so a test can kill the relay in the window before it hears ``250``), hold
a transaction at RCPT (before the final ``.``), or stop listening and come back on the same
port.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.ports import free_port


@dataclass
class Received:
    """One message the server took: envelope and the parsed message."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    def part(self, subtype: str) -> str:
        """The text of the ``text/<subtype>`` part, decoded."""
        for part in self.message.walk():
            if part.get_content_type() == f"text/{subtype}":
                return str(part.get_content())
        raise AssertionError(f"no text/{subtype} part in {self.message.get_content_type()}")

    def calendar(self) -> tuple[str, Any]:
        """(METHOD, the VEVENT) of the message's .ics attachment, parsed with icalendar."""
        from icalendar import Calendar

        [part] = [p for p in self.message.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") in ("REQUEST", "CANCEL")
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        return str(calendar["METHOD"]), calendar.walk("VEVENT")[0]


# The relay's first retry after a temporary failure, short enough for a test to see it.
RETRY_ARGS = ["--mail-retry-first", "0.3"]


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):  # noqa: N802
        server = self.server
        with server.lock:
            answer = server.rcpt_answers.get(address.lower())
            hold = server.hold_rcpt_of == address.lower()
        if hold:
            server.rcpt_held.set()
            await asyncio.get_running_loop().run_in_executor(None, server.release_rcpt.wait)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):  # noqa: N802
        server = self.server
        with server.lock:
            server.attempts += 1
            for address in envelope.rcpt_tos:
                if server.temporary_failures.get(address.lower(), 0) > 0:
                    server.temporary_failures[address.lower()] -= 1
                    return server.temporary_answer
            message = BytesParser(policy=policy.default).parsebytes(envelope.content)
            received = Received(
                envelope.mail_from, list(envelope.rcpt_tos), envelope.content, message
            )  # type: ignore[arg-type]
            server.received.append(received)
            hold = server.hold_after == len(server.received)
            server.changed.notify_all()
        if server.answer_delay_s:
            await asyncio.sleep(server.answer_delay_s)
        if hold:
            # Taken (counted) but not yet answered: the window a relay crash makes ambiguous.
            server.data_held.set()
            await asyncio.get_running_loop().run_in_executor(None, server.release_data.wait)
        return "250 2.0.0 OK: queued as " + str(len(server.received))


class SmtpServer:
    """aiosmtpd on 127.0.0.1:<port>, started by :meth:`start` and stopped by :meth:`stop`."""

    def __init__(
        self,
        port: int | None = None,
        security: str = "none",
        certificate: tuple[Path, Path] | None = None,
    ):
        """``security``: ``none``, ``starttls`` (STARTTLS required before MAIL) or ``tls``
        (implicit TLS from the first byte), with ``certificate`` (cert, key PEM files)."""
        self.port = port or free_port()
        self.security = security
        self.certificate = certificate
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        self.received: list[Received] = []
        self.attempts = 0
        self.temporary_failures: dict[str, int] = {}
        self.temporary_answer = "451 4.3.0 Try again later"
        self.rcpt_answers: dict[str, str] = {}
        self.answer_delay_s = 0.0
        self.hold_after: int | None = None  # hold the answer to the N-th message taken
        self.data_held = threading.Event()
        self.release_data = threading.Event()
        self.hold_rcpt_of: str | None = None
        self.rcpt_held = threading.Event()
        self.release_rcpt = threading.Event()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        tls: dict[str, Any] = {}
        if self.security != "none":
            assert self.certificate is not None, "a TLS server needs a certificate"
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(str(self.certificate[0]), str(self.certificate[1]))
            if self.security == "tls":
                tls["ssl_context"] = context
            else:
                tls.update(tls_context=context, require_starttls=True)
        self._controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=10, **tls
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self.release_data.set()
            self.release_rcpt.set()
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def relay_args(self, sender: str = "relay@example.com") -> list[str]:
        """The relay's command-line options that send through this server."""
        return ["--smtp-host", "127.0.0.1", "--smtp-port", str(self.port), "--mail-from", sender]

    def fail_next(
        self, address: str, count: int, answer: str = "451 4.3.0 Try again later"
    ) -> None:
        """Answer the next ``count`` messages to ``address`` with ``answer`` after their
        final ``.``."""
        with self.lock:
            self.temporary_failures[address.lower()] = count
            self.temporary_answer = answer

    def refuse_recipient(self, address: str, answer: str = "550 5.1.1 No such user") -> None:
        with self.lock:
            self.rcpt_answers[address.lower()] = answer

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.attempts = 0
            self.temporary_failures.clear()
            self.rcpt_answers.clear()
            self.answer_delay_s = 0.0

    def messages_to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address.lower() in map(str.lower, r.rcpt_tos)]

    def wait_for_address(self, address: str, timeout_s: float = 30.0) -> Received:
        """Wait until a message to ``address`` was taken; returns the first one."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while True:
                found = [r for r in self.received if address.lower() in map(str.lower, r.rcpt_tos)]
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no message to {address} in {timeout_s:.0f} s")
                self.changed.wait(left)

    def message_id_counts(self) -> Counter[str]:
        with self.lock:
            return Counter(r.message_id for r in self.received)

    def wait_for(self, count: int, timeout_s: float = 30.0) -> list[Received]:
        """Wait until at least ``count`` messages were taken; returns them all."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the SMTP server took {len(self.received)} of {count} messages "
                        f"in {timeout_s:.0f} s"
                    )
                self.changed.wait(left)
            return list(self.received)

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def mail_state(api: Any, token: str, mail_id: str) -> dict[str, Any]:
    """The mail's state from ``GET /api/mails/<id>`` (docs/protocol.md, *Mail*)."""
    status, body, _ = api.request("GET", f"/api/mails/{mail_id}", token=token)
    assert status == 200, body
    return dict(body["mail"])


def wait_mail_state(
    api: Any, token: str, mail_id: str, *states: str, timeout_s: float = 20.0
) -> dict[str, Any]:
    """Poll the mail until its state is one of ``states``; returns its view."""
    from tests.support.waiting import wait_until

    seen: dict[str, Any] = {}

    def reached() -> dict[str, Any] | None:
        seen.update(mail_state(api, token, mail_id))
        return dict(seen) if seen["state"] in states else None

    return wait_until(
        reached, f"mail {mail_id} to be {'/'.join(states)}", timeout_s=timeout_s,
        detail=lambda: repr(seen),
    )  # fmt: skip


@contextmanager
def mail_relay_process(
    smtp: SmtpServer,
    work: Path,
    store_args: Sequence[str] = (),
    hub_args: Sequence[str] = (),
) -> Iterator[Any]:
    """A relay (tests/support/relay.py) with ALICE and ROOT, its data in ``work`` (or the
    PostgreSQL database of ``store_args``; on the hub of ``hub_args``: the ``relay_backend``
    fixture), sending through ``smtp`` and retrying after 0.3 s; stopped on exit."""
    from tests.support.relay import ALICE, ROOT, RelayProcess, add_agent

    data = work / "data"
    data.mkdir()
    for agent in (ALICE, ROOT):
        add_agent(data, agent, store_args)
    relay = RelayProcess(data, work, [*store_args, *hub_args, *smtp.relay_args(), *RETRY_ARGS])
    relay.start()
    try:
        yield relay
    finally:
        relay.stop()


def wait_outbox_sent(outbox: Any, mail_ids: list[str], timeout_s: float = 20.0) -> None:
    """In a gevent test: poll an in-process ``Outbox`` until every mail of ``mail_ids`` is
    ``sent``."""
    import gevent

    from relay_server.mail.outbox import SENT
    from tests.support.waiting import wait_until

    wait_until(
        lambda: all(outbox.view(i)["state"] == SENT for i in mail_ids),
        "every mail sent", timeout_s, 0.005, gevent.sleep,
    )  # fmt: skip


def invite(api: Any, token: str, session_id: str, *recipients: tuple[str, str]):
    """``POST /api/supports/<id>/invitation_mails``; returns (status, body)."""
    body = {"recipients": [{"address": address, "lang": lang} for address, lang in recipients]}
    status, answer, _ = api.request(
        "POST", f"/api/supports/{session_id}/invitation_mails", body, token=token
    )
    return status, answer

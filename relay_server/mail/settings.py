"""The SMTP settings an admin sets on the admin site (AD4), as option specs (pure).

Keys ``mail.host``, ``mail.port``, ``mail.security`` (``none``, ``starttls``, ``tls``),
``mail.username``, ``mail.password`` (secret: never shown back), ``mail.sender_address``,
``mail.sender_name``. :func:`smtp_settings` reads them into one :class:`SmtpSettings`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from relay_server.mail.addresses import address_problem
from relay_server.options.specs import OptionSpec
from relay_server.reservations.reminders import reminder_minutes

SECURITY_MODES = ("none", "starttls", "tls")
MAX_HOST_CHARS = 253
MAX_FIELD_CHARS = 200
MAX_PATH_CHARS = 1024
DEFAULT_KEEP_DAYS = 30
HOST_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^\[[0-9A-Fa-f:.]+\]$")


def _text(max_chars: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise ValueError("must be text")
        value = value.strip()
        if len(value) > max_chars:
            raise ValueError(f"at most {max_chars} characters")
        if any(ord(char) < 32 or ord(char) == 127 for char in value):
            raise ValueError("line breaks and control characters are not allowed")
        return value

    return check


def _host(value: Any) -> str:
    value = _text(MAX_HOST_CHARS)(value)
    if value and not HOST_RE.match(value):
        raise ValueError("a host name (mail.example.com) or an IP address")
    return value


def _port(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ValueError("a port is a number from 1 to 65535")
    return value


def _security(value: Any) -> str:
    if value not in SECURITY_MODES:
        raise ValueError("one of " + ", ".join(SECURITY_MODES))
    return str(value)


def _password(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be text")
    if len(value) > MAX_FIELD_CHARS:
        raise ValueError(f"at most {MAX_FIELD_CHARS} characters")
    if "\r" in value or "\n" in value:
        raise ValueError("line breaks are not allowed")
    return value


def _sender_address(value: Any) -> str:
    value = _text(MAX_FIELD_CHARS)(value)
    if value:
        problem = address_problem(value)
        if problem:
            raise ValueError(problem)
    return value


def _whole_number(low: int, high: int, what: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{what} from {low} to {high}")
        return value

    return check


def _ca_file(value: Any) -> str:
    value = _text(MAX_PATH_CHARS)(value)
    if value and not (value.startswith("/") or re.match(r"^[A-Za-z]:[\\/]", value)):
        raise ValueError("the full path of a PEM file on the relay's machine, or empty")
    return value


MAIL_OPTIONS = (
    OptionSpec("mail.host", "", _host),
    OptionSpec("mail.port", 25, _port, kind="number", minimum=1, maximum=65535),
    OptionSpec("mail.security", "none", _security, kind="choice", choices=SECURITY_MODES),
    OptionSpec("mail.username", "", _text(MAX_FIELD_CHARS)),
    OptionSpec("mail.password", "", _password, secret=True),
    OptionSpec("mail.sender_address", "", _sender_address),
    OptionSpec("mail.sender_name", "RemoteSales", _text(MAX_FIELD_CHARS)),
    # TLS and STARTTLS check the server's certificate against the system's trusted CAs, or
    # against this PEM file alone when it is set (a company CA): never unchecked.
    OptionSpec("mail.ca_file", "", _ca_file),
    # Sent and failed mails are dropped from the outbox after this many days.
    OptionSpec("mail.keep_days", DEFAULT_KEEP_DAYS, _whole_number(1, 3650, "a number of days")),
    # Reservations: the reminder to invitees and the agent this many minutes before (0: none).
    OptionSpec("mail.reminder_minutes", 15, reminder_minutes),
)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    username: str
    password: str
    sender_address: str
    sender_name: str
    ca_file: str = ""  # empty: the system's trusted CAs

    @property
    def configured(self) -> bool:
        """Enough to send: a host and a sender address."""
        return bool(self.host and self.sender_address)


def smtp_settings(get: Callable[[str], Any]) -> SmtpSettings:
    """The current settings from an option getter (``Options.get``)."""
    return SmtpSettings(
        host=get("mail.host"),
        port=get("mail.port"),
        security=get("mail.security"),
        username=get("mail.username"),
        password=get("mail.password"),
        sender_address=get("mail.sender_address"),
        sender_name=get("mail.sender_name"),
        ca_file=get("mail.ca_file"),
    )

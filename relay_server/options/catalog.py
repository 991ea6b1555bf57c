"""Every option an admin may change on the admin site (AD4), by section (pure).

Sections, in the order the admin site shows them: ``sessions``, ``files``, ``mail`` (its specs
live in :mod:`relay_server.mail.settings`), ``reminders``, ``agents``, ``recording``. Each
value is read where it is used, at the moment of use (the next code, join, upload, request),
so a change applies at once; :mod:`relay_server.options.live` is the relay's view of them.

Keys and meanings (docs/protocol.md, *Options*):

- ``sessions.code_lifetime_s``: how long a new access code works (``--code-lifetime``).
- ``sessions.icons_enabled``: waiting agents' icons on the relay page (``--no-icons``).
- ``sessions.customers_per_session``: seats per session (``--customers-per-session``).
- ``files.max_file_bytes`` / ``files.file_types``: the file limits (``--max-file-size``,
  ``--file-types``; no types = every type).
- ``mail.reminder_minutes``: how long before a reserved meeting its reminder goes out
  (0 = none); the reservations' reminders read it; shown under Reminders.
- ``agents.idle_timeout_minutes``: an agent's sign-in ends after this long without activity
  (0 = never): no API call and no open session socket.
- ``recording.policy``: ``off``, ``agent_choice`` or ``always``: whether the agent's app
  records presentations (P9; the agent's ``welcome.session.recording_policy``).
"""

from __future__ import annotations

import mimetypes
import re
from typing import Any

from relay_server.files.transfers import DEFAULT_MAX_FILE_BYTES, parse_extensions, parse_size
from relay_server.mail.settings import MAIL_OPTIONS
from relay_server.options.specs import OptionSpec, choice_check, number_check, switch_check
from relay_server.sessions.supports import DEFAULT_CUSTOMERS_PER_SESSION

GROUPS = ("sessions", "files", "mail", "reminders", "agents", "recording")
RECORDING_POLICIES = ("off", "agent_choice", "always")
MIN_FILE_BYTES = 1024
MAX_FILE_BYTES = 1024**4  # 1 TiB: a spool file of one transfer must fit the relay's disk
MAX_FILE_TYPES = 100
_EXTENSION_RE = re.compile(r"^[a-z0-9]{1,10}$")
# Types people send that the system's MIME table may lack (Hangul word processor, ...).
EXTRA_FILE_TYPES = frozenset({"hwp", "hwpx", "show", "cell", "key", "numbers", "pages", "heic"})


def known_file_type(extension: str) -> bool:
    """Whether ``extension`` (lower case, no dot) names a file type anyone has heard of."""
    if extension in EXTRA_FILE_TYPES:
        return True
    return mimetypes.guess_type(f"file.{extension}", strict=False)[0] is not None


def _file_size(value: Any) -> int:
    """Bytes from a number or from ``500M`` / ``2G`` text."""
    if isinstance(value, str):
        value = parse_size(value)  # ValueError: "not a size: ..."
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a size in bytes, or like 500M or 2G")
    if not MIN_FILE_BYTES <= value <= MAX_FILE_BYTES:
        raise ValueError("a size from 1K to 1T")
    return value


def _file_types(value: Any) -> list[str]:
    """Extensions from ``"pdf, .PNG"`` text or a list; each must be a known file type."""
    if isinstance(value, list):
        if not all(isinstance(item, str) for item in value):
            raise ValueError("a list of extensions like pdf, png")
        value = ",".join(value)
    if not isinstance(value, str):
        raise ValueError("extensions separated by commas, like pdf, png")
    extensions = list(parse_extensions(value))
    if len(extensions) > MAX_FILE_TYPES:
        raise ValueError(f"at most {MAX_FILE_TYPES} types")
    for extension in extensions:
        if not _EXTENSION_RE.match(extension):
            raise ValueError(f"'{extension[:20]}' is not a file extension (letters and digits)")
        if not known_file_type(extension):
            raise ValueError(f"'.{extension}' is not a known file type")
    return extensions


RELAY_OPTIONS = (
    OptionSpec(
        "sessions.code_lifetime_s", 600, number_check(30, 86400), kind="number",
        minimum=30, maximum=86400, unit="seconds",
    ),
    OptionSpec("sessions.icons_enabled", True, switch_check, kind="switch"),
    OptionSpec(
        "sessions.customers_per_session", DEFAULT_CUSTOMERS_PER_SESSION, number_check(1, 50),
        kind="number", minimum=1, maximum=50,
    ),
    OptionSpec(
        "files.max_file_bytes", DEFAULT_MAX_FILE_BYTES, _file_size, kind="size",
        minimum=MIN_FILE_BYTES, maximum=MAX_FILE_BYTES,
    ),
    OptionSpec("files.file_types", [], _file_types, kind="list"),
    # The reminders' own key, mail.reminder_minutes (the reservations' mail reads it), shown
    # under Reminders; a MAIL_OPTIONS spec of the same key gives way to this one.
    OptionSpec(
        "mail.reminder_minutes", 15, number_check(0, 10080), kind="number",
        minimum=0, maximum=10080, unit="minutes", section="reminders",
    ),
    OptionSpec(
        "agents.idle_timeout_minutes", 0, number_check(0, 1440), kind="number",
        minimum=0, maximum=1440, unit="minutes",
    ),
    OptionSpec(
        "recording.policy", "off", choice_check(RECORDING_POLICIES), kind="choice",
        choices=RECORDING_POLICIES,
    ),
)  # fmt: skip

_RELAY_KEYS = {spec.key for spec in RELAY_OPTIONS}
ALL_OPTIONS = RELAY_OPTIONS + tuple(spec for spec in MAIL_OPTIONS if spec.key not in _RELAY_KEYS)

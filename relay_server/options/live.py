"""The relay's options as its code reads them: the admin's value at the moment of use (pure).

:class:`LiveRelayOptions` stands where ``RelayOptions`` stood (``relay.options``): the
admin-changeable fields are properties that ask the option getter each time they are read,
so the next code, join, upload or sign-in follows a change without a restart; every other
field (STUN/TURN, the public URL, the guess budget) is the start-up value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relay_server.files.transfers import FileRules

# RelayOptions field -> option key (catalog.py): the values the command line sets.
COMMAND_LINE_FIELDS = {
    "code_lifetime_s": "sessions.code_lifetime_s",
    "icons_enabled": "sessions.icons_enabled",
    "customers_per_session": "sessions.customers_per_session",
}


def command_line_values(options: Any, defaults: Any) -> dict[str, Any]:
    """The option values ``options`` (a ``RelayOptions`` from the command line) sets, that
    is, where it differs from ``defaults`` (``RelayOptions()``): those show as
    "command line" on the admin site, the rest as "default"."""
    values = {
        key: getattr(options, name)
        for name, key in COMMAND_LINE_FIELDS.items()
        if getattr(options, name) != getattr(defaults, name)
    }
    if options.file_rules.max_bytes != defaults.file_rules.max_bytes:
        values["files.max_file_bytes"] = options.file_rules.max_bytes
    if options.file_rules.allowed_extensions != defaults.file_rules.allowed_extensions:
        values["files.file_types"] = list(options.file_rules.allowed_extensions)
    return values


class LiveRelayOptions:
    """``RelayOptions`` whose admin-changeable fields are read live through ``get``.

    Args:
        initial: the start-up ``RelayOptions`` (fields an admin cannot change come from it).
        get: the option getter (``Options.get``).
    """

    def __init__(self, initial: Any, get: Callable[[str], Any]):
        self._initial = initial
        self._get = get

    @property
    def code_lifetime_s(self) -> float:
        return float(self._get("sessions.code_lifetime_s"))

    @property
    def icons_enabled(self) -> bool:
        return bool(self._get("sessions.icons_enabled"))

    @property
    def customers_per_session(self) -> int:
        return int(self._get("sessions.customers_per_session"))

    @property
    def file_rules(self) -> FileRules:
        return FileRules(
            int(self._get("files.max_file_bytes")), tuple(self._get("files.file_types"))
        )

    @property
    def recording_policy(self) -> str:
        """P9: ``off``, ``agent_choice`` or ``always`` (the agent's ``welcome.session``)."""
        return str(self._get("recording.policy"))

    @property
    def idle_timeout_s(self) -> float:
        """An agent's sign-in ends after this long without activity; 0: never."""
        return 60.0 * self._get("agents.idle_timeout_minutes")

    def __getattr__(self, name: str) -> Any:
        # Only for names the properties above do not define: the start-up values.
        return getattr(self._initial, name)

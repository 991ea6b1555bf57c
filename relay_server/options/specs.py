"""What an option is: its key, default, check and whether it is a secret (pure).

An option's value comes from one of three places, in rising precedence: its default, the
relay's command line, or an admin (stored, survives restarts). Features declare their options
as :class:`OptionSpec` lists (mail: ``relay_server/mail/settings.py``); the store-backed
:class:`relay_server.options.options.Options` keeps the values and the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from relay_server.errors import Refused


class Source(StrEnum):
    """Where an option's current value comes from."""

    DEFAULT = "default"
    COMMAND_LINE = "command_line"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option.

    Args:
        key: dotted name, e.g. ``mail.host``; the group before the dot is the admin section.
        default: the value when neither the command line nor an admin set one.
        check: turns a submitted value into the stored one or raises ``ValueError`` whose
            text says what is wrong ("a port is a number from 1 to 65535").
        secret: never shown back (a password): views say only whether it is set, and the
            audit trail records "changed", never the value.
    """

    key: str
    default: Any
    check: Callable[[Any], Any]
    secret: bool = False

    def checked(self, value: Any) -> Any:
        """The value to store.

        Raises:
            Refused: ``bad_setting`` naming the field and the reason.
        """
        try:
            return self.check(value)
        except (ValueError, TypeError) as error:
            field = self.key.split(".", 1)[-1]
            raise Refused("bad_setting", f"{field}: {error}", details={"field": field}) from None


def shown(spec: OptionSpec, value: Any) -> Any:
    """What views and the audit trail may show of ``value``."""
    if spec.secret:
        return "(set)" if value else "(empty)"
    return value

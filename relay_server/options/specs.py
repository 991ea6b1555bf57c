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
        kind: how the admin site shows and edits it: ``text``, ``number``, ``switch``,
            ``choice``, ``size`` (bytes, typed as ``500M``), ``list`` (comma-separated).
        minimum, maximum: a number's bounds (shown beside the field; ``check`` enforces them).
        choices: a ``choice``'s values.
        unit: a number's unit (``seconds``, ``minutes``), for the field's label.
        section: the admin site's section when it is not the key's group
            (``mail.reminder_minutes`` shows under Reminders).
    """

    key: str
    default: Any
    check: Callable[[Any], Any]
    secret: bool = False
    kind: str = "text"
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    unit: str = ""
    section: str = ""

    @property
    def group(self) -> str:
        """The admin section: ``section``, else the key before the dot."""
        return self.section or self.key.split(".", 1)[0]

    @property
    def field(self) -> str:
        """The name within the section: the key after the dot."""
        return self.key.split(".", 1)[-1]

    def describe(self) -> dict[str, Any]:
        """How to edit it (the admin site's form): kind, bounds, choices, unit, default."""
        described: dict[str, Any] = {"key": self.key, "group": self.group, "field": self.field}
        described["kind"] = self.kind
        described["secret"] = self.secret
        if not self.secret:
            described["default"] = self.default
        for name in ("minimum", "maximum", "unit"):
            if getattr(self, name) not in (None, ""):
                described[name] = getattr(self, name)
        if self.choices:
            described["choices"] = list(self.choices)
        return described

    def checked(self, value: Any) -> Any:
        """The value to store.

        Raises:
            Refused: ``bad_setting`` naming the field and the reason.
        """
        try:
            return self.check(value)
        except (ValueError, TypeError) as error:
            field = self.field
            raise Refused(
                "bad_setting", f"{field}: {error}", details={"field": field, "key": self.key}
            ) from None


def number_check(
    minimum: float, maximum: float, whole: bool = True
) -> Callable[[Any], int | float]:
    """A check for a number from ``minimum`` to ``maximum`` (text of digits is taken too)."""

    def check(value: Any) -> int | float:
        if isinstance(value, str):
            text = value.strip()
            try:
                value = int(text) if whole else float(text)
            except ValueError:
                raise ValueError(_bounds(minimum, maximum, whole)) from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(_bounds(minimum, maximum, whole))
        if whole and isinstance(value, float):
            if not value.is_integer():
                raise ValueError(_bounds(minimum, maximum, whole))
            value = int(value)
        if value != value or not minimum <= value <= maximum:  # NaN too
            raise ValueError(_bounds(minimum, maximum, whole))
        return value

    return check


def _bounds(minimum: float, maximum: float, whole: bool) -> str:
    what = "a whole number" if whole else "a number"
    return f"{what} from {minimum:g} to {maximum:g}"


def switch_check(value: Any) -> bool:
    """On or off: ``true``/``false`` (JSON booleans only: ``"false"`` would read as on)."""
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def choice_check(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError("one of " + ", ".join(choices))
        return str(value)

    return check


def shown(spec: OptionSpec, value: Any) -> Any:
    """What views and the audit trail may show of ``value``."""
    if spec.secret:
        return "(set)" if value else "(empty)"
    return value

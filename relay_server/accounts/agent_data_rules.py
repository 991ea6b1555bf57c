"""What an agent's account data may hold: short messages and preferences (pure).

The data follows the account (A9 short messages, the language, alerts and the automatic
sign-out), so every page and the desktop app read the same. Each check names what is wrong
(``AgentDataError``); nothing here touches the store (``agent_data.py`` does).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MAX_SHORT_MESSAGES = 200
MAX_SHORT_KEY_CHARS = 32
MAX_SHORT_TEXT_CHARS = 4000
# The key is "/" and 1-31 characters without spaces or "/" (ui/common/chat/short_messages.js).
SHORT_KEY_RE = re.compile(r"^/[^\s/]{1,31}$")
LANGUAGES = ("en", "ko")
IDLE_LOGOUT_MINUTES_RANGE = (0, 1440)  # A4; 0 = never sign out by itself, at most a day
VOLUME_RANGE = (0, 100)  # the attention sound's volume, in percent

DEFAULT_PREFERENCES: dict[str, Any] = {
    "language": "",  # "" = the page's own choice (the browser's language)
    "idle_logout_minutes": 30,
    "attention": {"sound": True, "volume": 60, "notifications": True},
}


class AgentDataError(Exception):
    """Refused account data; ``code`` is the API error code, the message says what is wrong."""

    def __init__(self, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def _bad(message: str) -> AgentDataError:
    return AgentDataError("bad_request", message)


def check_short_messages(value: Any) -> list[dict[str, str]]:
    """The list of ``{key, text}`` to store, in the agent's order.

    Raises:
        AgentDataError: ``bad_request`` naming the item and the rule; ``too_many_short_messages``
            over :data:`MAX_SHORT_MESSAGES`.
    """
    if not isinstance(value, list):
        raise _bad("'short_messages' must be a list of {key, text}")
    if len(value) > MAX_SHORT_MESSAGES:
        raise AgentDataError(
            "too_many_short_messages",
            f"at most {MAX_SHORT_MESSAGES} short messages (this list has {len(value)})",
        )
    clean: list[dict[str, str]] = []
    seen: set[str] = set()
    for index, item in enumerate(value):
        where = f"short_messages[{index}]"
        if not isinstance(item, dict) or set(item) != {"key", "text"}:
            raise _bad(f"{where} must be an object with exactly 'key' and 'text'")
        key, text = item["key"], item["text"]
        if not isinstance(key, str) or not SHORT_KEY_RE.match(key):
            raise _bad(f"{where}.key must be '/' and 1-31 characters without spaces, like /price")
        if not isinstance(text, str) or not text.strip():
            raise _bad(f"{where}.text must not be empty")
        if len(text) > MAX_SHORT_TEXT_CHARS:
            raise _bad(f"{where}.text must be at most {MAX_SHORT_TEXT_CHARS} characters")
        folded = key.casefold()
        if folded in seen:
            raise _bad(f"{where}.key {key} is used twice (keys ignore upper and lower case)")
        seen.add(folded)
        clean.append({"key": key, "text": text})
    return clean


def merge_imported(
    current: list[dict[str, str]], imported: list[dict[str, str]]
) -> tuple[list[dict[str, str]], int]:
    """Add the imported messages whose key the list does not have yet; the result and how
    many were added. Importing the same list twice adds nothing the second time.

    Raises:
        AgentDataError: ``too_many_short_messages`` when the result would be over the limit.
    """
    taken = {message["key"].casefold() for message in current}
    added = []
    for message in imported:
        if message["key"].casefold() not in taken:
            taken.add(message["key"].casefold())
            added.append(message)
    merged = [*current, *added]
    if len(merged) > MAX_SHORT_MESSAGES:
        raise AgentDataError(
            "too_many_short_messages",
            f"at most {MAX_SHORT_MESSAGES} short messages: the account has {len(current)} and "
            f"{len(added)} more would be imported",
        )
    return merged, len(added)


def _whole(key: str, value: Any, low: int, high: int, unit: str = "") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(f"'{key}' must be a whole number {low}-{high}{unit}")
    return value


def check_preferences(changes: Any) -> dict[str, Any]:
    """A partial change of the preferences, checked as a whole; unknown keys are refused.

    Raises:
        AgentDataError: ``bad_request`` naming the key and the rule.
    """
    if not isinstance(changes, Mapping):
        raise _bad("the preferences must be a JSON object")
    unknown = sorted(set(changes) - DEFAULT_PREFERENCES.keys())
    if unknown:
        known = ", ".join(DEFAULT_PREFERENCES)
        raise _bad(f"unknown preference(s): {', '.join(unknown)} (known: {known})")
    clean: dict[str, Any] = {}
    if "language" in changes:
        language = changes["language"]
        if language != "" and language not in LANGUAGES:
            raise _bad(f"'language' must be one of {', '.join(LANGUAGES)} (or \"\")")
        clean["language"] = language
    if "idle_logout_minutes" in changes:
        low, high = IDLE_LOGOUT_MINUTES_RANGE
        minutes = changes["idle_logout_minutes"]
        clean["idle_logout_minutes"] = _whole(
            "idle_logout_minutes", minutes, low, high, " (0 = off)"
        )
    if "attention" in changes:
        attention = changes["attention"]
        if not isinstance(attention, Mapping):
            raise _bad("'attention' must be an object {sound, volume, notifications}")
        out: dict[str, Any] = {}
        for name, option in attention.items():
            if name in ("sound", "notifications"):
                if not isinstance(option, bool):
                    raise _bad(f"'attention.{name}' must be true or false")
                out[name] = option
            elif name == "volume":
                out[name] = _whole("attention.volume", option, *VOLUME_RANGE)
            else:
                raise _bad(f"'attention' has no option '{name}'")
        clean["attention"] = out
    return clean


def apply_preferences(stored: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The stored preferences with a checked change applied (``attention`` merges by option)."""
    merged = {**stored, **changes}
    if "attention" in changes:
        merged["attention"] = {**stored.get("attention", {}), **changes["attention"]}
    return merged


def with_defaults(stored: Mapping[str, Any]) -> dict[str, Any]:
    """Every preference: the stored ones over the defaults."""
    view = {**DEFAULT_PREFERENCES, **{k: v for k, v in stored.items() if k in DEFAULT_PREFERENCES}}
    view["attention"] = {**DEFAULT_PREFERENCES["attention"], **stored.get("attention", {})}
    return view

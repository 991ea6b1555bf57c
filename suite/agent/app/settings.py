"""The agent's local settings: one TinyDB document in ``settings.json``, written atomically.

The file lives in the user's config folder (``platformdirs.user_config_dir("RemoteSales")``,
or ``$REMOTESALES_CONFIG_DIR``). Every change is validated as a whole before anything is
written; unknown keys are refused so a typo never silently does nothing.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path, PureWindowsPath
from typing import Any

import platformdirs
from tinydb import TinyDB
from tinydb.table import Document

from suite.agent.app.errors import SettingsError
from suite.atomic_files import AtomicJSONStorage
from suite.net.policy import NetworkSettingsError
from suite.net.policy import validate as validate_network

APP_NAME = "RemoteSales"
CONFIG_DIR_ENV = "REMOTESALES_CONFIG_DIR"
SETTINGS_FILE = "settings.json"
MAX_SHORT_MESSAGES = 200
MAX_SHORT_KEY_CHARS = 32
MAX_SHORT_TEXT_CHARS = 4000
MAX_USERNAME_CHARS = 200
MAX_URL_CHARS = 2000
IDLE_LOGOUT_MINUTES_RANGE = (0, 1440)  # A4; 0 = never sign out by itself, at most a day
VOLUME_RANGE = (0, 100)  # the attention sound's volume, in percent
TEXT_SIZES = (90, 100, 115, 130)  # A8: the windows' text size, in percent
LANGUAGES = ("en", "ko")
_DOC_ID = 1

DEFAULTS: dict[str, Any] = {
    "relay_url": "",
    "verify_tls": True,
    # The language the windows last showed ("" = the system's): the login form and new windows
    # open in it; signed in, the account's language applies (it follows the account).
    "language": "",
    "remember_id": False,
    "username": "",
    # Kept by versions before short messages, alerts and the idle time followed the account:
    # at the next sign-in they go to the account (short messages: the keys it lacks; alerts
    # and idle time: when the account still has the defaults) and are reset here.
    "short_messages": [],
    # A7: the CA file and the proxy (suite/net/policy.py); {} = the system's proxy settings.
    "network": {},
    "remote_support": {},
    "favourites": [],
    "received_files_folder": "",  # P4; "" = <Documents>/RemoteSales/Received Files
    "idle_logout_minutes": 30,  # A4; 0 = off
    # How a window in the background calls the agent(ui/agent/attention.js).
    "attention": {"sound": True, "volume": 60, "notifications": True},
    # CH9: calls in the system browser instead of the app's window (Settings › Calls).
    "calls": {"open_in_browser": False},
    # P9: record presentations automatically (within the relay's policy), and where to.
    "recording": {"automatic": False, "folder": ""},  # "" = ~/RemoteSales/Recordings
    # A8, Settings › Remote support: the windows' text size (percent), the lock after idle
    # minutes while a support is live (0 = off), and the desktop while presenting.
    "text_size": 100,
    "idle_lock_minutes": 0,
    "presenting_desktop": {"hide_wallpaper": True, "outlines_while_moving": False},
}


def config_dir() -> Path:
    """The folder holding the agent's settings: ``$REMOTESALES_CONFIG_DIR`` or the OS's."""
    override = os.environ.get(CONFIG_DIR_ENV)
    if override:
        return Path(override)
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def _string(max_chars: int) -> Callable[[str, Any], None]:
    def check(key: str, value: Any) -> None:
        if not isinstance(value, str):
            raise SettingsError(f"'{key}' must be a string")
        if len(value) > max_chars:
            raise SettingsError(f"'{key}' must be at most {max_chars} characters")

    return check


def _boolean(key: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise SettingsError(f"'{key}' must be true or false")


def _object(key: str, value: Any) -> None:
    if not isinstance(value, dict):
        raise SettingsError(f"'{key}' must be an object")


# A8 remote-support options (what the presenter child is started with; see presenter_options).
REMOTE_SUPPORT_CHOICES: dict[str, tuple[str, ...]] = {
    "codec": ("jpeg", "webp"),
    "colors": ("full", "65k", "256"),
}
QUALITY_RANGE = (10, 100)
MAX_FPS_RANGE = (1, 60)


# A8 quality presets named for people: each sets every option the presenter takes (docs/
# features.md, "Quality presets", shows the same table). "custom" keeps the options as stored;
# a settings file without a preset and without options presents as "balanced".
def _preset(quality: int, max_fps: int) -> dict[str, Any]:
    return {"lossless": False, "quality": quality, "codec": "jpeg", "colors": "full",
            "max_fps": max_fps}  # fmt: skip


QUALITY_PRESETS: dict[str, dict[str, Any]] = {
    "sharp_text": _preset(quality=90, max_fps=10),  # text first: fewer, finer pictures
    "balanced": _preset(quality=70, max_fps=30),
    "smooth_motion": _preset(quality=50, max_fps=60),  # motion first: lighter, more pictures
}
CUSTOM_PRESET = "custom"
DEFAULT_PRESET = "balanced"


def _remote_support(key: str, value: Any) -> None:
    """``{preset?, lossless?, quality?, codec?, colors?, max_fps?}``: each checked, unknown keys
    refused."""
    _object(key, value)
    for name, option in value.items():
        if name == "lossless":
            _boolean(f"{key}.lossless", option)
        elif name == "quality":
            low, high = QUALITY_RANGE
            if isinstance(option, bool) or not isinstance(option, int) or not low <= option <= high:
                raise SettingsError(f"'{key}.quality' must be a whole number {low}-{high}")
        elif name == "max_fps":
            low, high = MAX_FPS_RANGE
            number = isinstance(option, int | float) and not isinstance(option, bool)
            if not number or not low <= option <= high:
                raise SettingsError(f"'{key}.max_fps' must be a number {low}-{high}")
        elif name == "preset":
            if option != CUSTOM_PRESET and option not in QUALITY_PRESETS:
                allowed = ", ".join([*QUALITY_PRESETS, CUSTOM_PRESET])
                raise SettingsError(f"'{key}.preset' must be one of {allowed}")
        elif name in REMOTE_SUPPORT_CHOICES:
            if option not in REMOTE_SUPPORT_CHOICES[name]:
                allowed = ", ".join(REMOTE_SUPPORT_CHOICES[name])
                raise SettingsError(f"'{key}.{name}' must be one of {allowed}")
        else:
            raise SettingsError(f"'{key}' has no option '{name}'")


def _folder(key: str, value: Any) -> None:
    """ "" (the default folder) or an absolute path (``~`` allowed): never relative to wherever
    the app happened to start."""
    _string(MAX_URL_CHARS)(key, value)
    if value and not Path(value).expanduser().is_absolute():
        raise SettingsError(f"'{key}' must be a full path (like /home/me/Received) or empty")


def _recording(key: str, value: Any) -> None:
    """``{automatic?, folder?}`` (P9): each checked, unknown keys refused."""
    _object(key, value)
    for name, option in value.items():
        if name == "automatic":
            _boolean(f"{key}.automatic", option)
        elif name == "folder":
            _folder(f"{key}.folder", option)
        else:
            raise SettingsError(f"'{key}' has no option '{name}'")


def _idle_minutes(key: str, value: Any) -> None:
    """A whole number of minutes (A4): a typo like "30" or 2.5 is refused, not rounded."""
    low, high = IDLE_LOGOUT_MINUTES_RANGE
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise SettingsError(f"'{key}' must be a whole number of minutes {low}-{high} (0 = off)")


def _attention(key: str, value: Any) -> None:
    """``{sound?, volume?, notifications?}``: each checked, unknown keys refused."""
    _object(key, value)
    for name, option in value.items():
        if name in ("sound", "notifications"):
            _boolean(f"{key}.{name}", option)
        elif name == "volume":
            low, high = VOLUME_RANGE
            if isinstance(option, bool) or not isinstance(option, int) or not low <= option <= high:
                raise SettingsError(f"'{key}.volume' must be a whole number {low}-{high}")
        else:
            raise SettingsError(f"'{key}' has no option '{name}'")


def _network(key: str, value: Any) -> None:
    """A7: ``{ca_file?, proxy?: {mode, host?, port?, username?, pac_url?}}``
    (``suite.net.policy.validate``); the proxy password is not here (network_settings.py)."""
    try:
        validate_network(key, value)
    except NetworkSettingsError as error:
        raise SettingsError(error.message) from None


def _language(key: str, value: Any) -> None:
    if value != "" and value not in LANGUAGES:
        raise SettingsError(f"'{key}' must be one of {', '.join(LANGUAGES)} (or \"\")")


def _calls(key: str, value: Any) -> None:
    """``{open_in_browser?}``: checked, unknown keys refused."""
    _object(key, value)
    for name, option in value.items():
        if name == "open_in_browser":
            _boolean(f"{key}.{name}", option)
        else:
            raise SettingsError(f"'{key}' has no option '{name}'")


def _text_size(key: str, value: Any) -> None:
    if isinstance(value, bool) or value not in TEXT_SIZES:
        raise SettingsError(f"'{key}' must be one of {', '.join(map(str, TEXT_SIZES))} (percent)")


def _presenting_desktop(key: str, value: Any) -> None:
    """``{hide_wallpaper?, outlines_while_moving?}``: checked, unknown keys refused."""
    _object(key, value)
    for name, option in value.items():
        if name in ("hide_wallpaper", "outlines_while_moving"):
            _boolean(f"{key}.{name}", option)
        else:
            raise SettingsError(f"'{key}' has no option '{name}'")


MAX_LOCAL_FAVOURITES = 50
MAX_FAVOURITE_TITLE_CHARS = 120
MAX_PATH_CHARS = 4096
FAVOURITE_KINDS = ("folder", "program")


def _favourites(key: str, value: Any) -> None:
    """Favourite folders and programs of this PC (A9): ``[{id, kind, title, path}]``; the path
    must be absolute (it means something on this PC only, so it never goes to the relay)."""
    _array(key, value)
    if len(value) > MAX_LOCAL_FAVOURITES:
        raise SettingsError(f"at most {MAX_LOCAL_FAVOURITES} favourite folders and programs")
    seen: set[str] = set()
    for index, item in enumerate(value):
        where = f"{key}[{index}]"
        if not isinstance(item, dict) or set(item) != {"id", "kind", "title", "path"}:
            raise SettingsError(f"{where} must be {{id, kind, title, path}}")
        favourite_id, title, path = item["id"], item["title"], item["path"]
        if not isinstance(favourite_id, str) or not 1 <= len(favourite_id) <= 32:
            raise SettingsError(f"{where}.id must be 1-32 characters")
        if favourite_id in seen:
            raise SettingsError(f"{where}.id {favourite_id!r} is used twice")
        seen.add(favourite_id)
        if item["kind"] not in FAVOURITE_KINDS:
            raise SettingsError(f"{where}.kind must be 'folder' or 'program'")
        if not isinstance(title, str) or not 1 <= len(title.strip()) <= MAX_FAVOURITE_TITLE_CHARS:
            raise SettingsError(f"{where}.title must be 1-{MAX_FAVOURITE_TITLE_CHARS} characters")
        if not isinstance(path, str) or not 1 <= len(path) <= MAX_PATH_CHARS or "\0" in path:
            raise SettingsError(f"{where}.path must be 1-{MAX_PATH_CHARS} characters")
        if not Path(path).expanduser().is_absolute() and not PureWindowsPath(path).is_absolute():
            raise SettingsError(f"{where}.path must be a full path, like /home/me/Documents")


def _array(key: str, value: Any) -> None:
    if not isinstance(value, list):
        raise SettingsError(f"'{key}' must be a list")


def _short_messages(key: str, value: Any) -> None:
    _array(key, value)
    if len(value) > MAX_SHORT_MESSAGES:
        raise SettingsError(f"at most {MAX_SHORT_MESSAGES} short messages")
    seen: set[str] = set()
    for index, item in enumerate(value):
        where = f"short_messages[{index}]"
        if not isinstance(item, dict) or set(item) != {"key", "text"}:
            raise SettingsError(f'{where} must be {{"key", "text"}}')
        short_key, text = item["key"], item["text"]
        if not isinstance(short_key, str) or not 1 <= len(short_key) <= MAX_SHORT_KEY_CHARS:
            raise SettingsError(f"{where}.key must be 1-{MAX_SHORT_KEY_CHARS} characters")
        if any(c.isspace() for c in short_key):
            raise SettingsError(f"{where}.key must not contain spaces")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_SHORT_TEXT_CHARS:
            raise SettingsError(f"{where}.text must be 1-{MAX_SHORT_TEXT_CHARS} characters")
        if short_key in seen:
            raise SettingsError(f"{where}.key {short_key!r} is used twice")
        seen.add(short_key)


VALIDATORS: dict[str, Callable[[str, Any], None]] = {
    "relay_url": _string(MAX_URL_CHARS),
    "verify_tls": _boolean,
    "language": _language,
    "remember_id": _boolean,
    "username": _string(MAX_USERNAME_CHARS),
    "short_messages": _short_messages,
    "network": _network,
    "remote_support": _remote_support,
    "recording": _recording,
    "favourites": _favourites,
    "received_files_folder": _folder,
    "idle_logout_minutes": _idle_minutes,
    "attention": _attention,
    "calls": _calls,
    "text_size": _text_size,
    "idle_lock_minutes": _idle_minutes,
    "presenting_desktop": _presenting_desktop,
}
assert VALIDATORS.keys() == DEFAULTS.keys()


def validate(changes: Mapping[str, Any]) -> None:
    """Check a partial settings object.

    Raises:
        SettingsError: an unknown key or a value of the wrong shape (the message names it).
    """
    if not isinstance(changes, Mapping):
        raise SettingsError("settings must be a JSON object")
    unknown = sorted(set(changes) - DEFAULTS.keys())
    if unknown:
        raise SettingsError(f"unknown setting(s): {', '.join(unknown)}")
    for key, value in changes.items():
        VALIDATORS[key](key, value)


class LocalSettings:
    """The settings file; safe to use from the local server's threads.

    Args:
        folder: where ``settings.json`` goes (created if missing); default :func:`config_dir`.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder) if folder is not None else config_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / SETTINGS_FILE
        self._lock = threading.Lock()
        self._db = TinyDB(self.path, storage=AtomicJSONStorage)
        self._table = self._db.table("settings")

    def get(self) -> dict[str, Any]:
        """All settings: the stored values over the defaults (a fresh copy)."""
        with self._lock:
            return self._current()

    def _current(self) -> dict[str, Any]:
        stored: dict[str, Any] = self._table.get(doc_id=_DOC_ID) or {}
        merged = copy.deepcopy(DEFAULTS)
        # A file from a newer version may hold keys this one does not know: keep them on disk,
        # but do not show them.
        merged.update({k: copy.deepcopy(v) for k, v in stored.items() if k in DEFAULTS})
        return merged

    def update(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and store a partial change; returns all settings after it.

        Raises:
            SettingsError: nothing is written.
        """
        validate(changes)
        with self._lock:
            stored = dict(self._table.get(doc_id=_DOC_ID) or {})
            stored.update(copy.deepcopy(dict(changes)))
            self._table.upsert(Document(stored, doc_id=_DOC_ID))
            return self._current()

    def close(self) -> None:
        with self._lock:
            self._db.close()

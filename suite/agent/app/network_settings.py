"""The agent's network settings (A7) as a policy, and where the manual proxy's password lives.

The password goes to the OS keyring through ``keyring`` (Secret Service on Linux desktops, the
Windows Credential Manager, the macOS Keychain). Where no keyring backend exists (a bare X
session, a server), it goes to ``proxy-password`` beside ``settings.json``, readable by the user
only (0600); ``GET /local/network`` says which (``password_store``) and docs/security.md says
why. It never goes into ``settings.json`` and never back to a page.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

from suite.agent.app.errors import SettingsError
from suite.agent.app.settings import LocalSettings
from suite.net.connect import Connector
from suite.net.policy import NetworkPolicy, NetworkSettingsError, validate_password

logger = logging.getLogger(__name__)

KEYRING_SERVICE = "RemoteSales"
KEYRING_USER = "proxy"
PASSWORD_FILE = "proxy-password"


class ProxyPasswordStore:
    """The manual proxy's password: the OS keyring, else a 0600 file in ``folder``."""

    def __init__(self, folder: Path, use_keyring: bool = True) -> None:
        self._file = folder / PASSWORD_FILE
        self._lock = threading.Lock()
        # Looked up on first use, not at the app's start: keyring's backend discovery reads
        # every installed package's entry points and, on Linux, runs ldconfig and gcc for the
        # macOS backend's find_library (2.5-4.5 s at load ~19 on the app's start path).
        self._use_keyring = use_keyring
        self._resolved = False
        self._found: Any = None

    @property
    def _keyring(self) -> Any:
        """The keyring module, or None (no real backend, or not wanted); called under _lock
        or before any other thread uses the store."""
        if not self._resolved:
            self._found = _find_keyring() if self._use_keyring else None
            self._resolved = True
        return self._found

    @property
    def kind(self) -> str:
        """``keyring`` or ``file``."""
        with self._lock:
            return "keyring" if self._keyring is not None else "file"

    def get(self) -> str:
        with self._lock:
            if self._keyring is not None:
                try:
                    return self._keyring.get_password(KEYRING_SERVICE, KEYRING_USER) or ""
                except Exception:  # a locked or broken keyring: no password, say so in the log
                    logger.warning("the keyring could not be read", exc_info=True)
                    return ""
            try:
                return self._file.read_text(encoding="utf-8")
            except FileNotFoundError:
                return ""

    def set(self, password: str) -> None:
        """Store ``password`` ("" removes it).

        Raises:
            SettingsError: the keyring refused it (nothing changed).
        """
        with self._lock:
            if self._keyring is not None:
                try:
                    if password:
                        self._keyring.set_password(KEYRING_SERVICE, KEYRING_USER, password)
                    elif self._keyring.get_password(KEYRING_SERVICE, KEYRING_USER):
                        self._keyring.delete_password(KEYRING_SERVICE, KEYRING_USER)
                except Exception as error:
                    raise SettingsError(
                        f"the keyring did not store the password: {error}"
                    ) from None
                return
            if not password:
                self._file.unlink(missing_ok=True)
                return
            temporary = self._file.with_suffix(".tmp")
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(password)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self._file)


def _find_keyring() -> Any:
    """The keyring module when a real backend exists, else None (the fail/null backends)."""
    try:
        import keyring
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if getattr(backend, "priority", 0) <= 0:
        logger.info("no OS keyring (%s): the proxy password goes in a 0600 file", backend)
        return None
    return keyring


class AgentNetwork:
    """What the local API and the presenter need of the network settings."""

    def __init__(self, settings: LocalSettings, passwords: ProxyPasswordStore | None = None):
        self.settings = settings
        self.passwords = passwords or ProxyPasswordStore(settings.folder)

    def policy(
        self, changes: dict[str, Any] | None = None, password: str | None = None
    ) -> NetworkPolicy:
        """The policy of the stored settings, or of ``changes`` over them (a connection test
        of what the form says before it is saved); ``password`` None = the stored one."""
        current = self.settings.get()
        if changes:
            current.update(changes)
        if password is None:
            # Only a proxy user name needs it (manual or PAC proxies): otherwise the keyring
            # is not even looked up (see ProxyPasswordStore).
            proxy = current["network"].get("proxy") or {}
            password = self.passwords.get() if proxy.get("username") else ""
        return NetworkPolicy.from_settings(current["network"], current["verify_tls"], password)

    def connector(self) -> Connector:
        return Connector(self.policy())


def checked_password(value: Any) -> str:
    """The password field of a request, checked.

    Raises:
        SettingsError: as :func:`suite.net.policy.validate_password` says.
    """
    try:
        return validate_password(value)
    except NetworkSettingsError as error:
        raise SettingsError(error.message) from None

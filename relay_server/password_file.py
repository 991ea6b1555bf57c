"""Where the relay reads a service's password: a file named on the command line, or else an
environment variable, never the command line itself (process lists show it)."""

from __future__ import annotations

import os
from pathlib import Path


def read_password(option: str, password_file: Path | None, env_name: str) -> str | None:
    """The first line of ``password_file`` (``""`` for an empty file), or else ``$env_name``
    when set and not empty, or else None.

    Raises:
        ValueError: the file cannot be read; the message names ``option`` and the file.
    """
    if password_file is not None:
        try:
            lines = password_file.read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise ValueError(f"{option}: {error.strerror}: {password_file}") from None
        return lines[0] if lines else ""
    return os.environ.get(env_name) or None

"""Safe file names for files received from the other side of a session (pure, no I/O but one).

A name offered by a customer or an agent is untrusted: it may climb folders
(``../../etc/passwd``), hide control characters, use a name Windows reserves (``CON``,
``LPT1``), end in dots or spaces that Windows silently drops, or be too long for any file
system. :func:`safe_file_name` turns it into a plain name for one file in one folder;
:func:`unique_path` finds a free path next to existing files without ever overwriting one
(``report.pdf`` → ``report (1).pdf``), as browsers and mail clients do.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

MAX_NAME_BYTES = 200  # most file systems allow 255 bytes; leave room for " (12).part"
FALLBACK_NAME = "file"
_WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"]
    + [f"COM{i}" for i in range(10)]
    + [f"LPT{i}" for i in range(10)]
    + ["COM¹", "COM²", "COM³", "LPT¹", "LPT²", "LPT³", "CONIN$", "CONOUT$"]
)
# Characters Windows forbids in names, and every C0/C1 control character.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f-\x9f]')


def safe_file_name(name: str) -> str:
    """Return ``name`` as a harmless single file name (never empty, never a path).

    Only the last path component survives (both ``/`` and ``\\`` separate), so
    ``../../etc/passwd`` becomes ``passwd``; forbidden and control characters become ``_``;
    leading and trailing dots and spaces go (no hidden files, no Windows-dropped dots); a
    reserved Windows device name gets a ``_`` prefix; long names are cut to
    ``MAX_NAME_BYTES`` bytes of UTF-8, keeping the extension.
    """
    name = unicodedata.normalize("NFC", str(name))
    name = re.split(r"[/\\]", name)[-1]
    # Format characters (e.g. U+202E right-to-left override) disguise extensions: drop them.
    name = "".join(c for c in name if unicodedata.category(c) != "Cf")
    name = _FORBIDDEN.sub("_", name)
    name = name.strip(" .")
    if not name:
        return FALLBACK_NAME
    stem, dot, extension = name.partition(".")
    if stem.upper().rstrip(" ") in _WINDOWS_RESERVED:
        name = "_" + name
    return _shorten(name)


def _shorten(name: str) -> str:
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, extension = os.path.splitext(name)
    if len(extension.encode()) > 20:  # not a real extension: cut the whole name
        stem, extension = name, ""
    room = MAX_NAME_BYTES - len(extension.encode())
    cut = stem.encode()[:room].decode(errors="ignore").rstrip(" .")
    return (cut or FALLBACK_NAME) + extension


def numbered(name: str, number: int) -> str:
    """``report.pdf`` with number 2 → ``report (2).pdf``; number 0 gives the name itself."""
    if number == 0:
        return name
    stem, extension = os.path.splitext(name)
    if not stem:  # ".bashrc"-like names have no stem after splitext's rules
        stem, extension = extension, ""
    return f"{stem} ({number}){extension}"


def unique_path(folder: Path, name: str, taken: set[str] | None = None) -> Path:
    """The first ``folder/<safe name>`` (then ``name (1)``, ``name (2)``...) that is free.

    It is claimed by creating it empty (``O_EXCL``), so two receivers finishing at the same
    moment never pick the same path; the caller then replaces it (``os.replace``).

    Args:
        taken: names to treat as taken besides existing files (for tests and dry runs).
    """
    safe = safe_file_name(name)
    taken = taken or set()
    for number in range(0, 10_000):
        candidate = folder / numbered(safe, number)
        if candidate.name in taken:
            continue
        try:
            fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        os.close(fd)
        return candidate
    raise FileExistsError(f"no free name for {safe!r} in {folder}")

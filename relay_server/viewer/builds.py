"""Which one-time viewer executables this relay can hand out (``--viewer-dir``), per platform.

``scripts/build viewer`` writes ``dist/remotesales-viewer-<platform>[.exe]``; an operator copies
the builds of each platform into one folder and starts the relay with ``--viewer-dir`` on it.
Platform names: ``linux``, ``windows``, ``macos``. The customer's platform comes from the page
(``navigator.platform`` / user-agent data) or, failing that, the request's ``User-Agent``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PLATFORMS = ("linux", "windows", "macos")
BUILD_PREFIX = "remotesales-viewer-"
# What the customer's browser saves the file as.
DOWNLOAD_NAMES = {
    "linux": "RemoteSales-Viewer",
    "windows": "RemoteSales-Viewer.exe",
    "macos": "RemoteSales-Viewer",
}


def build_file_name(platform: str) -> str:
    """The file name ``scripts/build`` gives the viewer for ``platform``."""
    return f"{BUILD_PREFIX}{platform}{'.exe' if platform == 'windows' else ''}"


def platform_from_user_agent(user_agent: str) -> str | None:
    """Best guess of the customer's desktop platform from a ``User-Agent`` header.

    Phones and tablets get ``None``: there is no native viewer for them, the browser viewer is
    the way (iPadOS and Android user agents are checked before the desktop names they contain).
    """
    ua = user_agent.lower()
    if any(word in ua for word in ("android", "iphone", "ipad", "mobile")):
        return None
    if "windows" in ua:
        return "windows"
    if "mac os x" in ua or "macintosh" in ua:
        return "macos"
    if "linux" in ua or "x11" in ua:
        return "linux"
    return None


@dataclass(frozen=True, slots=True)
class ViewerBuild:
    platform: str
    path: Path
    download_name: str

    @property
    def size(self) -> int:
        return self.path.stat().st_size


class ViewerBuilds:
    """The viewer executables in one folder; looked up on every request (the folder may change).

    Args:
        folder: the ``--viewer-dir`` folder, or None when the relay offers no viewer download.
    """

    def __init__(self, folder: Path | None):
        self.folder = folder

    def find(self, platform: str) -> ViewerBuild | None:
        if self.folder is None or platform not in PLATFORMS:
            return None
        path = self.folder / build_file_name(platform)
        if not path.is_file():
            return None
        return ViewerBuild(platform, path, DOWNLOAD_NAMES[platform])

    def available(self) -> list[str]:
        return [platform for platform in PLATFORMS if self.find(platform) is not None]

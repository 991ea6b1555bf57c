"""Agents' profile photos (A2): small images kept in the data folder, served publicly."""

from __future__ import annotations

from pathlib import Path

from suite.atomic_files import write_atomically

MAX_PHOTO_BYTES = 1024 * 1024
_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
    b"\xff\xd8\xff": ("jpg", "image/jpeg"),
}


KINDS = (("png", "image/png"), ("jpg", "image/jpeg"), ("webp", "image/webp"))


class PhotoError(ValueError):
    pass


def sniff(data: bytes) -> tuple[str, str]:
    """(extension, MIME type) from the file's first bytes; the client's claim is not trusted."""
    for signature, kind in _SIGNATURES.items():
        if data.startswith(signature):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    raise PhotoError("a photo must be a PNG, JPEG or WebP image")


class Photos:
    def __init__(self, folder: Path):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)

    def put(self, username: str, data: bytes) -> Path:
        if len(data) > MAX_PHOTO_BYTES:
            raise PhotoError(f"a photo may be at most {MAX_PHOTO_BYTES // 1024} KiB")
        extension, _ = sniff(data)
        self.delete(username)
        path = self.folder / f"{username}.{extension}"
        write_atomically(path, data)
        return path

    def find(self, username: str) -> tuple[Path, str] | None:
        for extension, mime in KINDS:
            path = self.folder / f"{username}.{extension}"
            if path.exists():
                return path, mime
        return None

    def delete(self, username: str) -> None:
        found = self.find(username)
        if found:
            found[0].unlink(missing_ok=True)

    def url(self, username: str) -> str:
        found = self.find(username)
        if not found:
            return ""
        return f"/api/agents/{username}/photo?v={int(found[0].stat().st_mtime)}"

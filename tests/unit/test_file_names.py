"""The received-file name sanitiser and the never-overwrite naming (suite/files/names.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from suite.files.names import MAX_NAME_BYTES, numbered, safe_file_name, unique_path


@pytest.mark.parametrize(
    ("offered", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\evil.dll", "evil.dll"),
        ("/etc/shadow", "shadow"),
        ("..", "file"),
        ("", "file"),
        ("   ", "file"),
        (".bashrc", "bashrc"),
        ("name.", "name"),
        ("a\x00b\x1fc\x7f.txt", "a_b_c_.txt"),
        ("bell\x07\n.txt", "bell__.txt"),
        ('what?<is>"this"|*:.txt', "what__is__this____.txt"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT1.tar.gz", "_LPT1.tar.gz"),
        ("console.txt", "console.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("견적서 2026.pdf", "견적서 2026.pdf"),
    ],
)
def test_safe_file_name(offered: str, safe: str):
    """Paths, control and forbidden characters, reserved and empty names become plain names."""
    assert safe_file_name(offered) == safe


def test_long_names_are_cut_keeping_the_extension():
    """A name over MAX_NAME_BYTES of UTF-8 is shortened without splitting a character."""
    name = safe_file_name("가" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= MAX_NAME_BYTES
    name.encode().decode()  # still valid UTF-8


@pytest.mark.parametrize(
    ("name", "number", "expected"),
    [
        ("report.pdf", 0, "report.pdf"),
        ("report.pdf", 1, "report (1).pdf"),
        ("archive.tar.gz", 2, "archive.tar (2).gz"),
        ("README", 3, "README (3)"),
    ],
)
def test_numbered(name: str, number: int, expected: str):
    """Numbered variants go before the extension, as browsers name repeated downloads."""
    assert numbered(name, number) == expected


def test_unique_path_never_overwrites(tmp_path: Path):
    """Existing files keep their bytes; each new file gets the next free number."""
    (tmp_path / "report.pdf").write_bytes(b"old")
    first = unique_path(tmp_path, "report.pdf")
    second = unique_path(tmp_path, "../report.pdf")
    assert (first.name, second.name) == ("report (1).pdf", "report (2).pdf")
    assert (tmp_path / "report.pdf").read_bytes() == b"old"
    assert first.parent == second.parent == tmp_path

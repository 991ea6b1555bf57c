"""Feature IDs in comments resolve through docs/features.md; issue numbers are not cited.

The IDs (``P3``, ``AD1``, ``CH6``...) number the functions of the user guide; a reader of the
code finds each one's name and home in docs/features.md. An issue number says nothing to that
reader, so the code and docs name the feature instead.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("suite", "relay_server", "ui", "tests", "docs", "scripts", "build", "README.md")
SUFFIXES = {".py", ".js", ".html", ".css", ".md", ".sh", ".spec", ""}
# Not after % (URL escapes such as %D9) or # (colours): those are not feature IDs.
FEATURE_ID = re.compile(r"(?<![%#\w])(?:AD|CH|A|C|P|D|G)[1-9][0-9]?\b")
ISSUE_NUMBER = re.compile(r"\bissues? #?[0-9]+", re.IGNORECASE)
INDEX = REPO_ROOT / "docs" / "features.md"


def _texts() -> dict[str, str]:
    """Every scanned text file, by its path relative to the repository."""
    found: dict[str, str] = {}
    for name in SCANNED:
        top = REPO_ROOT / name
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if not path.is_file() or path.suffix not in SUFFIXES or "__pycache__" in path.parts:
                continue
            try:
                found[str(path.relative_to(REPO_ROOT))] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:  # a binary fixture
                continue
    return found


def _listed_ids() -> set[str]:
    """The IDs in the first column of docs/features.md's tables."""
    return set(re.findall(r"^\| ([A-Z]+[0-9]+) \|", INDEX.read_text(encoding="utf-8"), re.M))


def test_every_feature_id_in_the_code_is_listed_in_docs_features():
    """An ID used anywhere in code, tests or docs has a row in docs/features.md."""
    listed = _listed_ids()
    assert {"A1", "P3", "AD1", "CH6", "D4", "G7"} <= listed
    unknown = sorted(
        f"{path}: {found}"
        for path, text in _texts().items()
        for found in set(FEATURE_ID.findall(text)) - listed
    )
    assert not unknown, f"feature IDs missing from docs/features.md: {unknown}"


def test_no_issue_numbers_in_code_or_docs():
    """Comments and docs name a feature ("the one-time viewer"), never "issue 6"."""
    this = str(Path(__file__).resolve().relative_to(REPO_ROOT))
    cited = sorted(
        f"{path}:{text.count(chr(10), 0, match.start()) + 1}: {match.group()}"
        for path, text in _texts().items()
        if path != this
        for match in ISSUE_NUMBER.finditer(text)
    )
    assert not cited, f"issue numbers instead of feature names: {cited}"


def test_every_path_in_docs_features_exists():
    """The files and folders docs/features.md points to are there (a move updates the index)."""
    named = re.findall(r"`((?:suite|relay_server|ui|docs|build|scripts)/[A-Za-z0-9_./-]*)`",
                       INDEX.read_text(encoding="utf-8"))  # fmt: skip
    assert len(named) > 50
    missing = sorted({path for path in named if not (REPO_ROOT / path).exists()})
    assert not missing, f"docs/features.md names paths that do not exist: {missing}"

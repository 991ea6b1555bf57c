"""docs/security.md names, for every limit, the tests that show it: each named test exists."""

from __future__ import annotations

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# `tests/x/test_y.py::test_z` (or `test_y.py::test_z`, a file found under tests/) starts a
# reference; `::test_w` after it names another test in the same file; a bare path names a file.
REFERENCE = re.compile(r"`(?:((?:tests/[\w/]+/)?test_\w+\.py)(?:::(\w+))?|::(\w+))`")


def _find(path: str) -> Path | None:
    if "/" in path:
        return REPO_ROOT / path if (REPO_ROOT / path).is_file() else None
    found = sorted((REPO_ROOT / "tests").rglob(path))
    return found[0] if len(found) == 1 else None


def test_every_test_docs_security_names_exists() -> None:
    """Each file and test function named in docs/security.md is in the tree."""
    text = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    missing: list[str] = []
    named = 0
    current: Path | None = None
    for line in text.splitlines():
        for path, name, sibling in REFERENCE.findall(line):
            if path:
                current = _find(path)
                if current is None:
                    missing.append(f"{path} (no such file, or more than one)")
                    continue
            test = name or sibling
            if test and current is not None:
                named += 1
                if not re.search(rf"^\s*def {test}\(", current.read_text(encoding="utf-8"), re.M):
                    missing.append(f"{current.relative_to(REPO_ROOT)}::{test}")
    assert named > 60, "docs/security.md names too few tests: did its format change?"
    assert missing == []

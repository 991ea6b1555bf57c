"""Tests write screenshots into the run's artifacts; only tests/support/shots.py names the
reviewers' folder, and it copies there only on a machine where that folder exists."""

from __future__ import annotations

from pathlib import Path

from tests.support.shots import keep_shot

TESTS = Path(__file__).resolve().parents[1]
THE_ONE_PLACE = TESTS / "support" / "shots.py"


def test_no_test_names_the_reviewers_folder_but_shots_py() -> None:
    """No test module but tests/support/shots.py spells the reviewers' folder's path."""
    spelled = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if path != THE_ONE_PLACE and "/work/" + "shots" in path.read_text(encoding="utf-8")
    ]
    assert spelled == []


def test_keep_shot_copies_only_where_the_reviewers_folder_exists(tmp_path: Path) -> None:
    """keep_shot copies into an existing reviewers' folder and creates none where it is absent."""
    shot = tmp_path / "artifacts" / "page.png"
    shot.parent.mkdir()
    shot.write_bytes(b"png")
    absent = tmp_path / "nowhere" / "history"
    assert keep_shot(shot, absent) == shot
    assert not absent.parent.exists()
    present = tmp_path / "shots" / "history"
    present.parent.mkdir()
    keep_shot(shot, present, "renamed.png")
    assert (present / "renamed.png").read_bytes() == b"png"

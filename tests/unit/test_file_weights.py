"""The file weights that order the test files for the workers (tests/support/file_weights.py)."""

from __future__ import annotations

from pathlib import Path

from tests.support.file_weights import (
    TABLE,
    file_weight,
    read_table,
    report_sums,
    table_text,
)

REPO_ROOT = Path(__file__).resolve().parents[2]

REPORT = """\
============================= slowest durations ==============================
96.80s call     tests/e2e/test_b.py::test_one[960x720]
12.50s setup    tests/e2e/test_b.py::test_one[960x720]
0.70s teardown tests/e2e/test_b.py::test_two
40.00s call     tests/integration/test_a.py::TestX::test_y
(3 durations < 0.005s hidden.  Use -vv to show these durations.)
3 passed in 150.00s
"""


def test_a_report_sums_every_phase_per_file() -> None:
    sums = report_sums(REPORT)
    assert sums.keys() == {"tests/e2e/test_b.py", "tests/integration/test_a.py"}
    assert round(sums["tests/e2e/test_b.py"], 2) == 110.0
    assert sums["tests/integration/test_a.py"] == 40.0


def test_the_table_round_trips_heaviest_first(tmp_path: Path) -> None:
    weights = {"tests/unit/test_u.py": 2.0, "tests/e2e/test_b.py": 110.0, "tests/e2e/test_c.py": 7}
    path = tmp_path / "weights.txt"
    path.write_text(table_text(weights))
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    assert lines == ["110 tests/e2e/test_b.py", "7 tests/e2e/test_c.py", "2 tests/unit/test_u.py"]
    assert read_table(path) == weights
    assert read_table(tmp_path / "missing.txt") == {}


def test_an_unknown_file_weighs_as_the_median_one_outside_unit() -> None:
    weights = {"tests/e2e/a.py": 300.0, "tests/e2e/b.py": 20.0, "tests/integration/c.py": 60.0,
               "tests/unit/u.py": 1.0}  # fmt: skip
    assert file_weight(weights, "tests/e2e/a.py") == 300.0
    assert file_weight(weights, "tests/e2e/new.py") == 60.0
    assert file_weight(weights, "tests/unit/new.py") == 0.0
    assert file_weight({}, "tests/e2e/new.py") == 0.0


def test_the_checked_in_table_names_existing_files() -> None:
    weights = read_table(TABLE)
    assert weights, f"{TABLE} is empty"
    missing = [name for name in weights if not (REPO_ROOT / name).exists()]
    assert not missing, f"run scripts/file_weights.py: gone files in the table: {missing}"

#!/usr/bin/env python3
"""Write tests/file_weights.txt, the seconds each test file took, from pytest reports.

    scripts/test --durations=0 ... > run.log      (or any pytest run with --durations=0)
    .venv/bin/python scripts/file_weights.py run.log [more.log ...]

Every "12.34s call     tests/e2e/test_x.py::test_y" line of the reports' slowest-durations
section counts (setup, call and teardown); a file in several reports keeps the last report's
sum, the files of the table that no report names keep their weight, and files that no longer
exist leave it. tests/conftest.py hands the files to scripts/test's workers heaviest first
(tests/support/file_weights.py): the weights only order the files, so numbers from a loaded
machine do as long as the heavy files stay heavy.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.file_weights import TABLE, read_table, report_sums, table_text  # noqa: E402


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    weights = read_table(TABLE)
    for report in argv:
        sums = report_sums(Path(report).read_text(encoding="utf-8", errors="replace"))
        if not sums:
            print(f"file_weights: no --durations=0 lines in {report}", file=sys.stderr)
            return 1
        weights.update(sums)
    gone = [name for name in weights if not (REPO_ROOT / name).exists()]
    for name in gone:
        del weights[name]
    TABLE.write_text(table_text(weights), encoding="utf-8")
    print(f"file_weights: {len(weights)} files in {TABLE} ({len(gone)} gone)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

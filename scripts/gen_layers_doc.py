#!/usr/bin/env python3
"""Write the *Layers* table of docs/architecture.md from tests/support/layers.py.

    scripts/gen_layers_doc.py           rewrite the table in place
    scripts/gen_layers_doc.py --check   exit 1 (and say so) when the doc's table is stale

The table sits between two HTML comments (``layers.TABLE_BEGIN`` / ``TABLE_END``) and is
replaced whole; tests/unit/test_layers.py fails when it differs from what this script writes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.layers import TABLE_BEGIN, TABLE_END, layers_table  # noqa: E402

DOC = REPO_ROOT / "docs" / "architecture.md"


def with_table(text: str) -> str:
    """``text`` with its layers table replaced by the generated one.

    Raises:
        ValueError: the markers are missing or out of order.
    """
    begin, end = text.find(TABLE_BEGIN), text.find(TABLE_END)
    if begin < 0 or end < begin:
        raise ValueError(
            f"{DOC.name} has no layers table markers ({TABLE_BEGIN!r} ... {TABLE_END!r})"
        )
    end = text.index("\n", end) + 1 if "\n" in text[end:] else len(text)
    return text[:begin] + layers_table() + text[end:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale table")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    try:
        updated = with_table(text)
    except ValueError as error:
        print(f"gen_layers_doc: error: {error}", file=sys.stderr)
        return 2
    if updated == text:
        return 0
    if args.check:
        print(f"gen_layers_doc: {DOC} is stale: run scripts/gen_layers_doc.py", file=sys.stderr)
        return 1
    DOC.write_text(updated, encoding="utf-8")
    print(f"gen_layers_doc: rewrote the layers table of {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

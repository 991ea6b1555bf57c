"""One table maps every error code of the relay's HTTP API to its status; cores raise codes."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from relay_server.sessions.access_codes import CodeProblem
from relay_server.sessions.supports import JoinProblem
from relay_server.viewer.tickets import TicketProblem
from relay_server.web.http_bodies import HTTP_STATUS

ROOT = Path(__file__).resolve().parents[2]
# Where a route may give a status of its own (one code meaning two things at the HTTP edge).
ROUTE_MODULES = {"routes.py", "app.py", "http_bodies.py"}


def _raised_codes() -> dict[str, list[str]]:
    """Every code a ``Refused(...)`` or ``AccountError(...)`` is built with, and where."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "relay_server").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = ast.unparse(node.func)
            first = node.args[0]
            if name in ("Refused", "AccountError") and isinstance(first, ast.Constant):
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                found.setdefault(str(first.value), []).append(where)
    return found


def test_every_code_raised_has_a_status():
    """A code missing from HTTP_STATUS would be a 500: every raised code is in the table."""
    codes = set(_raised_codes())
    codes |= {str(p) for p in (*CodeProblem, *JoinProblem, *TicketProblem)}
    assert codes - set(HTTP_STATUS) == set()
    assert len(codes) > 40


def test_cores_raise_codes_without_statuses():
    """Refused's first argument is a code everywhere; only HTTP route modules override the
    status (400 bad_offset: a route's parse error)."""
    for path in sorted((ROOT / "relay_server").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "Refused":
                where = f"{path.relative_to(ROOT)}:{node.lineno}"
                first = node.args[0] if node.args else None
                assert not (isinstance(first, ast.Constant) and isinstance(first.value, int)), where
                if any(k.arg == "status" for k in node.keywords):
                    assert path.name in ROUTE_MODULES, where


def test_the_table_is_what_docs_protocol_says():
    """Each code's status is written next to it in docs/protocol.md ("404 session_not_found",
    "410 transfer_cancelled`/`transfer_failed")."""
    doc = (ROOT / "docs" / "protocol.md").read_text()
    documented: dict[str, set[int]] = {}
    for status, first, more in re.findall(r"`(\d{3}) ([a-z_]+)`((?:/`[a-z_]+`)*)", doc):
        for code in (first, *re.findall(r"`([a-z_]+)`", more)):
            documented.setdefault(code, set()).add(int(status))
    for code, status in HTTP_STATUS.items():
        assert status in documented.get(code, set()), f"docs/protocol.md lacks `{status} {code}`"

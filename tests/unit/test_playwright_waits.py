"""Every ``wait_for_function`` in the tests and scripts waits on a function, not a bare expression.

Our pages' Content-Security-Policy has no ``'unsafe-eval'``. Playwright evaluates a bare
expression again with ``eval`` on every poll after the first (its first poll runs inside the
DevTools call, which the policy lets through), so a bare expression that is false at first fails
with an ``EvalError`` instead of waiting: a race that only a slow machine loses. A function
(``"() => ..."``) is evaluated once and then called on each poll.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
FUNCTION_STARTS = ("(", "function", "async")


def first_literal_text(node: ast.expr) -> str | None:
    """The leading literal text of a string or f-string argument; None when it is not literal."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        head = node.values[0]
        if isinstance(head, ast.Constant) and isinstance(head.value, str):
            return head.value
        return ""
    return None


def bare_expression_waits(source: str, path: str) -> list[str]:
    """``path:line`` of each ``wait_for_function`` whose literal argument is not a function."""
    found = []
    for node in ast.walk(ast.parse(source, path)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr != "wait_for_function" or not node.args:
            continue
        text = first_literal_text(node.args[0])
        if text is not None and not text.lstrip().startswith(FUNCTION_STARTS):
            found.append(f"{path}:{node.lineno}")
    return found


def test_the_check_finds_a_bare_expression():
    source = 'page.wait_for_function("window.ready")\npage.wait_for_function(f"x >= {n}")\n'
    assert bare_expression_waits(source, "t.py") == ["t.py:1", "t.py:2"]
    fine = 'page.wait_for_function("() => window.ready")\npage.wait_for_function(f"(n) => n")\n'
    assert bare_expression_waits(fine, "t.py") == []


def test_no_test_or_script_waits_on_a_bare_expression():
    found = []
    for folder in ("tests", "scripts"):
        for path in sorted((REPO_ROOT / folder).rglob("*.py")):
            relative = str(path.relative_to(REPO_ROOT))
            found += bare_expression_waits(path.read_text(encoding="utf-8"), relative)
    assert found == [], "wait on a function ('() => ...'), not a bare expression: " + ", ".join(
        found
    )

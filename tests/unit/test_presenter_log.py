"""The agent app reads its presenter child's log (stderr) for the error it shows when the
child stops (suite/agent/app/presentations.py)."""

from __future__ import annotations

import io

from suite.agent.app.presentations import _Child, _read_log


def _last_error(*lines: str) -> str:
    child = _Child(process=None, monitor=1)  # type: ignore[arg-type]
    _read_log(child, io.StringIO("".join(f"{line}\n" for line in lines)), "s1")
    return child.last_error


def test_the_last_error_line_is_kept_over_later_warnings() -> None:
    """The relay's refusal (ERROR) is the error, not the overlay warning logged as it exits."""
    assert (
        _last_error(
            "2026-12-05 11:00:00,001 INFO suite.agent.presenter.runner Ctrl+Alt+End takes "
            "control back",
            "2026-12-05 11:00:01,002 ERROR suite.agent.presenter.runner the relay refused the "
            "agent's token: log in again",
            "2026-12-05 11:00:02,003 WARNING suite.child_processes drawing overlay 7 did not stop; "
            "terminating it",
        )
        == "the relay refused the agent's token: log in again"
    )


def test_without_an_error_line_the_last_line_is_the_error() -> None:
    """With no ERROR line, the last line (a traceback's, or one without a prefix) is shown."""
    assert (
        _last_error(
            "2026-12-05 11:00:00,001 INFO suite.agent.presenter.runner starting",
            "Traceback (most recent call last):",
            "RuntimeError: no display",
        )
        == "RuntimeError: no display"
    )
    assert _last_error("2026-12-05 11:00:00,001 WARNING x.y slow") == "slow"
    assert (
        _last_error(
            "2026-12-05 11:00:00,001 ERROR a.b first", "2026-12-05 11:00:00,002 ERROR a.b second"
        )
        == "second"
    )

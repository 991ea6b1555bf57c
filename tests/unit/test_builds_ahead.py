"""The builds scripts/test starts ahead (tests/support/builds_ahead.py): which kinds a pytest
command line needs, and what a build test's fixture gets from waiting on one."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support import builds_ahead
from tests.support.builds_ahead import AGENT, RELAY_VIEWER, BuildAheadError, kinds_for, wait_for
from tests.support.relay import REPO_ROOT


@pytest.mark.parametrize(
    ("args", "kinds"),
    [
        ([], [RELAY_VIEWER, AGENT]),  # pytest's testpaths: the whole suite
        (["-x", "-k", "login"], [RELAY_VIEWER, AGENT]),
        (["tests"], [RELAY_VIEWER, AGENT]),
        (["tests/e2e", "-n", "2"], [RELAY_VIEWER, AGENT]),
        (["tests/unit", "-q"], []),
        (["tests/integration", "tests/e2e/test_ui_chat.py"], []),
        (["tests/e2e/test_builds.py::test_x"], [RELAY_VIEWER]),
        (["-m", "engine", "tests/e2e/test_agent_package.py"], [AGENT]),
        (
            ["tests/e2e/../e2e/test_agent_package.py", "tests/e2e/test_builds.py"],
            [RELAY_VIEWER, AGENT],
        ),
    ],
)
def test_the_kinds_follow_the_paths_on_the_command_line(args: list[str], kinds: list[str]) -> None:
    assert kinds_for(args, REPO_ROOT) == kinds


@pytest.fixture
def run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(builds_ahead.ENV, str(tmp_path))
    monkeypatch.setattr(builds_ahead, "POLL_S", 0.02)
    return tmp_path


def _result(folder: Path, kind: str, **result: object) -> None:
    """Written as the builder writes it (whole or absent): a plain write_text raced the
    polling reader, which once read the file empty."""
    builds_ahead._write_result(folder, kind, result)


def test_nothing_started_ahead_means_the_fixture_builds_itself(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert wait_for(AGENT) is None  # this run's builder was not asked for the agent
    monkeypatch.delenv(builds_ahead.ENV)
    assert wait_for(RELAY_VIEWER) is None


def test_the_fixture_waits_for_the_result_then_goes_on(run_folder: Path) -> None:
    (run_folder / f"{AGENT}.wanted").touch()
    written: list[float] = []

    def write() -> None:
        written.append(time.monotonic())  # before: the wait may end as soon as it is written
        _result(run_folder, AGENT, ok=True, elapsed_s=0.3)

    later = threading.Timer(0.3, write)
    later.start()
    waited = wait_for(AGENT, timeout_s=10)
    returned = time.monotonic()
    later.join()
    # It returned after the result was being written, not before (a loaded machine may start the
    # wait late, so the seconds waited alone prove less).
    assert waited is not None and written and returned >= written[0]


def test_a_failed_build_fails_the_test_with_the_builds_log(run_folder: Path) -> None:
    (run_folder / f"{RELAY_VIEWER}.wanted").touch()
    message = "RuntimeError: scripts/build relay viewer failed (1):\nbuild: error: no gcc"
    _result(run_folder, RELAY_VIEWER, ok=False, elapsed_s=3.0, message=message)
    with pytest.raises(BuildAheadError, match="no gcc"):
        wait_for(RELAY_VIEWER)


def test_a_builder_gone_without_a_result_fails_the_test_with_its_output(run_folder: Path) -> None:
    (run_folder / f"{AGENT}.wanted").touch()
    (run_folder / builds_ahead.BUILDER_LOG).write_text("Killed\n")
    gone = subprocess.Popen(["true"])
    gone.wait()
    (run_folder / builds_ahead.PID_FILE).write_text(str(gone.pid))
    with pytest.raises(BuildAheadError, match="without a result(.|\n)*Killed"):
        wait_for(AGENT, timeout_s=10)


def test_a_result_that_never_comes_times_out(run_folder: Path) -> None:
    (run_folder / f"{AGENT}.wanted").touch()
    started = time.monotonic()
    with pytest.raises(BuildAheadError, match="no result"):
        wait_for(AGENT, timeout_s=0.2)
    assert time.monotonic() - started < 5


def test_the_builder_writes_a_failure_and_goes_on_to_the_next_kind(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support import builds

    def broken() -> None:
        # The builder calls the same functions as the tests: they must not wait for the
        # builder itself (the result it is about to write).
        assert wait_for(RELAY_VIEWER, timeout_s=0.1) is None
        raise RuntimeError("scripts/build relay viewer failed (2):\nPyInstaller: boom")

    monkeypatch.setattr(builds, "relay_and_viewer", broken)
    monkeypatch.setattr(
        builds, "agent_package", lambda: builds.AgentPackage(Path("x.deb"), [], True, 0.0)
    )
    assert builds_ahead.run(run_folder, [RELAY_VIEWER, AGENT]) == 1
    monkeypatch.setenv(builds_ahead.ENV, str(run_folder))  # as the tests' processes have it
    with pytest.raises(BuildAheadError, match="PyInstaller: boom"):
        wait_for(RELAY_VIEWER)
    assert wait_for(AGENT) is not None

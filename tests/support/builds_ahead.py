"""The cached builds (tests/support/builds.py) started ahead, in the background, by scripts/test,
so that the minutes they take on a fresh machine run beside the rest of the suite instead of in
the setup of the two build tests.

scripts/test, before it even creates the venv (this module and builds.py need only the standard
library), asks ``kinds ARGS...`` which builds its pytest arguments need, makes a run folder,
exports it as ``RS_BUILDS_AHEAD`` and starts ``run FOLDER KIND...`` niced in its own process
group. For each kind, the builder writes ``KIND.wanted`` at once, then builds (or reuses the
cache, under the kind's lock as any other builder) and writes ``KIND.result``: JSON with ``ok``,
``elapsed_s`` and, on failure, the build's message with the end of its log.

The tests' fixtures call ``wait_for(kind)`` before ``relay_and_viewer()`` / ``agent_package()``:
when the kind is wanted in this run it waits for the result (not for the lock, which the
builder could still be about to take), raises the build's failure with its log, and otherwise
returns, so the fixture finds the build in the cache. A builder that died without a result (or a
result that never comes) fails the test too, with the builder's output.

With ``RS_BUILDS_AHEAD`` set, tests/conftest.py puts the build tests last instead of first.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

ENV = "RS_BUILDS_AHEAD"
RELAY_VIEWER, AGENT = "relay-viewer", "agent"  # as tests/support/builds.py names them
KINDS = (RELAY_VIEWER, AGENT)
# The test file that needs each kind, relative to the repository.
TEST_FILES = {
    RELAY_VIEWER: Path("tests/e2e/test_builds.py"),
    AGENT: Path("tests/e2e/test_agent_package.py"),
}
BUILDER_LOG = "builder.log"  # the builder's own output; scripts/test sends it there
PID_FILE = "builder.pid"
WAIT_TIMEOUT_S = 3600.0  # both builds one after the other, each with its own timeout inside
POLL_S = 0.5


class BuildAheadError(RuntimeError):
    """The build started ahead failed, or its builder is gone without a result."""


def kinds_for(args: Sequence[str], repo: Path) -> list[str]:
    """The kinds of build a pytest run with these arguments may need.

    An argument counts as a selected path when it names an existing file or folder (after any
    ``::test`` part), so option values (``-k login``, ``-n 2``) do not count. No path at all
    means pytest's testpaths, the whole suite: every kind. ``-k``/``-m`` are not read: a build
    started for a test they deselect costs niced background CPU, not time, and is cached.
    """
    paths = []
    for arg in args:
        if arg.startswith("-"):
            continue
        path = (repo / arg.split("::", 1)[0]).resolve()
        if path.exists():
            paths.append(path)
    if not paths:
        return list(KINDS)
    wanted = []
    for kind in KINDS:
        test_file = (repo / TEST_FILES[kind]).resolve()
        if any(test_file == path or path in test_file.parents for path in paths):
            wanted.append(kind)
    return wanted


def _folder() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


def _builder_alive(folder: Path) -> bool:
    try:
        pid = int((folder / PID_FILE).read_text())
    except (OSError, ValueError):
        return True  # not written yet: scripts/test writes it right after starting the builder
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # A zombie (dead, not yet reaped by scripts/test's shell) is no builder either.
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _log_tail(folder: Path, chars: int = 6000) -> str:
    try:
        return (folder / BUILDER_LOG).read_text(errors="replace")[-chars:]
    except OSError:
        return "(no builder log)"


def wait_for(kind: str, timeout_s: float = WAIT_TIMEOUT_S) -> float | None:
    """Wait for the build of ``kind`` started ahead in this run; the seconds waited, or None
    when none was started (the caller builds as usual).

    Raises:
        BuildAheadError: the build failed (its message and log), the builder died without a
            result, or no result came within ``timeout_s``.
    """
    folder = _folder()
    if folder is None or not (folder / f"{kind}.wanted").exists():
        return None
    result_path = folder / f"{kind}.result"
    started = time.monotonic()
    while not result_path.exists():
        # Checked after the builder died too: it may have written the result just before.
        if not _builder_alive(folder) and not result_path.exists():
            raise BuildAheadError(
                f"the {kind} build started ahead by scripts/test ended without a result; "
                f"its output ({folder / BUILDER_LOG}):\n{_log_tail(folder)}"
            )
        if time.monotonic() - started > timeout_s:
            raise BuildAheadError(
                f"no result of the {kind} build started ahead within {timeout_s:.0f} s; "
                f"its output so far:\n{_log_tail(folder)}"
            )
        time.sleep(POLL_S)
    result = json.loads(result_path.read_text())
    if not result["ok"]:
        raise BuildAheadError(
            f"the {kind} build started ahead by scripts/test failed:\n{result['message']}"
        )
    return time.monotonic() - started


def _write_result(folder: Path, kind: str, result: dict) -> None:
    partial = folder / f"{kind}.result.partial"
    partial.write_text(json.dumps(result))
    partial.rename(folder / f"{kind}.result")  # whole or absent for the waiting test


def run(folder: Path, kinds: Sequence[str]) -> int:
    """Build each kind in turn (relay and viewer first: the shorter), writing its result."""
    from tests.support import builds  # the standard library only, like this module

    os.environ.pop(ENV, None)  # this process makes the results: it must not wait for them
    for kind in kinds:
        (folder / f"{kind}.wanted").touch()
    failed = 0
    for kind in kinds:
        started = time.monotonic()
        try:
            if kind == RELAY_VIEWER:
                how = "reused" if builds.relay_and_viewer().reused else "built"
            else:
                how = "reused" if builds.agent_package().reused else "built"
            result = {"ok": True, "elapsed_s": time.monotonic() - started, "how": how}
        except Exception:
            failed += 1
            result = {
                "ok": False,
                "elapsed_s": time.monotonic() - started,
                "message": traceback.format_exc()[-8000:],
            }
        _write_result(folder, kind, result)
        print(f"builds_ahead: {kind}: {json.dumps(result)[:200]}", flush=True)
    return 1 if failed else 0


def main(argv: Sequence[str]) -> int:
    repo = Path(__file__).resolve().parents[2]
    if argv[:1] == ["kinds"]:
        print(" ".join(kinds_for(argv[1:], repo)))
        return 0
    if len(argv) >= 2 and argv[0] == "run" and set(argv[2:]) <= set(KINDS):
        return run(Path(argv[1]), argv[2:])
    print("usage: builds_ahead.py kinds [PYTEST ARGS...] | run FOLDER KIND...", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

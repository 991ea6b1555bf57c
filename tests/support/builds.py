"""Build the relay and the viewer, and the agent's .deb, once per test run (or reuse a build of
the same sources).

``scripts/build relay viewer`` (``scripts/build agent``) is run with ``DIST`` in a cache folder
named after a hash of everything that goes into the builds (sources, UI, specs, requirements,
the build script; for the agent also pyproject.toml, which pins its venv), so a second test run
on unchanged sources reuses the files. Only the newest build of each kind is kept; of the agent
only the .deb is kept (the tests install it into a temporary root).

Test processes running at once (pytest-xdist workers, or two worktrees sharing the cache) build
one kind at a time: a lock file per kind in the cache folder; the one that waited finds the
other's build and reuses it. The relay/viewer and the agent builds have separate locks (their
venvs and PyInstaller work folders differ), so they can run side by side.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.relay import DEFAULT_AGENTS, REPO_ROOT, RelayProcess

BUILD_INPUTS = ("relay_server", "suite", "ui", "build", "scripts/build")
AGENT_BUILD_INPUTS = ("suite", "ui", "build", "scripts/build", "pyproject.toml")
AGENT_PREFIX = "agent-"
BUILD_TIMEOUT_S = 900.0
# The agent: a venv with Qt (~1 min the first time), PyInstaller, strip, dpkg-shlibdeps and xz.
AGENT_BUILD_TIMEOUT_S = 1800.0


@dataclass(frozen=True)
class Builds:
    relay: Path
    viewer: Path
    report: list[dict]  # from dist/build-report.json: program, bytes, build_ms
    reused: bool
    elapsed_s: float  # time spent here (0 when reused), including any venv set-up


def cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return Path(os.environ.get("RS_BUILD_CACHE", default / "remotesales-builds"))


@contextmanager
def build_lock(kind: str) -> Iterator[None]:
    """Hold the cache's lock for one kind of build ("relay-viewer", "agent") until the block
    ends; another process asking for the same kind waits here (no timeout: the build itself
    has one)."""
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    with (root / f"{kind}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def sources_hash(inputs: tuple[str, ...] = BUILD_INPUTS) -> str:
    digest = hashlib.sha256()
    for top in inputs:
        root = REPO_ROOT / top
        files = [root] if root.is_file() else sorted(root.rglob("*"))
        for path in files:
            if not path.is_file() or "__pycache__" in path.parts:
                continue
            if path.relative_to(REPO_ROOT).parts[:2] == ("build", "lib"):
                continue  # setuptools' scratch copy of the sources when pip installs the project
            digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


def relay_and_viewer() -> Builds:
    """The built relay and Linux viewer, building them if this source tree has no build yet.

    Raises:
        RuntimeError: the build failed; the message holds the end of its output.
    """
    with build_lock("relay-viewer"):
        return _relay_and_viewer()


def _relay_and_viewer() -> Builds:
    root = cache_root()
    folder = root / sources_hash()
    relay, viewer = folder / "remotesales-relay", folder / "remotesales-viewer-linux"
    if relay.is_file() and viewer.is_file():
        return Builds(relay, viewer, _report(folder), reused=True, elapsed_s=0.0)
    partial = root / f"{folder.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = dict(os.environ, DIST=str(partial), BUILD_WORK=str(root / "work"))
    started = time.monotonic()
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "build"), "relay", "viewer"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(
            f"scripts/build relay viewer failed ({result.returncode}):\n{result.stderr[-6000:]}"
        )
    print(result.stderr)
    # Keep the newest build only (and the agent's), never a .partial folder: another process
    # (another worktree's run, with its own sources) may be building there.
    for old in root.iterdir():
        if old.is_dir() and old.name != "work" and not old.name.endswith(".partial"):
            if not old.name.startswith(AGENT_PREFIX):
                shutil.rmtree(old, ignore_errors=True)
    partial.rename(folder)
    return Builds(relay, viewer, _report(folder), reused=False, elapsed_s=elapsed)


@dataclass(frozen=True)
class AgentPackage:
    deb: Path
    report: list[dict]  # the folder's and the .deb's entries of dist/build-report.json
    reused: bool
    elapsed_s: float  # time spent here (0 when reused), including any venv set-up


def agent_package() -> AgentPackage:
    """The agent's .deb, building it (``scripts/build agent``) if these sources have none yet.

    Raises:
        RuntimeError: the build failed; the message holds the end of its output.
    """
    with build_lock("agent"):
        return _agent_package()


def _agent_package() -> AgentPackage:
    root = cache_root()
    folder = root / (AGENT_PREFIX + sources_hash(AGENT_BUILD_INPUTS))
    debs = sorted(folder.glob("remotesales-agent_*_amd64.deb"))
    if debs:
        return AgentPackage(debs[-1], _report(folder), reused=True, elapsed_s=0.0)
    partial = root / f"{folder.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    # gzip: the tests need the package, not the smallest file (xz costs minutes of a core).
    env = dict(
        os.environ, DIST=str(partial), BUILD_WORK=str(root / "work"), AGENT_DEB_COMPRESSION="gzip"
    )
    started = time.monotonic()
    result = subprocess.run(
        [str(REPO_ROOT / "scripts" / "build"), "agent"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=AGENT_BUILD_TIMEOUT_S,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(
            f"scripts/build agent failed ({result.returncode}):\n{result.stderr[-6000:]}"
        )
    print(result.stderr)
    shutil.rmtree(partial / "remotesales-agent", ignore_errors=True)  # the .deb holds it
    for old in root.iterdir():  # keep the newest agent build only
        # Never another run's .partial folder: it is being built (another worktree's run).
        if old.is_dir() and old.name.startswith(AGENT_PREFIX) and not old.name.endswith(".partial"):
            shutil.rmtree(old, ignore_errors=True)
    partial.rename(folder)
    deb = sorted(folder.glob("remotesales-agent_*_amd64.deb"))[-1]
    return AgentPackage(deb, _report(folder), reused=False, elapsed_s=elapsed)


def _report(folder: Path) -> list[dict]:
    try:
        return json.loads((folder / "build-report.json").read_text())
    except (OSError, ValueError):
        return []


def prepare_built_relay(relay_program: Path, viewer_program: Path, work: Path) -> RelayProcess:
    """Run the one-file relay from an empty folder under ``work``, without Python's paths (it
    must carry everything, the UI files included), with the viewer build beside it and the
    default agents added through its own ``users`` command. Not started yet (a benchmark
    times the start alone); the caller starts and stops it."""
    home = work / "relay-home"
    (home / "viewers").mkdir(parents=True)
    program = home / "remotesales-relay"
    shutil.copy2(relay_program, program)
    shutil.copy2(viewer_program, home / "viewers" / viewer_program.name)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "PYTHONPATH": "", "LANG": "C.UTF-8"}
    for agent in DEFAULT_AGENTS:
        subprocess.run(
            [str(program), "users", "--data", "data", "add", agent.username,
             "--password", agent.password, "--name", agent.name],
            cwd=home, env=env, check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    return RelayProcess(
        home / "data", work, ["--viewer-dir", "viewers"], program=[str(program)], cwd=home,
        env=env,
    )  # fmt: skip

"""Build the relay and the viewer, and the agent's .deb, once per test run (or reuse a build of
the same sources).

``scripts/build relay viewer`` (``scripts/build agent``) is run with ``DIST`` in a cache folder
named after a hash of everything that goes into the builds (sources, UI, specs, requirements,
the build script; for the agent also pyproject.toml, which pins its venv), so a second test run
on unchanged sources reuses the files. Of the agent only the .deb is kept (the tests install it
into a temporary root).

The cache is shared by every worktree and run on the machine, so it is pruned after each build
(``prune_builds``): the ``KEEP_BUILDS`` most recently used builds of that kind stay (a reuse
touches its folder), older ones and the kind's ``.partial`` folders left by a killed or failed
build go. Pruning happens under the kind's lock, which every builder of that kind holds for its
whole build, so it never removes a build being made; another kind's folders are never touched.

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
from dataclasses import dataclass, replace
from pathlib import Path

from tests.support.builds_ahead import wait_for
from tests.support.relay import DEFAULT_AGENTS, REPO_ROOT, RelayProcess

BUILD_INPUTS = ("relay_server", "suite", "ui", "build", "scripts/build")
AGENT_BUILD_INPUTS = ("suite", "ui", "build", "scripts/build", "pyproject.toml")
AGENT_PREFIX = "agent-"
RELAY_VIEWER, AGENT = "relay-viewer", "agent"  # the kinds of build, each with its own lock
KEEP_BUILDS = 3  # per kind: a few worktrees at different sources reuse theirs, not rebuild
PARTIAL = ".partial"
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
    waited_s: float | None = None  # for the build scripts/test started ahead (builds_ahead.py)


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


def _kind_of(name: str) -> str | None:
    """The kind of a build folder's name (its ``.partial`` too), or None (``work``, locks)."""
    base = name.removesuffix(PARTIAL)
    if base.startswith(AGENT_PREFIX):
        base, kind = base.removeprefix(AGENT_PREFIX), AGENT
    else:
        kind = RELAY_VIEWER
    is_hash = len(base) == 20 and all(c in "0123456789abcdef" for c in base)
    return kind if is_hash else None


def prune_builds(kind: str, keep: int = KEEP_BUILDS) -> list[Path]:
    """Take the kind's lock and prune its builds (see the module's docstring); returns the
    folders removed."""
    with build_lock(kind):
        return _prune(kind, keep)


def _prune(kind: str, keep: int = KEEP_BUILDS) -> list[Path]:
    """Remove the kind's builds but the ``keep`` most recently used, and its ``.partial``
    folders. The caller holds the kind's lock: no build of this kind is under way."""
    root = cache_root()
    folders = [f for f in root.iterdir() if f.is_dir() and _kind_of(f.name) == kind]
    partials = [f for f in folders if f.name.endswith(PARTIAL)]
    builds = sorted(
        (f for f in folders if not f.name.endswith(PARTIAL)),
        key=lambda f: f.stat().st_mtime,
        reverse=True,
    )
    removed = partials + builds[keep:]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _used(folder: Path) -> Path:
    """Mark a build as just used (pruning keeps the most recently used)."""
    os.utime(folder)
    return folder


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

    When scripts/test started this build ahead (tests/support/builds_ahead.py), waits for it
    first and then reuses it.

    Raises:
        RuntimeError: the build failed; the message holds the end of its output.
    """
    waited = wait_for(RELAY_VIEWER)
    with build_lock(RELAY_VIEWER):
        return replace(_relay_and_viewer(), waited_s=waited)


def _relay_and_viewer() -> Builds:
    root = cache_root()
    folder = root / sources_hash()
    relay, viewer = folder / "remotesales-relay", folder / "remotesales-viewer-linux"
    if relay.is_file() and viewer.is_file():
        _used(folder)
        return Builds(relay, viewer, _report(folder), reused=True, elapsed_s=0.0)
    partial = root / f"{folder.name}{PARTIAL}"
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
    partial.rename(folder)
    _used(folder)
    _prune(RELAY_VIEWER)  # under the lock this function is called in
    return Builds(relay, viewer, _report(folder), reused=False, elapsed_s=elapsed)


@dataclass(frozen=True)
class AgentPackage:
    deb: Path
    report: list[dict]  # the folder's and the .deb's entries of dist/build-report.json
    reused: bool
    elapsed_s: float  # time spent here (0 when reused), including any venv set-up
    waited_s: float | None = None  # for the build scripts/test started ahead (builds_ahead.py)


def agent_package() -> AgentPackage:
    """The agent's .deb, building it (``scripts/build agent``) if these sources have none yet.

    When scripts/test started this build ahead (tests/support/builds_ahead.py), waits for it
    first and then reuses it.

    Raises:
        RuntimeError: the build failed; the message holds the end of its output.
    """
    waited = wait_for(AGENT)
    with build_lock(AGENT):
        return replace(_agent_package(), waited_s=waited)


def _agent_package() -> AgentPackage:
    root = cache_root()
    folder = root / (AGENT_PREFIX + sources_hash(AGENT_BUILD_INPUTS))
    debs = sorted(folder.glob("remotesales-agent_*_amd64.deb"))
    if debs:
        _used(folder)
        return AgentPackage(debs[-1], _report(folder), reused=True, elapsed_s=0.0)
    partial = root / f"{folder.name}{PARTIAL}"
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
    partial.rename(folder)
    _used(folder)
    _prune(AGENT)  # under the lock this function is called in
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

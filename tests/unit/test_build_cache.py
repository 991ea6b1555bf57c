"""The shared build cache (tests/support/builds.py) keeps the few most recently used builds of
each kind and removes the rest, and the kind's stale .partial folders, under the kind's lock."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tests.support import builds


def _folder(root: Path, name: str, used_at: float) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "program").write_bytes(b"x")
    os.utime(folder, (used_at, used_at))
    return folder


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("RS_BUILD_CACHE", str(tmp_path))
    return tmp_path


def test_pruning_keeps_the_newest_few_of_one_kind_and_nothing_else_goes(cache: Path) -> None:
    """Of six relay/viewer builds the three most recently used stay, with its stale .partial
    gone; the agent's builds, its .partial, the work folder and the locks are left alone."""
    relays = [_folder(cache, f"{index:020x}", 1000.0 + index) for index in range(6)]
    stale = _folder(cache, f"{99:020x}.partial", 900.0)
    agents = [_folder(cache, f"agent-{index:020x}", 1000.0 + index) for index in range(5)]
    agent_partial = _folder(cache, f"agent-{98:020x}.partial", 900.0)
    work = _folder(cache, "work", 0.0)
    (cache / "agent.lock").touch()
    removed = builds.prune_builds(builds.RELAY_VIEWER)
    assert sorted(removed) == sorted([stale, *relays[:3]])
    left = {path.name for path in cache.iterdir()}
    assert left == {
        *(f.name for f in relays[3:]), *(f.name for f in agents), agent_partial.name,
        work.name, "agent.lock", "relay-viewer.lock",
    }  # fmt: skip
    assert sorted(builds.prune_builds(builds.AGENT, keep=1)) == sorted([agent_partial, *agents[:4]])
    assert {path.name for path in cache.iterdir()} == left - {
        *(f.name for f in agents[:4]),
        agent_partial.name,
    }


def test_pruning_waits_for_a_build_of_its_kind_under_way(cache: Path) -> None:
    """While a builder holds the kind's lock (its .partial folder is being filled), pruning
    waits, and it removes nothing until the lock is let go."""
    building = _folder(cache, f"{7:020x}.partial", 1000.0)
    holding, release = threading.Event(), threading.Event()

    def builder() -> None:
        with builds.build_lock(builds.RELAY_VIEWER):
            holding.set()
            release.wait(10)

    threading.Thread(target=builder, daemon=True).start()
    assert holding.wait(10)
    done: list[list[Path]] = []
    pruner = threading.Thread(target=lambda: done.append(builds.prune_builds("relay-viewer")))
    pruner.start()
    pruner.join(0.3)
    assert pruner.is_alive() and building.exists()
    release.set()
    pruner.join(10)
    assert done == [[building]] and not building.exists()

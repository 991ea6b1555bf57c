"""The installed agent's launcher (build/deb/remotesales-agent-image.sh) picks how to run the
app: the image mounted by the system at ``app/``, else a squashfuse mount of its own, else the
plain folder (the image extracted once into the user's cache), and says which in one line.

The launcher runs for real on a tiny squashfs image whose "app" is a shell script printing
where it ran from; the kernel mount is stood in for by an executable at ``app/`` (mounting needs
root: the package test mounts the real image), the missing squashfuse by a PATH without it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = REPO_ROOT / "build/deb/remotesales-agent-image.sh"
NAME = "remotesales-agent"
SYSTEM_NOTE = "remotesales-agent: running from the image mounted by the system at "
FUSE_NOTE = "is not mounted by the system (no systemd?): mounting the image with squashfuse"
EXTRACTING = "extracting the image into "
EXTRACTED_NOTE = "running from the extracted image in "
# What the launcher calls, but squashfuse_ll: a system where squashfuse is missing.
TOOLS = ("dirname", "readlink", "mkdir", "stat", "flock", "rm", "unsquashfs", "mv", "mktemp",
         "cat", "tail", "rmdir", "fusermount3", "umount", "sh")  # fmt: skip
APP_SCRIPT = '#!/bin/sh\necho "ran $0 $*"\n'


def make_image(folder: Path, image: Path, extra: str = "") -> None:
    folder.mkdir(exist_ok=True)
    (folder / NAME).write_text(APP_SCRIPT + extra)
    (folder / NAME).chmod(0o755)
    image.unlink(missing_ok=True)
    subprocess.run(
        ["mksquashfs", str(folder), str(image), "-comp", "zstd", "-all-root", "-noappend",
         "-no-xattrs", "-quiet"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.fixture
def install(tmp_path: Path) -> Path:
    """An install's prefix: the launcher, a tiny image and the empty mount point ``app/``."""
    if shutil.which("mksquashfs") is None or shutil.which("unsquashfs") is None:
        pytest.skip("squashfs-tools (mksquashfs, unsquashfs) is not installed")
    prefix = tmp_path / "opt" / NAME
    (prefix / "app").mkdir(parents=True)
    shutil.copyfile(LAUNCHER, prefix / NAME)
    (prefix / NAME).chmod(0o755)
    make_image(tmp_path / "image-src", prefix / f"{NAME}.squashfs")
    return prefix


def run(prefix: Path, home: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": path, "HOME": str(home), "XDG_RUNTIME_DIR": str(home / "run")}
    (home / "run").mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [str(prefix / NAME), *args], env=env, capture_output=True, text=True, timeout=120
    )


def without_squashfuse(tmp_path: Path) -> str:
    tools = tmp_path / "bin"
    tools.mkdir(exist_ok=True)
    for tool in TOOLS:
        found = shutil.which(tool)
        if found and not (tools / tool).exists():
            (tools / tool).symlink_to(found)
    return str(tools)


def test_the_image_mounted_by_the_system_is_run_and_said_once(
    install: Path, tmp_path: Path
) -> None:
    (install / "app" / NAME).write_text(APP_SCRIPT)  # what the kernel mount shows at app/
    (install / "app" / NAME).chmod(0o755)
    result = run(install, tmp_path / "home", "/usr/bin:/bin", "--x", "y")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"ran {install}/app/{NAME} --x y\n"
    assert result.stderr == f"{SYSTEM_NOTE}{install}/app\n"


def test_without_squashfuse_the_image_is_extracted_once_and_reused(
    install: Path, tmp_path: Path
) -> None:
    home, path = tmp_path / "home", without_squashfuse(tmp_path)
    cache = home / ".cache" / NAME
    first = run(install, home, path, "-m", "suite.agent.presenter")
    assert first.returncode == 0, first.stderr
    (folder,) = cache.glob("app-*")
    assert first.stdout == f"ran {folder}/{NAME} -m suite.agent.presenter\n"
    lines = first.stderr.splitlines()
    assert len(lines) == 2 and EXTRACTING in lines[0] and EXTRACTED_NOTE in lines[1], lines
    assert "squashfuse is missing" in lines[1]

    again = run(install, home, path)  # reused: nothing extracted, one line
    assert again.returncode == 0 and again.stdout == f"ran {folder}/{NAME} \n"
    assert again.stderr.count("\n") == 1 and EXTRACTED_NOTE in again.stderr, again.stderr

    # A new image (an upgrade) is extracted anew and the old folder goes.
    make_image(tmp_path / "image-src", install / f"{NAME}.squashfs", extra="# version 2\n")
    os.utime(install / f"{NAME}.squashfs", (1, 1))
    upgraded = run(install, home, path)
    assert upgraded.returncode == 0 and EXTRACTING in upgraded.stderr, upgraded.stderr
    (new,) = cache.glob("app-*")
    assert new != folder and (new / NAME).read_text().endswith("# version 2\n")
    assert not list(cache.glob("*.partial"))


def test_a_broken_image_fails_with_70_and_says_why(install: Path, tmp_path: Path) -> None:
    (install / f"{NAME}.squashfs").write_bytes(b"not a squashfs image")
    result = run(install, tmp_path / "home", without_squashfuse(tmp_path))
    assert result.returncode == 70, result
    assert "cannot extract" in result.stderr and "squashfuse is missing" in result.stderr
    assert not list((tmp_path / "home/.cache" / NAME).glob("app-*"))


def test_squashfuse_is_used_where_the_system_did_not_mount_the_image(
    install: Path, tmp_path: Path
) -> None:
    if shutil.which("squashfuse_ll") is None or not os.access("/dev/fuse", os.R_OK | os.W_OK):
        pytest.skip("squashfuse_ll or a usable /dev/fuse is missing here")
    home = tmp_path / "home"
    result = run(install, home, "/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ran {home}/run/{NAME}."), result.stdout
    assert result.stderr.count("\n") == 1 and FUSE_NOTE in result.stderr, result.stderr
    assert not (home / ".cache").exists()

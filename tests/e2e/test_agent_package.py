"""The agent app's Debian package, installed and used (D2).

Once per run ``scripts/build agent`` builds the .deb (reused while its sources do not change:
tests/support/builds.py). The tests read it as dpkg and lintian do, install it with
``dpkg-deb -x`` into a temporary root (no root rights, the machine's /opt untouched), and start
the installed program from there under Xvfb against a real relay, without the source tree on
its path: a salesperson signs in, opens a support and presents to a customer in Chromium.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.agent_app import AgentApp
from tests.support.builds import AgentPackage, agent_package
from tests.support.cdp import by_test_id
from tests.support.desktop_flow import (
    desktop_support_with_customer,
    driving,
    private_display,
)
from tests.support.x11_paint import add_local_xauth_entry
from tests.support.xvfb import Xvfb

pytestmark = [pytest.mark.e2e, pytest.mark.engine, pytest.mark.builds, pytest.mark.timeout(2400)]

PREFIX = "opt/remotesales-agent"
IMAGE = f"{PREFIX}/remotesales-agent.squashfs"
# What the packaged app may weigh installed: the goal (D2). The folder is ~430 MB; the package
# installs it as a zstd squashfs image (docs/builds.md, "The compressed image").
MAX_INSTALLED_MB = 200
# A codec stand-in (build/deb/codec_stubs.c) is a few kB; the real libraries are megabytes.
STAND_IN_MAX_BYTES = 64 * 1024


def image_listing(installed: Path) -> dict[str, int]:
    """Path → size of every file in the installed image, read with unsquashfs (no mount)."""
    result = subprocess.run(
        ["unsquashfs", "-lls", "-d", "", str(installed / IMAGE)],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    files = {}
    for line in result.stdout.splitlines():
        parts = line.split(None, 5)
        if len(parts) == 6 and parts[0].startswith("-"):
            files[parts[5].lstrip("/")] = int(parts[2])
    return files


@pytest.fixture(scope="module")
def package() -> AgentPackage:
    if not sys.platform.startswith("linux") or shutil.which("dpkg-deb") is None:
        pytest.skip("the agent's .deb is built and installed on Debian-like Linux")
    built = agent_package()
    sizes = ", ".join(
        f"{entry['program']} {entry['bytes'] / 1e6:.1f} MB in {entry['build_ms'] / 1000:.1f} s"
        for entry in built.report
        if entry["program"].startswith("remotesales-agent")
    )
    how = "reused" if built.reused else f"built in {built.elapsed_s:.1f} s including set-up"
    print(f"\nagent package ({how}): {sizes}")
    return built


@pytest.fixture(scope="module")
def installed(package: AgentPackage, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package unpacked into a throwaway root, as dpkg would lay it out."""
    root = tmp_path_factory.mktemp("root")
    started = time.monotonic()
    subprocess.run(["dpkg-deb", "-x", str(package.deb), str(root)], check=True, timeout=600)
    print(f"\ndpkg-deb -x: {time.monotonic() - started:.1f} s")
    return root


@pytest.fixture(scope="module")
def xvfb() -> Iterator[Xvfb]:
    for display in private_display():
        add_local_xauth_entry(display)  # python-xlib (the presenter's window list) needs it
        yield display


def field(deb: Path, name: str) -> str:
    result = subprocess.run(
        ["dpkg-deb", "-f", str(deb), name], capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_the_package_installs_the_command_menu_entry_icon_and_provisioning_file(
    package: AgentPackage, installed: Path
) -> None:
    """The .deb puts the app under /opt, the command in /usr/bin, a valid menu entry with its
    icon, the provisioning file as a conffile, and declares the libraries and the CJK font."""
    command = installed / "usr/bin/remotesales-agent"
    assert command.is_symlink() and os.readlink(command) == f"/{PREFIX}/remotesales-agent"
    assert (installed / PREFIX / "remotesales-agent").stat().st_mode & 0o111
    entry = installed / "usr/share/applications/remotesales-agent.desktop"
    checked = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout
    text = entry.read_text()
    assert "Exec=remotesales-agent\n" in text and "Icon=remotesales-agent\n" in text
    assert "Name[ko]=RemoteSales 상담원" in text
    for size in (16, 32, 48, 256):
        assert (
            installed / f"usr/share/icons/hicolor/{size}x{size}/apps/remotesales-agent.png"
        ).is_file()
    assert (installed / "usr/share/icons/hicolor/scalable/apps/remotesales-agent.svg").is_file()
    assert (installed / "etc/remotesales/remotesales-agent.json").read_text().strip() == "{}"
    conffiles = subprocess.run(
        ["dpkg-deb", "--ctrl-tarfile", str(package.deb)], capture_output=True, check=True
    ).stdout
    assert b"/etc/remotesales/remotesales-agent.json" in conffiles

    depends = field(package.deb, "Depends")
    for needed in ("libnss3", "libxcb-cursor0", "libxkbcommon-x11-0", "libgl1", "libegl1",
                   "libx11-6", "fonts-noto-cjk"):  # fmt: skip
        assert needed in depends, depends
    installed_mb = int(field(package.deb, "Installed-Size")) / 1024
    print(
        f"\n.deb {package.deb.stat().st_size / 1e6:.1f} MB, installed {installed_mb:.0f} MiB; "
        f"Depends: {depends}"
    )
    assert installed_mb <= MAX_INSTALLED_MB
    assert "squashfuse" in depends and "fuse3" in depends
    # The bundle's own Qt, never Debian's (dpkg-shlibdeps named it on a machine that has it).
    assert "libqt6" not in depends and "qt6-base-abi" not in depends, depends
    # Trimmed: no QML, no Quick controls, no Wayland, no other WebEngine languages.
    files = image_listing(installed)
    qt = "_internal/PyQt6/Qt6/"
    print(f"image: {len(files)} files, {sum(files.values()) / 1e6:.1f} MB uncompressed")
    assert "remotesales-agent" in files and f"{qt}lib/libQt6WebEngineCore.so.6" in files
    assert not [f for f in files if f.startswith(f"{qt}qml/")]
    assert not [f for f in files if "libQt6QuickControls2" in f or "libQt6WaylandClient" in f]
    locales = sorted(f.rsplit("/", 1)[1] for f in files if "/qtwebengine_locales/" in f)
    assert locales == ["en-US.pak", "ko.pak"]
    # Licence-clean: PyAV's GPL x264/x265 (and the unused SVT-AV1) are stand-ins, and the
    # package lists every component's licence.
    for name in ("libx264-", "libx265-", "libSvtAv1Enc-"):
        (size,) = [s for f, s in files.items() if f.startswith(f"_internal/av.libs/{name}")]
        assert size <= STAND_IN_MAX_BYTES, (name, size)
    listed = (installed / "usr/share/doc/remotesales-agent/licences.md").read_text()
    assert "| av | " in listed and "stand-in" in listed and "PyQt6" in listed


def test_lintian_finds_no_errors(package: AgentPackage) -> None:
    """lintian reports no error on the package (its warnings are listed in docs/builds.md)."""
    if shutil.which("lintian") is None:
        pytest.skip("lintian is not installed (scripts/test installs it)")
    started = time.monotonic()
    result = subprocess.run(
        ["lintian", "--fail-on", "error", "--tag-display-limit", "0", str(package.deb)],
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    print(f"\nlintian ({time.monotonic() - started:.0f} s):\n{result.stdout}{result.stderr}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not [line for line in result.stdout.splitlines() if line.startswith("E:")]


def test_the_installed_app_adds_a_desktop_shortcut(installed: Path, tmp_path: Path) -> None:
    """``remotesales-agent --add-desktop-shortcut`` copies the installed menu entry onto the
    desktop folder that user-dirs.dirs names, executable, and says where."""
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config/user-dirs.dirs").write_text('XDG_DESKTOP_DIR="$HOME/바탕화면"\n')
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
           "XDG_DATA_DIRS": str(installed / "usr/share")}  # fmt: skip
    result = subprocess.run(
        [str(installed / PREFIX / "remotesales-agent"), "--add-desktop-shortcut"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    shortcut = home / "바탕화면" / "remotesales-agent.desktop"
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"Desktop shortcut added: {shortcut}"
    assert (
        shortcut.read_text()
        == (installed / "usr/share/applications/remotesales-agent.desktop").read_text()
    )
    assert shortcut.stat().st_mode & 0o111


def needs_fuse() -> None:
    """The installed program mounts its image with squashfuse: skip (saying so) where this
    machine has no usable /dev/fuse (a container started without it)."""
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        pytest.skip("this machine has no usable /dev/fuse: the installed image cannot mount")


@pytest.mark.parametrize("module", ["suite.agent.presenter", "suite.agent.overlay"])
def test_the_installed_program_runs_its_helper_children(
    installed: Path, tmp_path: Path, module: str
) -> None:
    """The installed program runs the presenter and the drawing overlay when the app starts them
    as ``remotesales-agent -m MODULE`` (the overlay was refused by the frozen entry point)."""
    needs_fuse()
    result = subprocess.run(
        [str(installed / PREFIX / "remotesales-agent"), "-m", module, "--help"],
        cwd=tmp_path, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage:"), result.stdout


def test_the_launcher_says_why_when_the_image_is_missing(installed: Path, tmp_path: Path) -> None:
    """The launcher without its image (a broken install) exits with status 70 and says what to
    do, instead of a shell error."""
    launcher = tmp_path / "remotesales-agent"
    shutil.copyfile(installed / PREFIX / "remotesales-agent", launcher)
    launcher.chmod(0o755)
    result = subprocess.run(
        [str(launcher)], env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 70, result
    assert "remotesales-agent.squashfs: reinstall the package" in result.stderr


def mounts_under(folder: Path) -> list[str]:
    with open("/proc/self/mountinfo") as mountinfo:
        return [line.split()[4] for line in mountinfo if line.split()[4].startswith(str(folder))]


def test_the_installed_app_signs_in_opens_a_support_and_presents(
    installed: Path, xvfb: Xvfb, relay, browser, tmp_path: Path, artifacts_dir: Path
) -> None:
    """The installed program, run from the temporary root with no source tree on its path:
    the main window, sign-in, a support in its own window, a customer joins and the agent
    presents (the frozen presenter child captures the display and the viewer goes live)."""
    from playwright.sync_api import expect

    needs_fuse()
    program = installed / PREFIX / "remotesales-agent"
    runtime = tmp_path / "runtime"  # where the launcher mounts the image
    runtime.mkdir(mode=0o700)
    app = AgentApp(
        xvfb, tmp_path, relay_url=relay.url, program=[str(program)],
        extra_env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime)},
    )  # fmt: skip
    launched = time.monotonic()
    app.start()
    print(f"\ninstalled app: launch to main window loaded {time.monotonic() - launched:.2f} s")
    with driving(app, artifacts_dir, "agent-package") as windows:
        (mounted,) = mounts_under(runtime)  # the launcher's squashfuse mount of the image
        support = desktop_support_with_customer(app, windows, browser, relay.url, "Minji Kang")
        chat, customer = support.chat, support.customer

        chat.click(by_test_id("present-request"))
        chat.wait_for_selector(by_test_id("share-picker"))
        with customer.expect_popup() as popup:
            customer.get_by_test_id("presentation-accept").click()
        viewer = popup.value
        windows.customers.append(viewer)
        chat.click(by_test_id("share-whole-confirm"))
        expect(viewer.get_by_test_id("viewer-state")).to_have_attribute(
            "data-state", "live", timeout=30_000
        )
        chat.wait_for_selector(by_test_id("present-pause"))
        chat.screenshot(artifacts_dir / "agent-package-presenting.png")
    # The app is gone (killed, the hardest end): the launcher's watcher detaches the mount
    # and removes its folder (the app's own runtime files, e.g. PulseAudio's, may stay).
    deadline = time.monotonic() + 30
    while (mounts_under(runtime) or Path(mounted).exists()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not mounts_under(runtime), f"{mounted} still mounted after the app ended"
    assert not Path(mounted).exists()

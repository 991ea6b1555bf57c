"""The agent app's Debian package, installed and used (D2).

Once per run ``scripts/build agent`` builds the .deb (reused while its sources do not change:
tests/support/builds.py). The tests read it as dpkg and lintian do, install it with
``dpkg-deb -x`` into a temporary root (no root rights, the machine's /opt untouched), and start
the installed program from there under Xvfb against a real relay, without the source tree on
its path: a salesperson signs in, opens a support and presents to a customer in Chromium. The
maintainer scripts run on a throwaway root too (``DPKG_ROOT``, as dpkg runs them), and the
image is mounted by the kernel where the package's mount unit would mount it (root only).
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
PROVISIONING = "etc/remotesales/remotesales-agent.json"
IMAGE = f"{PREFIX}/remotesales-agent.squashfs"
# The package's systemd unit mounts the image here (the launcher's first choice).
MOUNTED = f"{PREFIX}/app"
MOUNT_UNIT = "opt-remotesales\\x2dagent-app.mount"
UNIT_FILE = f"usr/lib/systemd/system/{MOUNT_UNIT}"
FALLBACK_NOTE = "is not mounted by the system (no systemd?): mounting the image with squashfuse"
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
    if built.waited_s is not None:
        how += f", waited {built.waited_s:.1f} s for the build scripts/test started ahead"
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
    assert "squashfuse" in depends and "fuse3" in depends and "squashfs-tools" in depends
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
    # The maintainer scripts (the image's mount unit) draw no warning either.
    assert "maintainer-script" not in result.stdout, result.stdout


def run_maintainer_script(
    scripts: Path, root: Path, name: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """One of the package's maintainer scripts as dpkg runs it on another root (``DPKG_ROOT``:
    deb-systemd-helper then works on that root and nothing touches this machine's systemd)."""
    env = {
        "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
        "DPKG_ROOT": str(root),
        "DPKG_MAINTSCRIPT_PACKAGE": "remotesales-agent",
        "DPKG_MAINTSCRIPT_NAME": name,
    }
    result = subprocess.run(
        [str(scripts / name), *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, (name, args, result)
    return result


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_the_package_has_the_kernel_mount_its_image_and_a_purge_leaves_nothing(
    package: AgentPackage, tmp_path: Path
) -> None:
    """The package ships a valid systemd mount unit for its image and an empty mount point;
    postinst enables the unit (deb-systemd-helper, as debhelper's snippets do), a removal
    masks it and a purge removes every trace of it."""
    if shutil.which("deb-systemd-helper") is None:
        pytest.skip("deb-systemd-helper (init-system-helpers) is not installed")
    root, scripts = tmp_path / "root", tmp_path / "DEBIAN"
    subprocess.run(["dpkg-deb", "-e", str(package.deb), str(scripts)], check=True, timeout=60)
    files = subprocess.run(
        ["dpkg-deb", "--fsys-tarfile", str(package.deb)], capture_output=True, check=True,
        timeout=300,
    ).stdout  # fmt: skip
    root.mkdir()
    subprocess.run(
        ["tar", "-x", "-C", str(root), "--wildcards", "./usr/lib/systemd/*", "./etc/*",
         f"./{MOUNTED}"],
        input=files, check=True, timeout=300,
    )  # fmt: skip
    unit = root / UNIT_FILE
    text = unit.read_text()
    assert f"What=/{IMAGE}\n" in text and f"Where=/{MOUNTED}\n" in text, text
    assert "Type=squashfs\n" in text and "WantedBy=multi-user.target" in text
    assert (root / MOUNTED).is_dir() and not list((root / MOUNTED).iterdir())
    if shutil.which("systemd-analyze"):  # the name matches Where=, the settings parse
        checked = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
    shipped = tree(root)

    run_maintainer_script(scripts, root, "postinst", "configure")
    # Another root: nothing mounted for it, its fstab (and this machine's) untouched.
    assert not mounts_under(root) and not (root / "etc/fstab").exists()
    wanted = root / "etc/systemd/system/multi-user.target.wants" / MOUNT_UNIT
    assert wanted.is_symlink() and os.readlink(wanted) == f"/{UNIT_FILE}"
    run_maintainer_script(scripts, root, "postinst", "configure", "0.9")  # an upgrade
    assert wanted.is_symlink()

    run_maintainer_script(scripts, root, "prerm", "remove")
    for path in [root / f for f in shipped if not (root / f).is_dir()]:
        if path.name != "remotesales-agent.json":
            path.unlink()  # what dpkg removes (the conffile stays until the purge)
    run_maintainer_script(scripts, root, "postrm", "remove")
    assert os.readlink(root / "etc/systemd/system" / MOUNT_UNIT) == "/dev/null"  # masked
    (root / PROVISIONING).unlink()  # what dpkg removes on a purge
    run_maintainer_script(scripts, root, "postrm", "purge")
    left = {f for f in tree(root) - shipped if not (root / f).is_dir()}
    assert not left, left
    # Only empty folders systemd itself owns on a real system may stay.
    assert not list((root / "etc/systemd/system").rglob("*"))
    assert not (root / "etc/remotesales").exists()


# The maintainer scripts on this machine's own root, in a private mount namespace: /opt and
# /etc/fstab there are stand-ins (the unpacked package, a copy of the fstab), so nothing of this
# machine changes; systemd's tools are left off PATH (deb-systemd-helper would enable the unit
# in this machine's /etc: the DPKG_ROOT test above covers it). ischroot is a stand-in that
# answers $CHROOT: the real one takes any mount namespace but init's for a chroot.
WITHOUT_SYSTEMD = r"""
set -eu
mount --make-rprivate /
mount -t tmpfs tmpfs /opt
mkdir /opt/remotesales-agent
mount --bind "$PREFIX_DIR" /opt/remotesales-agent
mount --bind "$FSTAB_COPY" /etc/fstab
if [ -d /run/systemd ]; then mount -t tmpfs tmpfs /run/systemd; fi
app=/opt/remotesales-agent/app
CHROOT=1 "$SCRIPTS/postinst" configure 2>&1  # a chroot (a system image being built): no mount
mountpoint -q $app && echo "chroot: mounted"
cmp -s /etc/fstab "$FSTAB_ORIGINAL" && echo "chroot: fstab as before"
state() {
    if mountpoint -q $app; then m=mounted; else m=unmounted; fi
    echo "$1: $m, fstab lines $(grep -c remotesales-agent /etc/fstab || true)"
}
"$SCRIPTS/postinst" configure; state configure
test -x $app/remotesales-agent && echo "app: the image's program is there"
awk -v a=$app '$2 == a { print "mount: " $3 " " $4 }' /proc/self/mounts
cp /etc/fstab "$OUT/fstab-installed"
"$SCRIPTS/postinst" configure 0.9; state upgrade
umount $app; mount -a -t squashfs; state boot  # what a non-systemd init does at boot
exec 3<$app/remotesales-agent  # a file a running app has open
"$SCRIPTS/prerm" remove; state prerm
test "$(wc -c <&3)" -gt 0 && echo "running app: still reads its image"
exec 3<&-
"$SCRIPTS/postrm" remove; state postrm
cmp -s /etc/fstab "$FSTAB_ORIGINAL" && echo "fstab: as before"
"$SCRIPTS/postrm" purge; state purge
"""


def test_without_systemd_the_package_mounts_its_image_and_boots_with_it_via_fstab(
    package: AgentPackage, installed: Path, tmp_path: Path
) -> None:
    """Where systemd does not run, postinst mounts the image with the kernel (loop, read-only)
    at app/ and adds one marked /etc/fstab line for the next boots; an upgrade mounts it
    again without a second line; prerm unmounts it on removal and postrm removes the line,
    leaving the administrator's fstab as it was."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("mounting the image with the kernel needs root (and unshare)")
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c",
         f"mount -t squashfs -o loop,ro {installed / IMAGE} {installed / MOUNTED}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"this machine cannot loop-mount a squashfs image: {probe.stderr.strip()}")
    scripts = tmp_path / "DEBIAN"
    subprocess.run(["dpkg-deb", "-e", str(package.deb), str(scripts)], check=True, timeout=60)
    original = "# an administrator's fstab\nproc /proc proc defaults 0 0\n"
    (tmp_path / "fstab").write_text(original)
    (tmp_path / "fstab.original").write_text(original)
    tools = tmp_path / "bin"  # this machine's tools, but systemd's
    tools.mkdir()
    for folder in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        for tool in Path(folder).iterdir():
            hidden = tool.name.startswith(("deb-systemd-", "systemctl"))
            if not hidden and not (tools / tool.name).exists():
                (tools / tool.name).symlink_to(tool)
    (tools / "ischroot").unlink(missing_ok=True)
    (tools / "ischroot").write_text('#!/bin/sh\n[ "${CHROOT:-0}" = 1 ]\n')
    (tools / "ischroot").chmod(0o755)
    env = {
        "PATH": str(tools), "PREFIX_DIR": str(installed / PREFIX), "SCRIPTS": str(scripts),
        "FSTAB_COPY": str(tmp_path / "fstab"), "FSTAB_ORIGINAL": str(tmp_path / "fstab.original"),
        "OUT": str(tmp_path), "DPKG_MAINTSCRIPT_PACKAGE": "remotesales-agent",
    }  # fmt: skip
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", WITHOUT_SYSTEMD],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    print(f"\n{result.stdout}{result.stderr}")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(
        ": in a chroot: the app's image is not mounted now; the app will "
        "mount it itself with squashfuse (slower start)"
    ), lines
    lines = lines[1:]
    assert lines[3].startswith("mount: squashfs ro,nosuid,nodev"), lines  # the unit's options
    assert lines[:3] + lines[4:] == [
        "chroot: fstab as before",
        "configure: mounted, fstab lines 2",  # the marked comment and the line
        "app: the image's program is there",
        "upgrade: mounted, fstab lines 2",
        "boot: mounted, fstab lines 2",
        "prerm: unmounted, fstab lines 2",
        "running app: still reads its image",  # lazily detached
        "postrm: unmounted, fstab lines 0",
        "fstab: as before",
        "purge: unmounted, fstab lines 0",
    ], result.stdout
    installed_fstab = (tmp_path / "fstab-installed").read_text()
    assert installed_fstab.startswith(original)
    assert installed_fstab.endswith(
        f"/{IMAGE} /{MOUNTED} squashfs loop,ro,nodev,nosuid,nofail 0 0\n"
    )
    assert not mounts_under(installed)  # the namespace's mounts ended with it


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
    # Nothing mounted the image at app/ (no systemd here): the launcher says it uses squashfuse.
    assert FALLBACK_NOTE in result.stderr, result.stderr


@pytest.fixture
def kernel_mounted(installed: Path) -> Iterator[Path]:
    """The installed image mounted by the kernel at app/, as the package's mount unit does
    (the same options), unmounted after the test; skipped where this process may not mount."""
    mounted = installed / MOUNTED
    if os.geteuid() != 0:
        pytest.skip("mounting the image with the kernel needs root")
    result = subprocess.run(
        ["mount", "-t", "squashfs", "-o", "ro,nodev,nosuid", str(installed / IMAGE), str(mounted)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if result.returncode != 0:
        pytest.skip(f"this machine cannot loop-mount a squashfs image: {result.stderr.strip()}")
    try:
        yield mounted
    finally:
        subprocess.run(["umount", "-l", str(mounted)], check=True, timeout=60)


def test_the_launcher_runs_the_app_from_the_kernel_mounted_image(
    kernel_mounted: Path, xvfb: Xvfb, relay, tmp_path: Path
) -> None:
    """With the image mounted at app/ the launcher becomes the app from there: no squashfuse
    mount, no note; the main window loads (the start this form is for: docs/builds.md)."""
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    app = AgentApp(
        xvfb, tmp_path, relay_url=relay.url,
        program=[str(kernel_mounted.parent / "remotesales-agent")],
        extra_env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime)},
    )  # fmt: skip
    launched = time.monotonic()
    app.start()
    try:
        print(f"\nkernel-mounted image: launch to main window {time.monotonic() - launched:.2f} s")
        assert app.process is not None
        assert os.readlink(f"/proc/{app.process.pid}/exe") == str(
            kernel_mounted / "remotesales-agent"
        )
        assert not mounts_under(runtime) and not list(runtime.iterdir())
    finally:
        app.stop()
    assert FALLBACK_NOTE not in app.log(), app.log()


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

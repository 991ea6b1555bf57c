"""Wrap the built agent folder in a Debian package (D2): ``dist/remotesales-agent_<v>_amd64.deb``.

Run by ``scripts/build agent`` after PyInstaller and the strip step, with the agent build's
Python (build/icons.py draws the PNG icons with Pillow)::

    python build/deb/make_deb.py --app dist/remotesales-agent --out dist [--provisioning FILE]

The package holds:

- ``/opt/remotesales-agent/``: the one-folder build, as a compressed image
  (``--form image``, the default: ``remotesales-agent.squashfs``, zstd, and the launcher
  ``build/deb/remotesales-agent-image.sh`` as ``remotesales-agent``, which runs the app from
  ``app/`` where the kernel mounted the image, else mounts it with squashfuse on each start,
  else runs it extracted into the user's cache; ~40 % of the folder's bytes) or as it is
  (``--form folder``);
- with the image, the systemd unit that mounts it at ``/opt/remotesales-agent/app``
  (``build/deb/remotesales-agent-app.mount``, installed under its escaped name ``MOUNT_UNIT``),
  enabled and started by ``postinst``, stopped by ``prerm``, its state removed by a purge
  (``postrm``); without systemd ``postinst`` mounts the image itself and adds a marked
  ``/etc/fstab`` line, which ``prerm`` and ``postrm`` undo;
- ``/usr/bin/remotesales-agent``: a symlink to ``/opt/remotesales-agent/remotesales-agent``
  (the launcher finds the image beside itself; in the folder form the bootloader finds its
  folder through ``/proc/self/exe``, so ``sys.executable`` is the real path under /opt);
- ``/usr/share/applications/remotesales-agent.desktop`` and the icon in the hicolor sizes
  (desktop-file-utils' and hicolor-icon-theme's dpkg triggers refresh the menus' caches: no
  maintainer script is needed for that);
- ``/etc/remotesales/remotesales-agent.json``, a conffile: the provisioning file the app reads
  for its first-run defaults (``{}`` unless ``--provisioning`` gives an administrator's file);
- the copyright, the generated licence list of everything it carries (``licences.md``, from
  ``build/deb/licences.py``: the build stops on a GPL-only, unknown or unreviewed component,
  and with ``--release`` also on the known release blockers), changelog, manual page and
  lintian overrides (each override says why).

``Depends`` comes from ``dpkg-shlibdeps`` run over every ELF file in the folder (the system
libraries the bundle links and does not carry), plus what the app opens at run time without
linking it (``RUNTIME_DEPENDS``), plus squashfuse, fuse3 and squashfs-tools for the image.
Only dpkg-deb, dpkg-shlibdeps, mksquashfs and gzip are used: no network.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from icons import draw_icon  # noqa: E402  (build/icons.py)

sys.path.insert(0, str(HERE))
import licences  # noqa: E402  (build/deb/licences.py)

REPO_ROOT = HERE.parent.parent
PACKAGE = "remotesales-agent"
PREFIX = Path("opt") / PACKAGE
PROVISIONING_PATH = Path("etc/remotesales/remotesales-agent.json")
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)  # the hicolor sizes
MAINTAINER = "RemoteSales <support@remotesales.invalid>"
# Opened at run time, so dpkg-shlibdeps cannot see them: mss and python-xlib load libX11,
# libXrandr and libXfixes through ctypes (capture, monitors, the cursor), the presenter
# libXdamage (suite/screen/damage_x11.py); Korean must render in every window (a CJK font);
# Qt's xcb GL integration opens libEGL.
RUNTIME_DEPENDS = ("libx11-6", "libxrandr2", "libxfixes3", "libxdamage1", "libxext6", "libegl1",
                   "fonts-noto-cjk")  # fmt: skip
# The image's launcher mounts it with squashfuse_ll where the system did not; fuse3 brings
# fusermount3 (unmount); squashfs-tools' unsquashfs extracts it where FUSE cannot be used.
IMAGE_DEPENDS = ("squashfuse", "fuse3", "squashfs-tools")
IMAGE_NAME = f"{PACKAGE}.squashfs"
# Where the mount unit mounts the image (the launcher's first choice), and the unit's name:
# systemd names a mount unit after its Where= (systemd-escape -p --suffix=mount).
MOUNTED_DIR = "app"
MOUNT_UNIT = "opt-remotesales\\x2dagent-app.mount"
UNIT_DIR = Path("usr/lib/systemd/system")
# zstd decompresses several times faster than xz; level 9 packs the folder in ~1 min of two
# busy cores, level 15 took 6.4x as long for 0.6 % fewer bytes (docs/builds.md, "The
# compressed image").
SQUASHFS_OPTIONS = ("-comp", "zstd", "-Xcompression-level", "9", "-b", "1M", "-all-root",
                    "-noappend", "-no-xattrs", "-quiet")  # fmt: skip
FORMS = ("image", "folder")
# Debian packages of libraries the bundle carries itself (Qt from the PyQt6 wheels).
BUNDLED = re.compile(r"^(libqt6\S*|qt6-\S*-abi)\b")
SHARED_LIBRARY = re.compile(r"\.so(\.[0-9.]+)?$")
COMPRESSION = {"xz": ["-Zxz", "-z6"], "gzip": ["-Zgzip", "-z6"]}
# The wheels' own libraries: numpy's OpenBLAS and gfortran, Pillow's codecs, libpython, Qt.
PRIVATE_DIRS = ("_internal", "_internal/PyQt6/Qt6/lib", "_internal/numpy.libs",
                "_internal/pillow.libs")  # fmt: skip


def project_version() -> str:
    data = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())
    version = data["project"]["version"]
    if not re.fullmatch(r"[0-9][A-Za-z0-9.+~]*", version):
        raise SystemExit(f"make_deb: pyproject's version {version!r} is not a Debian version")
    return version


def elf_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as file:
                if file.read(4) == b"\x7fELF":
                    found.append(path)
    return found


def shlib_depends(app: Path) -> list[str]:
    """The Debian packages of the system libraries the folder's ELF files link."""
    with tempfile.TemporaryDirectory(prefix="rs-shlibdeps-") as temp:
        # dpkg-shlibdeps insists on a debian/control beside it; it only needs to exist.
        (Path(temp) / "debian").mkdir()
        (Path(temp) / "debian" / "control").write_text(
            f"Source: {PACKAGE}\n\nPackage: {PACKAGE}\nArchitecture: amd64\n"
        )
        command = ["dpkg-shlibdeps", "-O", "--ignore-missing-info", "--warnings=1"]
        command += [f"-l{app / d}" for d in PRIVATE_DIRS]
        command += ["-e" + str(p) for p in elf_files(app)]
        result = subprocess.run(command, cwd=temp, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"make_deb: dpkg-shlibdeps failed:\n{result.stderr[-4000:]}")
    line = next((x for x in result.stdout.splitlines() if x.startswith("shlibs:Depends=")), None)
    if line is None:
        raise SystemExit(f"make_deb: dpkg-shlibdeps printed no Depends:\n{result.stdout}")
    return [d.strip() for d in line.split("=", 1)[1].split(",") if d.strip()]


def merged_depends(found: list[str], form: str = "image") -> str:
    # The bundle carries its own Qt: on a build machine that also has Debian's Qt 6 installed,
    # dpkg-shlibdeps names Debian's Qt packages for the bundled libraries (libqt6core6, ...,
    # qt6-base-abi (= 6.4.2)), which would pull ~260 MB of an old Qt onto every agent's PC.
    found = [d for d in found if not BUNDLED.match(d)]
    names = {re.split(r"[ (]", d, maxsplit=1)[0] for d in found}
    wanted = RUNTIME_DEPENDS + (IMAGE_DEPENDS if form == "image" else ())
    extra = [d for d in wanted if d not in names]
    return ", ".join(sorted(found + extra))


def write_icons(root: Path) -> None:
    hicolor = root / "usr/share/icons/hicolor"
    for size in ICON_SIZES:
        folder = hicolor / f"{size}x{size}" / "apps"
        folder.mkdir(parents=True)
        draw_icon(size).save(folder / f"{PACKAGE}.png", optimize=True)
    scalable = hicolor / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copyfile(REPO_ROOT / "ui/common/favicon.svg", scalable / f"{PACKAGE}.svg")


def write_gzipped(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as z:
        z.write(text.encode())


def installed_size_kib(root: Path) -> int:
    total = 0
    for path in root.rglob("*"):
        if path.is_symlink():
            total += 1
        elif path.is_file():
            total += (path.stat().st_size + 1023) // 1024
        elif path.is_dir():
            total += 1
    return total


def check_provisioning(path: Path) -> str:
    text = path.read_text()
    try:
        data = json.loads(text)
    except ValueError as error:
        raise SystemExit(f"make_deb: {path} is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise SystemExit(f"make_deb: {path} must hold a JSON object")
    return text if text.endswith("\n") else text + "\n"


def normalise_modes(folder: Path) -> None:
    """No group/other write bits, no odd modes (lintian); libraries not executable."""
    for path in folder.rglob("*"):
        if path.is_symlink():
            continue
        runs = path.is_dir() or (
            path.stat().st_mode & 0o111 and not SHARED_LIBRARY.search(path.name)
        )
        path.chmod(0o755 if runs else 0o644)


def write_image(app: Path, prefix: Path) -> None:
    """The folder as ``remotesales-agent.squashfs`` under ``prefix``, with its launcher."""
    if shutil.which("mksquashfs") is None:
        raise SystemExit("make_deb: mksquashfs not found (Debian: apt-get install squashfs-tools)")
    prefix.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="rs-image-", dir=prefix.parents[2]) as temp:
        folder = Path(temp) / PACKAGE
        shutil.copytree(app, folder, symlinks=True)
        normalise_modes(folder)
        result = subprocess.run(
            ["mksquashfs", str(folder), str(prefix / IMAGE_NAME), *SQUASHFS_OPTIONS],
            capture_output=True, text=True,
        )  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"make_deb: mksquashfs failed:\n{result.stderr[-4000:]}")
    (prefix / IMAGE_NAME).chmod(0o644)
    shutil.copyfile(HERE / f"{PACKAGE}-image.sh", prefix / PACKAGE)
    (prefix / PACKAGE).chmod(0o755)
    (prefix / MOUNTED_DIR).mkdir()  # the mount point: dpkg's, so a removal leaves no folder
    units = prefix.parents[1] / UNIT_DIR
    units.mkdir(parents=True)
    shutil.copyfile(HERE / f"{PACKAGE}-app.mount", units / MOUNT_UNIT)


def stage(app: Path, root: Path, version: str, provisioning: str, form: str = "image") -> None:
    if form == "image":
        write_image(app, root / PREFIX)
    else:
        shutil.copytree(app, root / PREFIX, symlinks=True)
        normalise_modes(root / PREFIX)
    (root / "usr/bin").mkdir(parents=True)
    (root / "usr/bin" / PACKAGE).symlink_to(Path("/") / PREFIX / PACKAGE)
    applications = root / "usr/share/applications"
    applications.mkdir(parents=True)
    shutil.copyfile(HERE / f"{PACKAGE}.desktop", applications / f"{PACKAGE}.desktop")
    write_icons(root)
    (root / PROVISIONING_PATH).parent.mkdir(parents=True)
    (root / PROVISIONING_PATH).write_text(provisioning)
    doc = root / "usr/share/doc" / PACKAGE
    doc.mkdir(parents=True)
    shutil.copyfile(HERE / "copyright", doc / "copyright")
    (doc / "licences.md").write_text(licences.markdown(app))
    when = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    write_gzipped(
        doc / "changelog.gz",  # a native package (no Debian revision): not changelog.Debian
        f"{PACKAGE} ({version}) unstable; urgency=medium\n\n"
        f"  * Built by scripts/build agent.\n\n -- {MAINTAINER}  {when}\n",
    )
    write_gzipped(
        root / "usr/share/man/man1" / f"{PACKAGE}.1.gz", (HERE / f"{PACKAGE}.1").read_text()
    )
    overrides = root / "usr/share/lintian/overrides"
    overrides.mkdir(parents=True)
    shutil.copyfile(HERE / "lintian-overrides", overrides / PACKAGE)
    for path in root.rglob("*"):
        if not path.is_symlink() and not path.is_relative_to(root / PREFIX):
            path.chmod(0o755 if path.is_dir() else 0o644)


def write_control(root: Path, version: str, depends: str, form: str = "image") -> None:
    debian = root / "DEBIAN"
    debian.mkdir()
    (debian / "control").write_text(
        f"Package: {PACKAGE}\n"
        f"Version: {version}\n"
        "Architecture: amd64\n"
        f"Maintainer: {MAINTAINER}\n"
        f"Installed-Size: {installed_size_kib(root)}\n"
        f"Depends: {depends}\n"
        "Section: net\n"
        "Priority: optional\n"
        "Description: RemoteSales agent desktop app\n"
        " The salesperson's side of RemoteSales: sign in to the company's relay, chat\n"
        " with customers, present the screen, hand over control, draw and share files.\n"
        " .\n"
        " The app carries its own Python and Qt WebEngine under /opt/remotesales-agent;\n"
        " an administrator can preset the relay address and proxy in\n"
        " /etc/remotesales/remotesales-agent.json.\n"
    )
    (debian / "conffiles").write_text(f"/{PROVISIONING_PATH}\n")
    # The image's mount unit: postinst enables and starts it, prerm stops it; postrm also
    # removes /etc/remotesales on a purge.
    for script in ("postinst", "prerm", "postrm") if form == "image" else ("postrm",):
        shutil.copyfile(HERE / script, debian / script)
        (debian / script).chmod(0o755)
    for name in ("control", "conffiles"):
        (debian / name).chmod(0o644)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--app", type=Path, required=True, help="the built agent folder")
    parser.add_argument("--out", type=Path, required=True, help="folder for the .deb")
    parser.add_argument(
        "--compression", choices=sorted(COMPRESSION), default="xz",
        help="xz: the smallest file, for releases (~4 min of one core for the 400 MB); gzip: "
        "~6x faster and ~25%% larger, for the tests' builds",
    )  # fmt: skip
    parser.add_argument(
        "--provisioning", type=Path, default=HERE / "remotesales-agent.json",
        help="the provisioning file to install as /etc/remotesales/remotesales-agent.json",
    )  # fmt: skip
    parser.add_argument(
        "--release", action="store_true",
        help="stop on the known release blockers too (build/deb/licences.py RELEASE_BLOCKERS)",
    )  # fmt: skip
    parser.add_argument(
        "--form", choices=FORMS, default="image",
        help="image: the folder as a zstd squashfs mounted by a launcher (~40 %% of the bytes "
        "installed); folder: the folder as it is",
    )  # fmt: skip
    args = parser.parse_args(argv)
    args.app, args.out = args.app.resolve(), args.out.resolve()  # dpkg-shlibdeps runs elsewhere
    if not (args.app / PACKAGE).is_file():
        raise SystemExit(f"make_deb: {args.app / PACKAGE} not found: run scripts/build agent")
    stops, blockers = licences.review(args.app)
    for blocker in blockers:
        print(f"make_deb: licences: release blocker: {blocker}", file=sys.stderr)
    if stops or (args.release and blockers):
        raise SystemExit("make_deb: licences to settle first:\n  " + "\n  ".join(stops + blockers))
    version = project_version()
    provisioning = check_provisioning(args.provisioning)
    depends = merged_depends(shlib_depends(args.app), args.form)
    deb = args.out / f"{PACKAGE}_{version}_amd64.deb"
    with tempfile.TemporaryDirectory(prefix="rs-deb-", dir=args.out) as temp:
        root = Path(temp) / "root"
        stage(args.app, root, version, provisioning, args.form)
        write_control(root, version, depends, args.form)
        result = subprocess.run(
            ["dpkg-deb", "--root-owner-group", *COMPRESSION[args.compression], "--build",
             str(root), str(deb)],
            capture_output=True, text=True,
        )  # fmt: skip
        if result.returncode != 0:
            raise SystemExit(f"make_deb: dpkg-deb failed:\n{result.stderr}")
    print(f"make_deb: {deb} ({deb.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The licences of everything the agent's package carries, as a generated list (D2).

    .venv-build-agent/bin/python build/deb/licences.py dist/remotesales-agent [--release]

Run with the Python that built the folder (its installed distributions give the metadata).
``build/deb/make_deb.py`` writes the same list into the package
(``/usr/share/doc/remotesales-agent/licences.md``) and stops the build when a component is
GPL-only (which the proprietary app must not be distributed with) or has no known licence, or
when a bundled native library is not in ``NATIVE`` (a new one must be looked at before it
ships). ``RELEASE_BLOCKERS`` are the GPL components we know of and have not replaced yet: they
are listed and warned about; with ``--release`` (``AGENT_RELEASE=1 scripts/build agent``) they
stop the build too.

What is carried: the Python packages whose modules are in the program's archive (PyInstaller's
PYZ, read back from the built program) or whose folders are in ``_internal/``, mapped to their
distributions; their licence from the metadata (``License-Expression``, else ``License``, else
the classifiers). Native libraries that the wheels bundle (``_internal/*.libs/``): from
``NATIVE``, written from each project's own licence files. Docs: docs/builds.md, "Licences".
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
from pathlib import Path

FFMPEG = "LGPL-3.0-or-later (FFmpeg; the wheel's build has no --enable-gpl, no --enable-nonfree)"
STAND_IN = "ours (a stand-in from build/deb/codec_stubs.c: the real library is not shipped)"
# A stand-in is a few kB; the real libraries are megabytes (a build that skipped
# build/deb/stub_codecs.py must not pass as licence-clean).
STAND_IN_MAX_BYTES = 64 * 1024
# Each library that a wheel bundles, by its name before auditwheel's hash: its licence.
NATIVE = {
    # PyAV's FFmpeg and what it links
    "libavcodec": FFMPEG, "libavdevice": FFMPEG, "libavfilter": FFMPEG, "libavformat": FFMPEG,
    "libavutil": FFMPEG, "libswresample": FFMPEG, "libswscale": FFMPEG,
    "libx264": STAND_IN, "libx265": STAND_IN, "libSvtAv1Enc": STAND_IN,
    "libvpx": "BSD-3-Clause", "libdav1d": "BSD-2-Clause", "libopus": "BSD-3-Clause",
    "libmp3lame": "LGPL-2.0-or-later", "libopencore-amrnb": "Apache-2.0",
    "libopencore-amrwb": "Apache-2.0", "libwebp": "BSD-3-Clause", "libwebpmux": "BSD-3-Clause",
    "libwebpdemux": "BSD-3-Clause", "libsharpyuv": "BSD-3-Clause",
    "libgnutls": "LGPL-2.1-or-later", "libnettle": "LGPL-3.0-or-later OR GPL-2.0-or-later",
    "libhogweed": "LGPL-3.0-or-later OR GPL-2.0-or-later",
    "libgmp": "LGPL-3.0-or-later OR GPL-2.0-or-later",
    "libunistring": "LGPL-3.0-or-later OR GPL-2.0-or-later", "libvpl": "MIT",
    "libasound": "LGPL-2.1-or-later", "libdrm": "MIT", "libxcb": "MIT", "libxcb-shape": "MIT",
    "libxcb-shm": "MIT", "libxcb-xfixes": "MIT", "libXau": "MIT",
    # numpy's OpenBLAS and its Fortran runtime
    "libscipy_openblas64_": "BSD-3-Clause",
    "libgfortran": "GPL-3.0-or-later WITH GCC-exception-3.1",
    "libquadmath": "LGPL-2.1-or-later",
    # Pillow's codecs
    "libavif": "BSD-2-Clause", "libbrotlicommon": "MIT", "libbrotlidec": "MIT",
    "libfreetype": "FTL OR GPL-2.0-or-later", "libharfbuzz": "MIT",
    "libjpeg": "IJG AND BSD-3-Clause (libjpeg-turbo)", "liblcms2": "MIT", "liblzma": "0BSD",
    "libopenjp2": "BSD-2-Clause", "libpng16": "Libpng-2.0", "libtiff": "libtiff",
    "libzstd": "BSD-3-Clause OR GPL-2.0-or-later",
}  # fmt: skip
# What a Python package builds into its own extension modules, beside its licence.
EMBEDS = {
    "cryptography": "OpenSSL 3 (Apache-2.0), statically",
    "simplejpeg": "libjpeg-turbo (IJG AND BSD-3-Clause), statically",
    "dukpy": "Duktape (MIT)",
    "numpy": "its bundled OpenBLAS and gfortran runtime: see the libraries below",
    "pillow": "its codecs: see the libraries below",
    "av": "FFmpeg and codecs: see the libraries below",
    "pyqt6-qt6": "Qt 6 (LGPL-3.0-only) and its ICU (Unicode-3.0)",
    "pyqt6-webengine-qt6": "Qt WebEngine: Chromium (BSD-3-Clause and others, LGPL-3.0-only as Qt)",
}
# GPL components we carry knowingly until they are replaced: a warning in every build, an
# error in a release build. PyQt6 is GPL-3 or Riverbank's commercial licence; PySide6 (LGPL)
# runs the same pywebview Qt backend through qtpy (docs/builds.md, "Licences").
RELEASE_BLOCKERS = {
    "PyQt6": "GPL-3.0-only or commercial: buy Riverbank's licence or move to PySide6 (LGPL)",
    "PyQt6-WebEngine": "GPL-3.0-only or commercial: as PyQt6",
}
OURS = {"remotesales"}
HASHED = re.compile(r"^(.+?)(?:-[0-9a-f]{8})+\.so")


def allowed(licence: str) -> bool:
    """False for a GPL-only licence: LGPL, a choice of a non-GPL licence, or the GCC runtime
    exception are fine for a proprietary app that links them."""
    if "GPL" not in licence.replace("LGPL", ""):
        return True
    return " OR " in licence or "GCC-exception" in licence


def top_level_names(app: Path) -> set[str]:
    """The top-level modules and packages the program carries: its PYZ archive's and the
    folders and extension modules in ``_internal/``."""
    from PyInstaller.archive.readers import CArchiveReader  # the build venv has it

    program = CArchiveReader(str(app / "remotesales-agent"))
    names: set[str] = set()
    for entry in program.toc:
        if entry.endswith(".pyz"):
            names |= {n.split(".")[0] for n in program.open_embedded_archive(entry).toc}
    for path in (app / "_internal").iterdir():
        names.add(path.name.split(".")[0])
    return names


def licence_of(meta: importlib.metadata.PackageMetadata) -> str:
    licence = meta.get("License-Expression") or ""
    if not licence:
        text = (meta.get("License") or "").strip().splitlines()
        licence = text[0] if text and len(text[0]) < 60 else ""
    if not licence:
        classifiers = meta.get_all("Classifier") or []
        licence = "; ".join(c.split(" :: ")[-1] for c in classifiers if c.startswith("License ::"))
    return licence or "UNKNOWN"


def python_packages(app: Path) -> list[tuple[str, str, str]]:
    """(distribution, version, licence) of each distribution the program carries a module of.
    PyQt6's QtWebEngine bindings and the Qt wheels share its package folder: they count when
    the folder holds QtWebEngine."""
    by_module = importlib.metadata.packages_distributions()
    carried = {d for name in top_level_names(app) for d in by_module.get(name, ())}
    if "PyQt6" in carried and list((app / "_internal" / "PyQt6").glob("QtWebEngine*")):
        carried |= {"PyQt6-Qt6", "PyQt6-WebEngine", "PyQt6-WebEngine-Qt6"}
    found = []
    for name in sorted(carried - OURS, key=str.lower):
        meta = importlib.metadata.metadata(name)
        found.append((meta["Name"], meta["Version"], licence_of(meta)))
    return found


def native_libraries(app: Path) -> list[tuple[str, str, str | None]]:
    found = []
    for path in sorted((app / "_internal").glob("*.libs/*")):
        match = HASHED.match(path.name)
        name = match.group(1) if match else path.name
        licence = NATIVE.get(name)
        if licence == STAND_IN and path.stat().st_size > STAND_IN_MAX_BYTES:
            licence = "GPL-2.0-or-later or unused: the real library (stub_codecs.py did not run)"
        found.append((f"{path.parent.name}/{path.name}", name, licence))
    return found


def review(app: Path) -> tuple[list[str], list[str]]:
    """(what stops every build: GPL-only or unknown components, libraries nobody has looked
    at; the known release blockers)."""
    stops, blockers = [], []
    for name, version, licence in python_packages(app):
        if name in RELEASE_BLOCKERS:
            blockers.append(f"{name} {version} ({licence}): {RELEASE_BLOCKERS[name]}")
        elif licence == "UNKNOWN" or not allowed(licence):
            stops.append(f"{name} {version}: {licence}")
    for path, _name, licence in native_libraries(app):
        if licence is None:
            stops.append(f"{path}: not in build/deb/licences.py's NATIVE (look at its licence)")
        elif not allowed(licence):
            stops.append(f"{path}: {licence}")
    return stops, blockers


def markdown(app: Path) -> str:
    lines = [
        "# Licences of what remotesales-agent carries",
        "",
        "Generated by build/deb/licences.py when the package was built.",
        "",
        "| Python package | version | licence | also carries |",
        "|---|---|---|---|",
    ]
    for name, version, licence in python_packages(app):
        note = EMBEDS.get(name.lower(), "")
        if name in RELEASE_BLOCKERS:
            note = f"**release blocker**: {RELEASE_BLOCKERS[name]}"
        lines.append(f"| {name} | {version} | {licence} | {note} |")
    lines += ["", "| bundled library | licence |", "|---|---|"]
    for path, _name, licence in native_libraries(app):
        lines.append(f"| `{path}` | {licence or 'UNKNOWN'} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    release = "--release" in argv
    paths = [a for a in argv if a != "--release"]
    if len(paths) != 1 or not (Path(paths[0]) / "_internal").is_dir():
        print("usage: licences.py dist/remotesales-agent [--release]", file=sys.stderr)
        return 2
    app = Path(paths[0])
    print(markdown(app), end="")
    stops, blockers = review(app)
    for problem in stops:
        print(f"licences: {problem}", file=sys.stderr)
    for blocker in blockers:
        print(f"licences: release blocker: {blocker}", file=sys.stderr)
    return 1 if stops or (release and blockers) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

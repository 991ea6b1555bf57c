"""Replace PyAV's GPL and unused encoder libraries in the agent folder with stand-ins (D2).

    python build/deb/stub_codecs.py dist/remotesales-agent

Run by ``scripts/build agent`` after PyInstaller. PyAV's wheel links libx264 and libx265
(GPL-2+: a proprietary app must not be distributed with them) and SVT-AV1 (7 MB of an AV1
encoder nothing uses) into its LGPL FFmpeg; libavcodec needs each of them to load. Each is
replaced, in ``_internal/av.libs/``, by a library compiled from ``build/deb/codec_stubs.c``
with the original's file name and SONAME, whose functions fail: FFmpeg loads, and opening one
of those encoders raises in PyAV. The app encodes with libvpx only. Needs gcc and readelf.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CODEC_STUBS = HERE / "codec_stubs.c"
# PyAV's bundled libraries replaced by stand-ins: name prefix in av.libs -> the stub's macro.
STUBBED = {"libx264-": "STUB_X264", "libx265-": "STUB_X265", "libSvtAv1Enc-": "STUB_SVTAV1"}


def run(command: list[str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"stub_codecs: {' '.join(command[:4])} ... failed:\n{result.stderr}")
    return result.stdout


def soname(path: Path) -> str:
    found = re.search(r"\(SONAME\).*\[(.+)\]", run(["readelf", "-d", str(path)]))
    if found is None:
        raise SystemExit(f"stub_codecs: {path} has no SONAME")
    return found.group(1)


def stub_codecs(app: Path) -> list[tuple[str, int]]:
    """Replace the libraries; (name, bytes saved) for each."""
    if shutil.which("gcc") is None or shutil.which("readelf") is None:
        raise SystemExit("stub_codecs: needs gcc and readelf (Debian: gcc, binutils)")
    av_libs = app / "_internal" / "av.libs"
    replaced = []
    for prefix, macro in STUBBED.items():
        matches = sorted(p for p in av_libs.glob(prefix + "*") if not p.is_symlink())
        if len(matches) != 1:
            raise SystemExit(f"stub_codecs: expected one {prefix}* in {av_libs}, found {matches}")
        original = matches[0]
        name = soname(original)
        if name != original.name:
            raise SystemExit(f"stub_codecs: {original.name}'s SONAME is {name}")
        before = original.stat().st_size
        original.unlink()
        run(["gcc", "-shared", "-fPIC", "-O2", "-s", f"-D{macro}", f"-Wl,-soname,{name}",
             "-o", str(av_libs / name), str(CODEC_STUBS)])  # fmt: skip
        replaced.append((name, before - (av_libs / name).stat().st_size))
    return replaced


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not (Path(argv[0]) / "_internal" / "av.libs").is_dir():
        print("usage: python build/deb/stub_codecs.py dist/remotesales-agent", file=sys.stderr)
        return 2
    replaced = stub_codecs(Path(argv[0]))
    saved = sum(size for _, size in replaced)
    names = ", ".join(name for name, _ in replaced)
    print(f"stub_codecs: stand-ins for {names} ({saved / 1e6:.1f} MB less)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

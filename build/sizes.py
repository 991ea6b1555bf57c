"""Where the agent folder's bytes go: a table by component (D2).

    python build/sizes.py dist/remotesales-agent          # prints the markdown table

Bytes on disk as ``du -sb`` counts them (symbolic links counted once, as links). Each file goes
to the first component whose test matches it; ``scripts/bench_builds.py --agent`` prints the
same table for the installed package, and docs/builds.md keeps the measured one.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

Rule = tuple[str, Callable[[str], bool]]

# (component, test on the path relative to the folder), first match wins.
RULES: list[Rule] = [
    ("QtWebEngineCore (libQt6WebEngineCore, Chromium)", lambda p: "libQt6WebEngineCore." in p),
    ("QtWebEngine resources (.pak, ICU data, V8 snapshot)", lambda p: "/Qt6/resources/" in p),
    ("QtWebEngine locales (en-US, ko)", lambda p: "qtwebengine_locales/" in p),
    ("ICU 73 for QtCore (libicu*)", lambda p: "/libicu" in p),
    ("other Qt libraries (Core, Gui, Widgets, Qml, Quick, ...)", lambda p: "/Qt6/lib/" in p),
    ("Qt plugins and QtWebEngineProcess", lambda p: "/Qt6/" in p),
    ("PyQt6 bindings", lambda p: "PyQt6/" in p),
    ("PyAV's GPL encoders (libx264, libx265)", lambda p: "av.libs/libx26" in p),
    ("PyAV's SVT-AV1 encoder", lambda p: "av.libs/libSvtAv1" in p),
    ("PyAV's FFmpeg and its other codecs (av.libs)", lambda p: "av.libs/" in p),
    ("PyAV (av)", lambda p: p.startswith("_internal/av/")),
    ("numpy's OpenBLAS and gfortran (numpy.libs)", lambda p: "numpy.libs/" in p),
    ("numpy", lambda p: p.startswith("_internal/numpy")),
    ("Pillow (PIL, pillow.libs)", lambda p: "PIL/" in p or "pillow.libs/" in p),
    ("cryptography (OpenSSL)", lambda p: p.startswith("_internal/cryptography")),
    ("Python (libpython, extension modules, base_library.zip)",
     lambda p: "libpython" in p or "python3." in p or "base_library.zip" in p),
    ("our pages (ui/)", lambda p: p.startswith("_internal/ui/")),
    ("the program (bootloader + every pure-Python module, ours and the packages')",
     lambda p: "/" not in p),
    ("the rest (dukpy, simplejpeg, cffi, certifi, dist-info, ...)", lambda p: True),
]  # fmt: skip


def components(folder: Path) -> list[tuple[str, int]]:
    """(component, bytes) in RULES' order, empty components left out."""
    totals = dict.fromkeys((name for name, _ in RULES), 0)
    for path in folder.rglob("*"):
        if path.is_dir() and not path.is_symlink():
            continue
        relative = path.relative_to(folder).as_posix()
        size = path.lstat().st_size
        for name, test in RULES:
            if test(relative):
                totals[name] += size
                break
    return [(name, size) for name, size in totals.items() if size]


def markdown(folder: Path) -> str:
    rows = components(folder)
    total = sum(size for _, size in rows)
    lines = ["| component | MB | share |", "|---|---:|---:|"]
    for name, size in sorted(rows, key=lambda row: -row[1]):
        lines.append(f"| {name} | {size / 1e6:.1f} | {100 * size / total:.0f} % |")
    lines.append(f"| **all** (files; `du -sb` adds the folders) | **{total / 1e6:.1f}** | |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print("usage: python build/sizes.py dist/remotesales-agent", file=sys.stderr)
        return 2
    print(markdown(Path(argv[0])), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

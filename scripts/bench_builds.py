#!/usr/bin/env python3
"""Size, build time and start-up of the built programs (D1, D2, D4): where the time goes.

    scripts/build relay viewer [agent]      first (writes dist/ and dist/build-report.json)
    .venv/bin/python scripts/bench_builds.py [--runs 5] [--dist dist] [--agent]

For the viewer, each run does what a customer does: a ticket from the built relay (run from a
temporary folder), the download, then the launch under Xvfb, while a presenter (from source)
shows four coloured quadrants on a second Xvfb display. Milestones after launch:
``unpacked`` (the _MEI folder exists), ``python`` (the viewer's Python starts), ``redeemed``,
``window`` (shown), ``page`` (loaded), ``first frame`` (the page painted one), ``on screen`` (an
mss grab shows the quadrants). Then the session ends and the time to a clean exit (file and
unpack folder gone) is measured. The relay: launch to ready. The agent (--agent): the newest
``dist/remotesales-agent_*_amd64.deb`` unpacked with ``dpkg-deb -x`` into a temporary root
(its sizes: .deb and installed, and where the folder's bytes go: build/sizes.py), then the
installed program's launch to its main window loaded (each run), and after the last run's
sign-in the memory of all its processes. When the package ships the compressed image, the
installed launcher runs it mounted by squashfuse (nothing mounted it at ``app/``: the
launcher's fallback where the kernel could not mount it), and the same runs are made,
interleaved, with the image's folder extracted (``unsquashfs``: the plain folder, also the
launcher's last resort) and, when this process may mount (root), with the image mounted by the
kernel at ``app/`` of a second copy of the install with the options the package uses (its
systemd mount unit, or without systemd its postinst: ``loop,ro,nodev,nosuid``), run through the
same launcher: the three forms side by side in the same minutes.
Page-cache-warm starts (the first run of each is the coldest); numbers taken while other work
runs on the machine are noisy: say so when you quote them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from suite.agent.app.presentations import TOKEN_ENV  # noqa: E402
from tests.support.agent_app import AgentApp  # noqa: E402
from tests.support.api import Api  # noqa: E402
from tests.support.builds import prepare_built_relay  # noqa: E402
from tests.support.cdp import by_test_id  # noqa: E402
from tests.support.chat_client import ChatClient  # noqa: E402
from tests.support.desktop_flow import main_page, sign_in  # noqa: E402
from tests.support.relay import RelayProcess  # noqa: E402
from tests.support.viewer_presenter import start_session  # noqa: E402
from tests.support.viewer_program import (  # noqa: E402
    AGENT_SCREEN,
    VIEWER_SCREEN,
    find_quadrants,
    quadrant_picture,
    run_viewer,
)
from tests.support.x11_paint import RootPainter, add_local_xauth_entry  # noqa: E402
from tests.support.xvfb import Xvfb  # noqa: E402

MILESTONES = {
    "python": "python started at",
    "redeemed": "joined session .* at",
    "window": "window shown at",
    "page": "page loaded at",
    "first frame": "first frame painted at",
}
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def start_relay(dist: Path, work: Path) -> tuple[RelayProcess, float]:
    relay = prepare_built_relay(dist / "remotesales-relay", dist / "remotesales-viewer-linux", work)
    started = time.monotonic()
    relay.start()
    return relay, time.monotonic() - started


def viewer_run(relay: RelayProcess, agent_display: Xvfb, viewer_display: Xvfb, work: Path):
    session = start_session(relay)
    api = Api(relay.url)
    _, issued, _ = api.request(
        "POST", "/api/viewer/tickets", json={"platform": "linux"}, token=session.customer_token
    )
    viewer = work / "RemoteSales-Viewer"
    with _OPENER.open(relay.url + issued["download_url"], timeout=30) as response:
        viewer.write_bytes(response.read())
    viewer.chmod(0o755)
    unpack = work / "tmp"
    unpack.mkdir(exist_ok=True)
    env = agent_display.env()
    env[TOKEN_ENV] = session.agent_token
    presenter = subprocess.Popen(
        [sys.executable, "-m", "suite.agent.presenter", "--relay", session.ws_url,
         f"--session={session.session_id}"],
        cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    log = work / "viewer.log"
    times: dict[str, float] = {}
    try:
        time.sleep(0.5)  # the presenter is connected before the viewer starts
        launched = time.time()
        process = run_viewer(viewer, viewer_display, unpack, log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if "unpacked" not in times and list(unpack.glob("_MEI*")):
                times["unpacked"] = time.time() - launched
            if find_quadrants(viewer_display):
                times["on screen"] = time.time() - launched
                break
            time.sleep(0.02)
        text = log.read_text()
        for name, pattern in MILESTONES.items():
            found = re.search(pattern + r" ([0-9.]+)", text)
            if found:
                times[name] = float(found.group(1)) - launched
        agent = ChatClient(relay.ws_url, "agent", session.session_id, session.agent_token)
        agent.connect()
        ended = time.time()
        agent.send({"type": "end_session"})
        agent.close()
        process.wait(timeout=60)
        gone = not viewer.exists() and not list(unpack.iterdir())
        times["closed and clean"] = time.time() - ended if gone else float("nan")
    finally:
        presenter.send_signal(signal.SIGTERM)
        presenter.wait(timeout=20)
    return times


def install_agent(dist: Path, work: Path) -> tuple[Path, Path, float]:
    """The newest agent .deb in ``dist``, unpacked with ``dpkg-deb -x`` into a root under
    ``work``: (the .deb, the installed program, seconds to unpack)."""
    debs = sorted(dist.glob("remotesales-agent_*_amd64.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        raise SystemExit("bench_builds: no dist/remotesales-agent_*_amd64.deb: scripts/build agent")
    root = work / "root"
    started = time.monotonic()
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
    return debs[-1], root / "opt/remotesales-agent/remotesales-agent", time.monotonic() - started


def agent_forms(program: Path, work: Path) -> tuple[dict[str, Path], list[Path]]:
    """The installed program in each form to compare: {form: program}, and the kernel mounts
    to undo. The plain folder form has only itself."""
    image = program.parent / "remotesales-agent.squashfs"
    if not image.is_file():
        return {"folder (installed)": program}, []
    forms = {"image (squashfuse)": program}
    folder = work / "extracted"
    subprocess.run(["unsquashfs", "-q", "-n", "-d", str(folder), str(image)], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    forms["folder (extracted)"] = folder / "remotesales-agent"
    # The install again (hard links: no copy of the bytes), its image mounted at app/ with the
    # options of the package's mount unit; the launcher there finds it mounted.
    second = work / "kernel-root" / program.parent.name
    second.parent.mkdir()
    subprocess.run(["cp", "-al", str(program.parent), str(second)], check=True)
    mounted = second / "app"
    mounted.mkdir(exist_ok=True)
    if os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "squashfs", "-o", "loop,ro,nodev,nosuid", str(second / image.name),
         str(mounted)],
        stderr=subprocess.DEVNULL,
    ).returncode == 0:  # fmt: skip
        forms["image (kernel mount)"] = second / program.name
        return forms, [mounted]
    return forms, []


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def agent_memory_mb(pid: int) -> tuple[float, float]:
    """RSS and PSS (MB) of the app and all its processes (QtWebEngine's zygotes, renderers,
    GPU process; a presenter if one runs). RSS counts shared pages in each process; PSS
    splits them, so its sum is what the app really costs."""
    import psutil

    top = psutil.Process(pid)
    rss = pss = 0
    for process in [top, *top.children(recursive=True)]:
        try:
            info = process.memory_full_info()
        except psutil.Error:
            continue
        rss += info.rss
        pss += getattr(info, "pss", info.rss)
    return rss / 1e6, pss / 1e6


def agent_runs(
    relay: RelayProcess, program: Path, display: Xvfb, work: Path, runs: int, first: int = 0
):
    """Launch → main window loaded, ``runs`` times; after the last, sign in and measure the
    memory with the signed-in main window."""
    starts: list[float] = []
    memory = (float("nan"), float("nan"))
    for run in range(first, first + runs):
        run_dir = work / f"agent-{run}"
        run_dir.mkdir()
        app = AgentApp(display, run_dir, relay_url=relay.url, program=[str(program)],
                       extra_env={"PYTHONPATH": ""})  # fmt: skip
        launched = time.monotonic()
        app.start()  # returns when the app wrote its ready file: main window loaded
        starts.append(time.monotonic() - launched)
        try:
            if run == first + runs - 1:
                main = main_page(app)
                sign_in(main)
                main.wait_for_selector(by_test_id("new-support-button"))
                memory = agent_memory_mb(app.process.pid)
                main.close()
        finally:
            app.stop()
    return starts, memory


def settle_after_squashfuse(timeout_s: float = 60.0) -> None:
    """Wait until no squashfuse of a launch is left: the launcher's squashfuse form leaves, after
    the app quit, its prefetch of the big libraries reading through FUSE and its lazy unmount
    behind (build/deb/remotesales-agent-image.sh), and the launch after it, of whatever form,
    paid for them (the kernel-mounted form measured 2.05-2.08 s interleaved after it and 1.49 s
    without it, 2026-12-06): each form is measured on a machine its predecessor has left."""
    import psutil

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not any(p.info["name"] == "squashfuse_ll" for p in psutil.process_iter(["name"])):
            return
        time.sleep(0.1)


def bench_agent(args: argparse.Namespace, relay: RelayProcess, display: Xvfb, work: Path) -> None:
    sys.path.insert(0, str(REPO_ROOT / "build"))
    from sizes import markdown  # type: ignore[import-not-found]  # build/sizes.py

    deb, program, unpack_s = install_agent(args.dist, work)
    installed = folder_bytes(program.parent)
    print(
        f"agent: {deb.name} {deb.stat().st_size / 1e6:.1f} MB, installed "
        f"{installed / 1e6:.1f} MB in /opt (dpkg-deb -x in {unpack_s:.1f} s)"
    )
    forms, mounts = agent_forms(program, work)
    try:
        folder = next((p.parent for f, p in forms.items() if f.startswith("folder")), None)
        if folder is not None:
            print(f"agent folder {folder_bytes(folder) / 1e6:.1f} MB:\n{markdown(folder)}")
        starts: dict[str, list[float]] = {form: [] for form in forms}
        memory: dict[str, tuple[float, float]] = {}
        run = 0
        for index in range(args.agent_runs):  # interleaved: the forms share the machine's load
            for form, form_program in forms.items():
                last = index == args.agent_runs - 1
                found, used = agent_runs(relay, form_program, display, work, 1, first=run)
                run += 1
                settle_after_squashfuse()
                starts[form] += found
                if last:
                    memory[form] = used
        for form, times in starts.items():
            rss, pss = memory[form]
            print(
                f"agent, {form}: launch to main window loaded "
                + ", ".join(f"{s:.2f}" for s in times)
                + f" s (median {statistics.median(times):.2f} s); after sign-in "
                f"RSS {rss:.0f} MB, PSS {pss:.0f} MB over all its processes; load average "
                f"{os.getloadavg()[0]:.1f}"
            )
    finally:
        for mounted in mounts:
            subprocess.run(["umount", "-l", str(mounted)], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dist", type=Path, default=REPO_ROOT / "dist")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--agent", action="store_true", help="also measure the agent's .deb")
    parser.add_argument("--agent-runs", type=int, default=3, help="agent launches (default 3)")
    args = parser.parse_args()
    report = json.loads((args.dist / "build-report.json").read_text())
    for entry in report:
        print(f"{entry['program']:28s} {entry['bytes'] / 1e6:7.1f} MB  built in "
              f"{entry['build_ms'] / 1000:5.1f} s")  # fmt: skip
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="rs-bench-builds-") as temp:
        work = Path(temp)
        relay, relay_ready_s = start_relay(args.dist, work)
        print(f"relay: launch to ready {relay_ready_s:.2f} s")
        try:
            with Xvfb(*AGENT_SCREEN) as agent_display, Xvfb(*VIEWER_SCREEN) as viewer_display:
                add_local_xauth_entry(agent_display)
                os.environ["XAUTHORITY"] = str(viewer_display.xauthority)
                painter = RootPainter(agent_display.env())
                painter.paint(quadrant_picture())
                painter.close()
                for run in range(args.runs):
                    run_dir = work / f"run-{run}"
                    run_dir.mkdir()
                    times = viewer_run(relay, agent_display, viewer_display, run_dir)
                    ordered = sorted(times.items(), key=lambda kv: kv[1])
                    print(f"viewer run {run + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in ordered))
                    for key, value in times.items():
                        results.setdefault(key, []).append(value)
                if args.agent:
                    bench_agent(args, relay, viewer_display, work)
        finally:
            relay.stop()
    medians = sorted((statistics.median(v), k) for k, v in results.items())
    print("viewer medians (s after launch): " + ", ".join(f"{k} {m:.2f}" for m, k in medians))
    return 0


if __name__ == "__main__":
    sys.exit(main())

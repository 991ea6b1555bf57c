"""``python -m suite.agent.presenter``: the presenter process's command line.

Run it alone for tests and benchmarks::

    python -m suite.agent.presenter --relay URL --token T --session ID [--monitor N]
    (or the token in $REMOTESALES_AGENT_TOKEN instead of --token)
        [--quality 70] [--lossless] [--colors full|65k|256] [--windows ID,ID]
        [--private-pid PID ...]
        [--control-stdin] [--overlay] [--status-stdout]

The agent app runs it as a child process (the encoder's CPU then never competes with the
GUI for one interpreter's GIL), drives it with text commands on stdin
(:mod:`suite.agent.presenter.commands`) and follows its state in JSON lines on stdout
(``presenter_status``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from suite.agent.app.presentations import TOKEN_ENV
from suite.agent.presenter.commands import Stop
from suite.agent.presenter.loop import MAX_FPS, PresenterConfig
from suite.agent.presenter.recording import DEFAULT_FOLDER, PresenterRecording
from suite.agent.presenter.runner import PresenterRunner, write_stats
from suite.agent.presenter.status import StatusWriter, no_report
from suite.recording.recorder import MAX_FPS as RECORD_FPS
from suite.screen.encoders import DEFAULT_QUALITY, ColorDepth, LossyCodec
from suite.screen.errors import ScreenError
from suite.screen.stream import StreamOptions
from suite.screen.windows_x11 import open_window_list


def _parse_ids(text: str) -> list[int]:
    return [int(part, 0) for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m suite.agent.presenter",
        description="Stream this screen to a RemoteSales relay's screen channel.",
    )
    parser.add_argument("--relay", help="relay address (https://host or ws://host:port/ws)")
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_ENV),
        help=f"the agent's bearer token (default: ${TOKEN_ENV}, which keeps it off the "
        "process list)",
    )
    parser.add_argument("--session", help="the support session id")
    parser.add_argument("--monitor", type=int, default=1, help="mss monitor index (1 = first)")
    parser.add_argument("--quality", type=int, default=DEFAULT_QUALITY, help="lossy quality")
    parser.add_argument("--codec", choices=[c.value for c in LossyCodec], default="jpeg")
    parser.add_argument(
        "--lossless", action="store_true", help="high-speed network: PNG only, no video"
    )
    parser.add_argument("--colors", choices=[c.value for c in ColorDepth], default="full")
    parser.add_argument("--windows", type=_parse_ids, help="share only these window ids (a,b)")
    parser.add_argument("--list-windows", action="store_true", help="print open windows, exit")
    parser.add_argument(
        "--private-pid", type=int, action="append", default=[], metavar="PID",
        help="leave this process's windows out of the capture (repeatable; the agent app "
        "passes its own pid)",
    )  # fmt: skip
    parser.add_argument("--max-fps", type=float, default=MAX_FPS)
    parser.add_argument("--no-cursor", action="store_true", help="send no cursor messages")
    parser.add_argument(
        "--no-video", action="store_true",
        help="send regions in motion as JPEG too (no VP8/VP9 video)",
    )  # fmt: skip
    parser.add_argument(
        "--no-control", action="store_true",
        help="never inject the customer's input (control handover off; no hotkey grab)",
    )  # fmt: skip
    parser.add_argument(
        "--poll", action="store_true",
        help="poll the screen even where the X server reports changes (DAMAGE); for comparisons",
    )  # fmt: skip
    parser.add_argument("--stats-file", type=Path, help="keep counters here (JSON, every 0.5 s)")
    parser.add_argument(
        "--control-stdin", action="store_true",
        help="read commands from stdin: pause, resume, stop, monitor N, windows ID,ID|all",
    )  # fmt: skip
    parser.add_argument(
        "--overlay", action="store_true",
        help="show drawings on this desktop (P5; X11 with Shape) and draw with 'draw' commands",
    )  # fmt: skip
    parser.add_argument(
        "--status-stdout", action="store_true",
        help="report state changes as JSON lines on stdout (the agent app's channel)",
    )  # fmt: skip
    parser.add_argument(
        "--record", action="store_true",
        help="record the presentation when the relay's policy lets the agent choose (P9; "
        "a policy of 'always' records without it, 'off' never)",
    )  # fmt: skip
    parser.add_argument(
        "--recordings-dir", type=Path, default=DEFAULT_FOLDER,
        help=f"where recordings go (default {DEFAULT_FOLDER})",
    )  # fmt: skip
    parser.add_argument(
        "--record-fps", type=float, default=RECORD_FPS, help="recording frames a second at most"
    )
    parser.add_argument("--log-level", default="INFO")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The level is read by the app (suite/agent/app/presentations.py): its error is the last
    # ERROR line, not a warning logged while the child exits.
    logging.basicConfig(
        level=args.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    if args.list_windows:
        try:
            windows = open_window_list()
        except ScreenError as exc:
            print(exc, file=sys.stderr)
            return 2
        for info in windows.windows():
            r = info.rect
            print(f"0x{info.id:08x}\t{r.w}x{r.h}+{r.x}+{r.y}\t{info.title}")
        windows.close()
        return 0
    if not (args.relay and args.token and args.session):
        print("--relay, --token and --session are required", file=sys.stderr)
        return 2
    options = StreamOptions(
        lossless=args.lossless, quality=args.quality, codec=LossyCodec(args.codec),
        colors=ColorDepth(args.colors),
    )  # fmt: skip
    config = PresenterConfig(
        args.monitor, options, args.windows, args.max_fps, frozenset(args.private_pid),
        video=not args.no_video,
    )  # fmt: skip
    report = StatusWriter(sys.stdout) if args.status_stdout else no_report
    runner = PresenterRunner(
        args.relay, args.token, args.session, config, not args.no_cursor, args.overlay, report
    )
    runner.remote_control = not args.no_control
    runner.recording = PresenterRecording(args.record, args.recordings_dir, report, args.record_fps)
    runner.change_notification = not args.poll
    signal.signal(signal.SIGTERM, lambda *_: runner.apply(Stop()))
    signal.signal(signal.SIGINT, lambda *_: runner.apply(Stop()))
    if args.control_stdin:
        threading.Thread(target=runner.read_commands, args=(sys.stdin,), daemon=True).start()
    if args.stats_file:
        threading.Thread(target=runner.write_stats, args=(args.stats_file,), daemon=True).start()
    worker = threading.Thread(target=runner.run, name="presenter")
    worker.start()
    while worker.is_alive():
        worker.join(timeout=0.2)  # the main thread stays free for signal handlers
    if args.stats_file and runner.presenter is not None:
        write_stats(runner.presenter, args.stats_file)
    return runner.status

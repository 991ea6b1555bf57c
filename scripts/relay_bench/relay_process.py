"""The relay under test: its subprocess, account, readiness, memory and CPU, py-spy profiling.

Also the whole machine's busy CPU time, so the table can tell the relay's load from the rest.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psutil

from scripts.relay_bench.errors import BenchError

logger = logging.getLogger("bench_relay")

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0

AGENT_USERNAME = "bench-agent"
AGENT_PASSWORD = "bench-password-1"


def run_relay_cli(*args: str, root: Path = REPO_ROOT) -> None:
    """Run `python -m relay_server ARGS` from the source tree ``root`` to completion.

    Raises:
        BenchError: it exited non-zero (the message holds its output).
    """
    command = [sys.executable, "-m", "relay_server", *args]
    result = subprocess.run(
        command,
        cwd=root,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if result.returncode != 0:
        raise BenchError(
            f"{shlex.join(command[1:])} exited with {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )


def relay_help() -> str:
    """The relay's `--help` text ('' if it cannot be run)."""
    result = subprocess.run(
        [sys.executable, "-m", "relay_server", "--help"],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.stdout if result.returncode == 0 else ""


class Relay:
    """One relay subprocess on its own data directory, with the agent account created.

    ``root`` is the source tree it runs from (``python -m relay_server`` there): another
    revision exported beside this one gives a before/after comparison in one run.
    """

    def __init__(
        self,
        work_dir: Path,
        name: str,
        extra_args: Sequence[str] = (),
        store_args: Sequence[str] = (),
        root: Path = REPO_ROOT,
    ) -> None:
        self.root = root
        self.data_dir = work_dir / f"{name}-data"
        self.store_args = list(store_args)  # --store ... for the relay and its users command
        self.log_path = work_dir / f"{name}.log"
        self.ready_file = work_dir / f"{name}-ready.json"
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.ws_url = ""
        self.ps: psutil.Process | None = None

    def start(self) -> None:
        """Create the agent, start the relay and wait for its ready file.

        Raises:
            BenchError: the relay exited or was not ready within READY_TIMEOUT_S.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        run_relay_cli(
            "users",
            "--data",
            str(self.data_dir),
            *self.store_args,
            "add",
            AGENT_USERNAME,
            "--password",
            AGENT_PASSWORD,
            "--name",
            "Bench Agent",
            root=self.root,
        )
        command = [
            sys.executable,
            "-m",
            "relay_server",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(self.data_dir),
            "--ready-file",
            str(self.ready_file),
            # Thousands of simulated clients share one loopback address here; in the field
            # they come from many, so the per-address cap would only measure itself.
            "--max-connections-per-address",
            "0",
            *self.store_args,
            *self.extra_args,
        ]
        logger.info("starting relay: %s", shlex.join(command[1:]))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.root,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise BenchError(
                    f"relay exited with {self.process.returncode} before it was ready\n"
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
                ready = json.loads(self.ready_file.read_text())
                if isinstance(ready, dict) and {"url", "port", "pid"} <= ready.keys():
                    break
            if time.monotonic() > deadline:
                self.stop()
                raise BenchError(
                    f"relay not ready after {READY_TIMEOUT_S:.0f} s\n{self.log_tail()}"
                )
            time.sleep(0.05)  # the ready file is the relay's documented readiness signal
        self.url = str(ready["url"]).rstrip("/")
        self.ws_url = "ws" + self.url.removeprefix("http") + "/ws"
        self.ps = psutil.Process(int(ready["pid"]))
        logger.info("relay pid %d listening at %s", self.ps.pid, self.url)

    def rss(self) -> int:
        assert self.ps is not None
        return self.ps.memory_info().rss

    def cpu_seconds(self) -> float:
        assert self.ps is not None
        times = self.ps.cpu_times()
        return times.user + times.system

    def stop(self) -> None:
        """SIGTERM the relay, SIGKILL it if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            logger.warning("relay still running %.0f s after SIGTERM: killing it", STOP_TIMEOUT_S)
            self.process.kill()
            self.process.wait()

    def log_tail(self, chars: int = 4000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no relay log)"
        return f"--- end of {self.log_path} ---\n{text[-chars:]}"


@contextlib.contextmanager
def profiled(relay: Relay, profile_dir: Path | None, name: str) -> Iterator[None]:
    """Record the relay with py-spy (collapsed stacks) while the block runs, if asked."""
    if profile_dir is None:
        yield
        return
    py_spy = Path(sys.executable).with_name("py-spy")
    if not py_spy.exists():
        raise BenchError(f"--profile needs py-spy: {sys.executable} -m pip install py-spy")
    assert relay.ps is not None
    profile_dir.mkdir(parents=True, exist_ok=True)
    out = profile_dir / f"{name}.txt"
    spy = subprocess.Popen(
        [
            str(py_spy),
            "record",
            "--pid",
            str(relay.ps.pid),
            "--format",
            "raw",
            "--rate",
            "200",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
        try:
            spy.wait(timeout=30)
        except subprocess.TimeoutExpired:
            spy.kill()
        logger.info("py-spy profile of the relay: %s", out)


def machine_busy_seconds() -> tuple[float, float]:
    """CPU seconds the whole machine has been busy (all cores), and how many were softirq.

    Softirq time (loopback TCP is processed there) belongs to no process: it is the kernel
    doing the relay's and the clients' networking.
    """
    times = psutil.cpu_times()
    # guest time is already counted in user time on Linux
    not_busy = ("idle", "iowait", "guest", "guest_nice")
    busy = sum(times) - sum(getattr(times, name, 0.0) for name in not_busy)
    return busy, getattr(times, "softirq", 0.0)


@contextlib.contextmanager
def relay_running(
    work_dir: Path,
    name: str,
    extra_args: Sequence[str],
    store_args: Sequence[str] = (),
    root: Path = REPO_ROOT,
) -> Iterator[Relay]:
    relay = Relay(work_dir, name, extra_args, store_args, root)
    try:
        relay.start()
        yield relay
    finally:
        relay.stop()

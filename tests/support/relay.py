"""Start the relay server as a real subprocess for tests, through its command-line interface.

The relay is started the way an operator starts it (`python -m relay_server ...`) on port 0 with
`--ready-file`; the relay writes `{"url", "port", "pid"}` to that file once it listens.
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
# 15 s was too short under a parallel run at load 16-27; the wait ends as soon as it is ready.
READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 5.0
CLI_TIMEOUT_S = 30.0
LOG_TAIL_CHARS = 20_000


@dataclass(frozen=True)
class Agent:
    """An agent account created with `relay_server users add` before the relay starts."""

    username: str
    password: str
    name: str
    title: str | None = None
    company: str | None = None
    admin: bool = False  # an administrator (`users add --admin`) for the admin site (AD1)


ALICE = Agent("alice", "alice-password-1", "Alice Kim", title="Sales Manager", company="Acme")
BOB = Agent("bob", "bob-password-1", "Bob Lee")
DEFAULT_AGENTS = (ALICE, BOB)
ROOT = Agent("root", "root-password-1", "Rita Root", admin=True)  # not created by default


def agent_profile(agent: Agent) -> dict[str, str]:
    """The profile `users add` gives ``agent`` (PUT /api/me puts it back): no phone, no e-mail."""
    return {
        "name": agent.name,
        "title": agent.title or "",
        "company": agent.company or "",
        "phone": "",
        "email": "",
    }


class RelayError(RuntimeError):
    """The relay or its command-line tool did not do what the fixture asked."""


def _relay_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_relay_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m relay_server ARGS` to completion and return it.

    Raises:
        RelayError: the command exited non-zero; the message holds its output.
    """
    command = [sys.executable, "-m", "relay_server", *args]
    result = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=_relay_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    if result.returncode != 0:
        raise RelayError(
            f"{shlex.join(command[1:])} exited with {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def add_agent(data_dir: Path, agent: Agent, store_args: Sequence[str] = ()) -> None:
    """Create `agent` in the relay database at `data_dir` (or `store_args`' PostgreSQL
    database) through the `users add` command."""
    args = ["users", "--data", str(data_dir), *store_args, "add", agent.username]
    args += ["--password", agent.password, "--name", agent.name]
    if agent.title is not None:
        args += ["--title", agent.title]
    if agent.company is not None:
        args += ["--company", agent.company]
    if agent.admin:
        args.append("--admin")
    run_relay_cli(*args)


_DEFAULT_AGENTS_TEMPLATE: list[Path] = []  # this process's data folder holding only them


def add_default_agents(data_dir: Path) -> None:
    """Give the (empty, TinyDB) data folder ``data_dir`` the agents alice and bob.

    The first call runs ``users add`` for each, as :func:`add_agent` does, into a template
    folder; every call copies that folder's files: two CLI processes (~1 s, several under load)
    saved for each of the hundreds of relays a run starts.
    """
    if not _DEFAULT_AGENTS_TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="rs-default-agents-"))
        atexit.register(shutil.rmtree, template, True)
        for agent in DEFAULT_AGENTS:
            add_agent(template, agent)
        _DEFAULT_AGENTS_TEMPLATE.append(template)
    shutil.copytree(_DEFAULT_AGENTS_TEMPLATE[0], data_dir, dirs_exist_ok=True)


class RelayProcess:
    """A relay server running as a subprocess on a data directory.

    Attributes `url`, `ws_url` and `port` change when `restart()` picks a new port.
    """

    def __init__(
        self,
        data_dir: Path,
        work_dir: Path,
        extra_args: Iterable[str] = (),
        program: Sequence[str] | None = None,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        """``program``, ``cwd`` and ``env`` run another relay (e.g. the built one-file binary)
        instead of ``python -m relay_server`` from this checkout."""
        self.data_dir = data_dir
        self.program = list(program or [sys.executable, "-m", "relay_server"])
        self.cwd = cwd or REPO_ROOT
        self.env = env
        self.log_path = work_dir / "relay.log"
        self.extra_args = list(extra_args)
        self._ready_file = work_dir / "relay-ready.json"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.ws_url = ""
        self.port = 0
        self.pid = 0
        self._port = 0  # what to ask for: 0 = any free port

    def start(self) -> None:
        """Start the relay and wait until it reports ready.

        Raises:
            RelayError: it exited or did not report ready within READY_TIMEOUT_S; the message
                holds the end of its log.
        """
        if self.running:
            raise RelayError("relay is already running; stop() or kill() it first")
        self._ready_file.unlink(missing_ok=True)
        command = [
            *self.program,
            "--host",
            "127.0.0.1",
            "--port",
            str(self._port),
            "--data",
            str(self.data_dir),
            "--ready-file",
            str(self._ready_file),
            *self.extra_args,
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n===== starting: {shlex.join(command[1:])}\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                env=self.env if self.env is not None else _relay_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        ready = self._wait_ready()
        self.url = str(ready["url"]).rstrip("/")
        self.port = int(ready["port"])
        self.pid = int(ready["pid"])
        scheme, rest = self.url.split("://", 1)
        self.ws_url = f"{'wss' if scheme == 'https' else 'ws'}://{rest}/ws"

    def _wait_ready(self) -> dict[str, object]:
        # Polling a file is the relay's documented readiness signal; the deadline bounds it.
        assert self.process is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code is not None:
                raise RelayError(f"relay exited with {code} before it was ready\n{self.log_tail()}")
            try:
                ready = json.loads(self._ready_file.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                ready = None  # not written yet, or written half-way
            if isinstance(ready, dict) and {"url", "port", "pid"} <= ready.keys():
                return ready
            time.sleep(0.05)
        self.kill()
        raise RelayError(f"relay not ready after {READY_TIMEOUT_S:.0f} s\n{self.log_tail()}")

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """Kill the relay with SIGKILL (a crash: no clean shutdown) and reap it."""
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait()

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """Stop the relay with SIGTERM; SIGKILL it if it has not exited after `timeout_s`.

        Returns:
            Its exit code, or None if it was never started.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                note = f"\n===== no exit {timeout_s:.0f} s after SIGTERM: SIGKILL\n"
                with self.log_path.open("ab") as log:
                    log.write(note.encode())
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def restart(self, same_port: bool = False) -> None:
        """Stop the relay if it runs, then start it again on the same data directory.

        With `same_port`, it listens where it did before, so that open pages reconnect by
        themselves; otherwise on a new random port.
        """
        self.stop()
        self._port = self.port if same_port else 0
        try:
            self.start()
        finally:
            self._port = 0

    def log_text(self) -> str:
        """Everything the relay printed so far (all its starts)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self) -> str:
        text = self.log_text()
        if len(text) > LOG_TAIL_CHARS:
            text = "...\n" + text[-LOG_TAIL_CHARS:]
        return f"--- relay log ({self.log_path}) ---\n{text}"

"""A company network on loopback: tinyproxy with a generated config (Basic auth, CONNECT only
to the given ports) that leaves only the relay's TLS port open, and a relay whose certificate
a private CA signed."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.certificates import Certificates
from tests.support.ports import free_port
from tests.support.relay import DEFAULT_AGENTS, RelayProcess, add_agent

READY_TIMEOUT_S = 30.0  # ends on readiness; long for loaded parallel runs


@dataclass
class TinyProxy:
    host: str
    port: int
    username: str
    password: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def connects(self) -> list[str]:
        """The ``host:port`` of every CONNECT tinyproxy accepted so far (from its log)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return re.findall(r"Request \(file descriptor \d+\): CONNECT (\S+)", text)

    def requests(self) -> list[str]:
        """Every request line tinyproxy took so far (``CONNECT host:port``, ``GET http://...``)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return re.findall(r"Request \(file descriptor \d+\): (\S+ \S+)", text)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


def start_tinyproxy(
    folder: Path, connect_ports: list[int], username: str = "kim", password: str = "s3cret"
) -> TinyProxy:
    """Start tinyproxy on a free loopback port; it asks for Basic auth (none when ``username``
    is empty) and allows CONNECT only to ``connect_ports``.

    Raises:
        RuntimeError: tinyproxy is not installed or did not start listening.
    """
    binary = shutil.which("tinyproxy")
    if binary is None:
        raise RuntimeError("tinyproxy is not installed (scripts/test installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = folder / "tinyproxy.log"
    config = folder / "tinyproxy.conf"
    lines = [
        f"Port {port}",
        "Listen 127.0.0.1",
        "Timeout 600",
        f'LogFile "{log_path}"',
        "LogLevel Info",
        "MaxClients 100",
        "Allow 127.0.0.1",
        *([f"BasicAuth {username} {password}"] if username else []),
        "DisableViaHeader Yes",
        *(f"ConnectPort {p}" for p in connect_ports),
    ]
    config.write_text("\n".join(lines) + "\n")
    process = subprocess.Popen(
        [binary, "-d", "-c", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(folder / "tinyproxy.err").open("wb"),
    )
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tinyproxy exited: {(folder / 'tinyproxy.err').read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return TinyProxy("127.0.0.1", port, username, password, log_path, process)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("tinyproxy did not start listening")


def start_tls_relay(
    work_dir: Path, certificates: Certificates, extra_args: list[str] | None = None
) -> RelayProcess:
    """A relay on 127.0.0.1 serving TLS with a certificate the throwaway CA signed (no system
    store trusts it), with the agents alice and bob (and ``extra_args`` on its command line)."""
    data = work_dir / "data"
    data.mkdir(parents=True)
    for agent in DEFAULT_AGENTS:
        add_agent(data, agent)
    relay = RelayProcess(
        data, work_dir,
        ["--tls-cert", str(certificates.server_cert), "--tls-key", str(certificates.server_key),
         *(extra_args or [])],
    )  # fmt: skip
    relay.start()
    return relay


def peer_pids(pid: int) -> set[int | None]:
    """The processes on the other end of ``pid``'s established loopback TCP connections (None
    for a peer that is gone or not visible): who is talking to a relay right now."""
    import psutil

    owners = {c.laddr.port: c.pid for c in psutil.net_connections(kind="tcp") if c.laddr and c.pid}
    return {
        owners.get(c.raddr.port)
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.raddr
    }

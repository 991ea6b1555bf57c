"""HAProxy (the Debian package; scripts/test installs ``haproxy``) in front of relays on
loopback, run with the deployment's own configuration file, ``deploy/haproxy/haproxy.cfg``:
only its environment differs (a free port, a certificate signed by a test CA, the relays'
ports, a stats socket in a temporary folder). No system service; stopped on exit.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.certificates import Certificates
from tests.support.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
CONFIG = REPO_ROOT / "deploy" / "haproxy" / "haproxy.cfg"
SERVER_NAMES = ("relay1", "relay2", "relay3")  # the config's server lines
START_TIMEOUT_S = 30.0
MAXCONN = 2000  # a test's sockets; deploy/compose.yaml sets 50,000


def haproxy_missing() -> str | None:
    """Why HAProxy cannot run here, or None."""
    if shutil.which("haproxy") is None:
        return "HAProxy (Debian package haproxy) is not installed"
    return None


@dataclass
class HAProxy:
    port: int
    stats_socket: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"wss://127.0.0.1:{self.port}/ws"

    def command(self, line: str) -> str:
        """One command on the admin socket (``show stat``, ``show table relays``...)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as admin:
            admin.settimeout(5)
            admin.connect(str(self.stats_socket))
            admin.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := admin.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def server_states(self) -> dict[str, str]:
        """Each relay server's state in the ``relays`` backend (``UP``, ``DOWN``...)."""
        rows = csv.DictReader(self.command("show stat").lstrip("# ").splitlines())
        return {
            row["svname"]: row["status"]
            for row in rows
            if row["pxname"] == "relays" and row["svname"] in SERVER_NAMES
        }

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def running_haproxy(
    folder: Path, relays: Sequence[str], certificates: Certificates
) -> Iterator[HAProxy]:
    """HAProxy with TLS (``certificates``' server certificate) on a free loopback port, in
    front of the three relays at ``relays`` (``host:port`` each), once every relay is UP.

    Raises:
        RuntimeError: HAProxy is missing, exited, or a relay was not UP within
            START_TIMEOUT_S; the message holds its log.
    """
    if len(relays) != len(SERVER_NAMES):
        raise ValueError(f"the configuration has {len(SERVER_NAMES)} relay servers")
    missing = haproxy_missing()
    if missing:
        raise RuntimeError(missing)
    folder.mkdir(parents=True, exist_ok=True)
    pem = folder / "relay.pem"  # HAProxy wants the chain and the key in one file
    pem.write_bytes(certificates.server_cert.read_bytes() + certificates.server_key.read_bytes())
    pem.chmod(0o600)
    port = free_port()
    stats = folder / "admin.sock"
    env = {
        **os.environ,
        "HAPROXY_BIND": f"127.0.0.1:{port}",
        "HAPROXY_CERT": str(pem),
        "HAPROXY_STATS": str(stats),
        "HAPROXY_MAXCONN": str(MAXCONN),
        **{f"RELAY{n}": address for n, address in enumerate(relays, start=1)},
    }
    log_path = folder / "haproxy.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["haproxy", "-db", "-f", str(CONFIG)], stdout=log, stderr=subprocess.STDOUT, env=env
        )
    proxy = HAProxy(port, stats, log_path, process)
    try:
        _wait_up(proxy)
        yield proxy
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_up(proxy: HAProxy) -> None:
    # The admin socket answers once HAProxy runs; the health checks (every 2 s) then bring
    # each server UP. The deadline bounds the polling.
    deadline = time.monotonic() + START_TIMEOUT_S
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        if proxy.process.poll() is not None:
            raise RuntimeError(
                f"haproxy exited with {proxy.process.returncode}\n{proxy.log_text()}"
            )
        try:
            states = proxy.server_states()
        except OSError:
            states = {}  # not listening yet
        if len(states) == len(SERVER_NAMES) and all(s == "UP" for s in states.values()):
            return
        time.sleep(0.2)
    raise RuntimeError(f"relays not UP behind haproxy: {states}\n{proxy.log_text()}")
